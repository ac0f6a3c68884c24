import itertools

import pytest

from accord.trust.markings import (
    ACCORD_MARKING_EXTENSION,
    EVERY_READER,
    MARKING_FOR,
    NOT_YOURS,
    MarkedVersion,
    Tlp,
    audience,
    may_forward,
    may_read,
    parse_tlp,
    recipients_of,
    tlp_of,
    why_not_add,
)

US, CN, RU = "identity--us", "identity--cn", "identity--ru"


def marked(*levels: Tlp, granular: Tlp | None = None) -> dict:
    obj: dict = {"type": "indicator", "object_marking_refs": [MARKING_FOR[lv] for lv in levels]}
    if granular is not None:
        obj["granular_markings"] = [{"marking_ref": MARKING_FOR[granular],
                                     "selectors": ["description"]}]
    return obj


def test_levels_read_from_tlp_2_and_tlp_1_markings():
    assert tlp_of(marked(Tlp.GREEN)) is Tlp.GREEN
    assert tlp_of({"object_marking_refs": [
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"]}) is Tlp.CLEAR  # TLP 1.0 WHITE
    assert tlp_of({"object_marking_refs": [
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"]}) is Tlp.RED  # TLP 1.0 RED
    assert tlp_of({"type": "indicator"}) is None


def test_the_strictest_marking_wins_including_granular_ones():
    assert tlp_of(marked(Tlp.CLEAR, Tlp.AMBER)) is Tlp.AMBER
    assert tlp_of(marked(Tlp.GREEN, granular=Tlp.RED)) is Tlp.RED


def test_recipients_come_from_the_accord_extension():
    obj = {"extensions": {ACCORD_MARKING_EXTENSION: {"extension_type": "property-extension",
                                                     "recipients": [CN, 7]}}}
    assert recipients_of(obj) == frozenset({CN})
    assert recipients_of({"extensions": {"other": {}}}) == frozenset()


def version(level, creator=US, poster=US, recipients=()):
    return MarkedVersion(level, creator, poster, frozenset(recipients))


def test_who_may_read_each_level():
    for level in (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER):
        assert may_read(RU, version(level), Tlp.AMBER)
    for level in (Tlp.AMBER_STRICT, Tlp.RED):
        assert may_read(US, version(level), Tlp.AMBER)
        assert may_read(CN, version(level, recipients=[CN]), Tlp.AMBER)
        assert not may_read(RU, version(level, recipients=[CN]), Tlp.AMBER)
        assert may_read(RU, version(level, creator=US, poster=RU), Tlp.AMBER)


def test_unmarked_versions_are_read_at_the_collection_default():
    assert may_read(RU, version(None), Tlp.AMBER)
    assert not may_read(RU, version(None), Tlp.RED)


def test_a_stranger_to_the_object_gets_one_answer_whatever_the_reason():
    hidden = version(Tlp.RED, recipients=[CN])
    assert why_not_add(RU, hidden, version(Tlp.RED, poster=RU), Tlp.AMBER) == NOT_YOURS
    assert why_not_add(RU, hidden, version(Tlp.CLEAR, poster=RU), Tlp.AMBER) == NOT_YOURS


def test_only_the_creator_versions_an_object_and_only_it_loosens_a_marking():
    current = version(Tlp.AMBER)
    assert "created_by_ref" in why_not_add(CN, current, version(Tlp.AMBER, creator=CN), Tlp.AMBER)
    assert "loosen" in why_not_add(CN, current, version(Tlp.CLEAR, poster=CN), Tlp.AMBER)
    assert why_not_add(CN, current, version(Tlp.RED, poster=CN), Tlp.AMBER) is None
    assert why_not_add(US, current, version(Tlp.CLEAR), Tlp.AMBER) is None
    assert why_not_add(None, current, version(Tlp.CLEAR, poster=None), Tlp.AMBER) is None


def test_only_clear_and_green_travel_on_and_amber_with_its_creators_consent():
    assert may_forward(Tlp.CLEAR) and may_forward(Tlp.GREEN)
    assert not may_forward(Tlp.AMBER) and may_forward(Tlp.AMBER, creator_permits=True)
    assert not may_forward(Tlp.AMBER_STRICT, creator_permits=True)
    assert not may_forward(Tlp.RED, creator_permits=True)


def test_labels():
    assert Tlp.AMBER_STRICT.label == "TLP:AMBER+STRICT"


def test_levels_as_people_write_them():
    assert parse_tlp("amber+strict") is Tlp.AMBER_STRICT
    assert parse_tlp("TLP:RED") is Tlp.RED
    assert parse_tlp("white") is Tlp.CLEAR
    with pytest.raises(ValueError, match="not a TLP level"):
        parse_tlp("purple")


def test_the_audience_of_a_version_is_exactly_who_may_read_it():
    parties = ["identity--a", "identity--b", "identity--c"]
    for level, creator, poster, recipients, default in itertools.product(
            [None, *Tlp], [None, *parties[:2]], [None, *parties[:2]],
            [frozenset(), frozenset({parties[2]})], list(Tlp)):
        version = MarkedVersion(level, creator, poster, recipients)
        readers = audience(version, default)
        for reader in parties:
            assert may_read(reader, version, default) == (
                EVERY_READER in readers or reader in readers)
