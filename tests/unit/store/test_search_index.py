"""What the search index keeps of an object: its names, aliases and external ids, case-folded
and each once, and a relationship's two ends."""

from accord.store.search_index import MAX_NAME_CHARS, ends_of, entries_of, fold, names_of


def test_names_aliases_and_external_ids_are_kept_folded_and_once():
    group = {"type": "intrusion-set", "id": "intrusion-set--1", "name": "APT19",
             "aliases": ["APT19", "Codoso", 7, "  "], "x_mitre_aliases": ["C0d0so0"],
             "external_references": [{"source_name": "mitre-attack", "external_id": "G0073"},
                                     {"source_name": "a paper", "url": "https://example.org"},
                                     "not a reference"]}
    assert names_of(group) == [("name", "apt19"), ("alias", "apt19"), ("alias", "codoso"),
                               ("alias", "c0d0so0"), ("external_id", "g0073")]


def test_an_observable_is_named_by_its_value_and_folding_is_unicode_aware():
    assert names_of({"type": "domain-name", "value": "Example.ORG"}) == [("name", "example.org")]
    assert names_of({"type": "malware", "name": "Straße 海莲花"}) == [("name", "strasse 海莲花")]
    assert fold("ÄPT") == "äpt"


def test_a_very_long_name_is_kept_only_in_part():
    [(_, kept)] = names_of({"type": "url", "value": "x" * (MAX_NAME_CHARS + 50)})
    assert len(kept) == MAX_NAME_CHARS


def test_only_a_relationship_has_ends_and_requests_have_no_names():
    link = {"type": "relationship", "source_ref": "a--1", "target_ref": "b--2", "name": "x"}
    assert ends_of(link) == ("a--1", "b--2")
    assert ends_of({"type": "sighting", "source_ref": "a--1", "target_ref": "b--2"}) is None
    assert ends_of({"type": "relationship", "source_ref": "a--1"}) is None
    assert entries_of({"type": "x-accord-request", "name": "Please share"}) == ([], None)
    assert entries_of({"type": "language-content", "name": "译文"}) == ([], None)
