"""An object's page shows what the object says, safely: nothing in a STIX object can run."""

from __future__ import annotations

from html import unescape

import orjson
import pytest

TAXII = "application/taxii+json;version=2.1"
HOSTILE = {
    "type": "malware", "spec_version": "2.1",
    "id": "malware--00000000-0000-4000-8000-0000000000aa",
    "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
    "name": "<script>alert('owned')</script>", "is_family": True,
    "external_references": [
        {"source_name": "trap", "url": "javascript:alert(1)"},
        {"source_name": "mitre-attack", "external_id": "S9999",
         "url": "https://attack.mitre.org/software/S9999"}],
}


def test_names_are_escaped_and_only_web_links_are_links(world, client, browser):
    posted = client.post(f"/taxii2/accord/collections/{world.evidence.id}/objects/",
                         content=orjson.dumps({"objects": [HOSTILE]}),
                         headers={"Content-Type": TAXII})
    assert posted.json()["success_count"] == 1
    us = browser(world.admin_token)
    page = us.get(f"/ui/objects/{HOSTILE['id']}")
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt;" in page.text
    assert 'href="javascript:' not in page.text
    assert 'href="https://attack.mitre.org/software/S9999"' in page.text
    assert "mitre-attack: S9999" in page.text
    found = us.get("/ui/search", params={"q": "S9999"})  # by external id
    assert f"/ui/objects/{HOSTILE['id']}" in found.text
    by_type = us.get("/ui/search", params={"q": "malware"})
    assert f"/ui/objects/{HOSTILE['id']}" in by_type.text


def test_custom_objects_with_odd_reference_lists_still_show(world, client, browser):
    custom = {"type": "x-acme-note", "spec_version": "2.1",
              "id": "x-acme-note--00000000-0000-4000-8000-0000000000ab",
              "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
              "x_acme_refs": [{"a": 1}, 3], "x_acme_more_refs": [["a"]]}
    posted = client.post(f"/taxii2/accord/collections/{world.evidence.id}/objects/",
                         content=orjson.dumps({"objects": [custom]}),
                         headers={"Content-Type": TAXII})
    assert posted.json()["success_count"] == 1, posted.text
    page = browser(world.admin_token).get(f"/ui/objects/{custom['id']}")
    assert page.status_code == 200 and "x_acme_refs" in page.text


def test_an_over_broad_network_is_flagged_on_its_page_and_apart_in_a_search(
        world, client, browser):
    def indicator(n: int, network: str) -> dict:
        return {"type": "indicator", "spec_version": "2.1", "name": f"net {n}",
                "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
                "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
                "pattern": f"[ipv4-addr:value ISSUBSET '{network}']", "pattern_type": "stix",
                "valid_from": "2020-01-01T00:00:00Z"}

    everything, narrow = indicator(1, "0.0.0.0/0"), indicator(2, "198.51.100.0/24")
    posted = client.post(f"/taxii2/accord/collections/{world.evidence.id}/objects/",
                         content=orjson.dumps({"objects": [everything, narrow]}),
                         headers={"Content-Type": TAXII})
    assert posted.json()["success_count"] == 2
    us = browser(world.admin_token)
    page = us.get(f"/ui/objects/{everything['id']}").text
    assert "<code>0.0.0.0/0</code> <strong>over-broad network</strong>" in page
    assert "over-broad network" not in us.get(f"/ui/objects/{narrow['id']}").text
    found = us.get("/ui/search", params={"q": "198.51.100.7"}).text
    matches, apart = found.split("Over-broad networks around it, not matched")
    assert "net 2" in matches and "net 1" not in matches
    assert "net 1" in apart.split("By name, id or type")[0]

@pytest.mark.parametrize("path", ["/ui/objects/a%00b", "/ui/requests/x%00",
                                  "/ui/search?q=%00", "/ui/attribution/a%00"])
def test_a_nul_character_in_an_address_is_a_plain_400(browser, world, path):
    """Each of these was a 500 on PostgreSQL, whose text cannot hold a NUL."""
    page = browser(world.admin_token).get(path)
    assert page.status_code == 400 and "NUL character" in page.text


def test_a_nul_character_in_a_form_is_a_plain_400(browser, world):
    us = browser(world.admin_token)
    us.get("/ui/requests/new")
    sent = us.post("/ui/requests/new", {"to": "a\x00", "summary": "x"})
    assert sent.status_code == 400 and "form field &#39;to&#39;" in sent.text


def test_a_large_object_is_listed_by_its_id_and_shown_whole_on_its_page(world, browser,
                                                                        monkeypatch):
    from accord.store import browse

    monkeypatch.setattr(browse, "LIST_BODY_BYTES", 4096)
    report = {"type": "report", "spec_version": "2.1",
              "id": "report--00000000-0000-4000-8000-0000000000ac",
              "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
              "name": "Operation Large", "published": "2020-01-01T00:00:00Z",
              "object_refs": [HOSTILE["id"]], "description": "full text " * 2000}
    uses = {"type": "relationship", "spec_version": "2.1",
            "id": "relationship--00000000-0000-4000-8000-0000000000ad",
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
            "relationship_type": "related-to", "source_ref": report["id"],
            "target_ref": HOSTILE["id"], "description": "why " * 2000}
    world.node.objects.add(world.evidence.id, [HOSTILE, report, uses],
                           poster_id=world.own.id)
    us = browser(world.admin_token)
    found = us.get("/ui/search", params={"q": "report"})
    assert f'<a href="/ui/objects/{report["id"]}">{report["id"]}</a>' in found.text
    page = us.get(f"/ui/objects/{report['id']}")
    assert page.status_code == 200
    assert "<h1>Operation Large</h1>" in page.text and "full text full text" in page.text
    # The relationship, too large to list, still joins the two on the graph.
    assert page.text.count(f"/ui/objects/{HOSTILE['id']}") >= 1
    target = us.get(f"/ui/objects/{HOSTILE['id']}")
    assert f"/ui/objects/{report['id']}" in target.text


def test_an_object_of_many_versions_lists_its_newest_and_says_taxii_has_the_rest(
        world, browser):
    # Each listed version is read: a party posting thousands must not make every view of the
    # object read them all.
    def version(n: int) -> dict:
        return {"type": "malware", "spec_version": "2.1", "name": f"Many {n}",
                "id": "malware--00000000-0000-4000-8000-0000000000ac", "is_family": True,
                "created": "2020-01-01T00:00:00.000Z",
                "modified": f"2020-01-01T00:{n // 60:02d}:{n % 60:02d}.000Z",
                **({"revoked": True} if n == 119 else {})}
    world.node.objects.add(world.evidence.id, [version(n) for n in range(120)],
                           poster_id=world.own.id)
    page = browser(world.admin_token).get("/ui/objects/malware--00000000-0000-4000-8000-"
                                          "0000000000ac")
    assert page.status_code == 200
    listed = page.text.split("<ol class=\"plain small\">", 1)[1].split("</ol>", 1)[0]
    assert listed.count("<li>") == 100
    assert 'datetime="2020-01-01T00:01:59Z"' in listed  # the newest 100 are listed …
    assert 'datetime="2020-01-01T00:00:20Z"' in listed
    assert 'datetime="2020-01-01T00:00:19Z"' not in listed  # … not the 20 before them
    assert "revoked" in listed
    assert '<span class="count">100+</span>' in page.text
    assert "The newest 100 versions you may read; TAXII lists every one" in page.text
    assert "Many 119" in page.text  # … and shown


def test_an_object_of_few_versions_lists_them_all(world, browser):
    obj = dict(HOSTILE, name="Few", id="malware--00000000-0000-4000-8000-0000000000ad")
    world.node.objects.add(world.evidence.id, [obj, dict(obj, modified="2021-01-01T00:00:00.000Z")],
                           poster_id=world.own.id)
    page = browser(world.admin_token).get(f"/ui/objects/{obj['id']}")
    assert '<span class="count">2</span>' in page.text and "TAXII lists every one" not in page.text


def test_the_newest_version_is_shown_however_many_older_ones_came_after_it(world, browser):
    # A feed's history, a peer's mirror or a copy may add old versions after the newest: the
    # page's window is the newest by version, not the last added.
    def version(n: int) -> dict:
        return {"type": "malware", "spec_version": "2.1", "name": f"Late {n}",
                "id": "malware--00000000-0000-4000-8000-0000000000ae", "is_family": True,
                "created": "2020-01-01T00:00:00.000Z",
                "modified": f"2020-01-01T0{n // 3600}:{n // 60 % 60:02d}:{n % 60:02d}.000Z"}
    world.node.objects.add(world.evidence.id, [version(5000)], poster_id=world.own.id)
    world.node.objects.add(world.evidence.id, [version(n) for n in range(120)],
                           poster_id=world.own.id)
    page = browser(world.admin_token).get(f"/ui/objects/{version(0)['id']}")
    assert "Late 5000" in page.text and "Late 119" not in page.text
    listed = page.text.split("<ol class=\"plain small\">", 1)[1].split("</ol>", 1)[0]
    assert 'datetime="2020-01-01T01:23:20Z"' in listed  # 5000 s: the newest, listed last
    assert listed.rstrip().endswith("</li>") and listed.rfind("01:23:20Z") > listed.rfind(
        "00:01:59Z")


def test_an_identity_posted_under_a_partys_name_is_not_shown_as_that_party(
        world, client, browser):
    """A writer posts an identity named like a party of the node, and an object 'created' by
    it: pages name the identity as it says, marked as no party, and the party's own objects
    stay unmarked."""
    from accord.trust.access import Grant

    world.node.directory.grant(world.evidence.id, world.other, Grant(True, True))
    fake = {"type": "identity", "spec_version": "2.1",
            "id": "identity--00000000-0000-4000-8000-0000000000fa",
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
            "name": world.own.name, "identity_class": "organization"}
    claimed = {"type": "malware", "spec_version": "2.1", "is_family": True,
               "id": "malware--00000000-0000-4000-8000-0000000000fb",
               "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
               "name": "Benign updater", "created_by_ref": fake["id"]}
    own = dict(claimed, id="malware--00000000-0000-4000-8000-0000000000fc",
               name="Real finding", created_by_ref=world.own.id)
    posted = client.post(f"/taxii2/accord/collections/{world.evidence.id}/objects/",
                         content=orjson.dumps({"objects": [fake, claimed]}),
                         headers={"Content-Type": TAXII,
                                  "Authorization": f"Bearer {world.other_token}"})
    assert posted.json()["success_count"] == 2, posted.text
    assert client.post(f"/taxii2/accord/collections/{world.evidence.id}/objects/",
                       content=orjson.dumps({"objects": [own]}),
                       headers={"Content-Type": TAXII}).json()["success_count"] == 1
    us = browser(world.admin_token)
    page = us.get(f"/ui/objects/{claimed['id']}").text
    marked = f"“{world.own.name}” <span class=\"muted small\">(not a party of this node)</span>"
    assert f"created by {marked}" in page
    assert f"created by {world.own.name}" not in page
    assert "not a party" not in us.get(f"/ui/objects/{own['id']}").text
    found = us.get("/ui/search", params={"q": "Benign updater"}).text
    assert f"<td>{marked}</td>" in found
    assert "not a party" not in us.get("/ui/search", params={"q": "Real finding"}).text


def _property(page: str, key: str) -> str:
    """What an object's page shows in its Properties row `key`."""
    start = page.index(f"<dt>{key}</dt>")
    return page[page.index("<dd>", start) + 4:page.index("</dd>", start)]


def _main(page: str) -> str:
    """A page without its header (which names the viewer's own party)."""
    return page[page.index('<main id="main"'):page.index("</main>")]


def _lead(page: str) -> str:
    start = page.index('<p class="lead">')
    return page[start:page.index("</p>", start)]


def test_a_party_renaming_its_own_identity_after_another_party_is_still_named_by_the_node(
        world, client, browser):
    """Mallory posts a version of her own identity named "China (CNCERT/CC)" (hers to post):
    wherever a page names her, it is by the node's directory, never as the party she named."""
    from accord.trust.access import Grant

    mallory = world.node.directory.add_party("Mallory CERT")
    for party in (mallory, world.other):
        world.node.directory.grant(world.evidence.id, party, Grant(True, True))
    token = world.node.directory.create_token(mallory, role="analyst")
    renamed = {"type": "identity", "spec_version": "2.1", "id": mallory.id,
               "created": "2020-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
               "name": world.other.name, "identity_class": "organization"}
    hers = {"type": "malware", "spec_version": "2.1", "is_family": True,
            "id": "malware--00000000-0000-4000-8000-0000000000fd",
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
            "name": "Dropper", "created_by_ref": mallory.id}
    uses = {"type": "relationship", "spec_version": "2.1", "relationship_type": "uses",
            "id": "relationship--00000000-0000-4000-8000-0000000000fe",
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
            "source_ref": mallory.id, "target_ref": hers["id"], "created_by_ref": mallory.id}
    posted = client.post(f"/taxii2/accord/collections/{world.evidence.id}/objects/",
                         content=orjson.dumps({"objects": [renamed, hers, uses]}),
                         headers={"Content-Type": TAXII, "Authorization": f"Bearer {token}"})
    assert posted.json()["success_count"] == 3, posted.text
    for reader in (world.admin_token, world.other_token):
        page = browser(reader).get(f"/ui/objects/{hers['id']}").text
        assert _property(page, "created_by_ref") == \
            f'<a href="/ui/objects/{mallory.id}">Mallory CERT</a>'
        assert "created by Mallory CERT" in _lead(page)
        assert world.other.name not in _main(page)
        # The relationship names her too, and so does her identity's own page.
        assert '<a href="/ui/objects/' + mallory.id + '">Mallory CERT</a>' in \
            page[page.index('id="rel-h"'):]
        identity = browser(reader).get(f"/ui/objects/{mallory.id}").text
        assert "<h1>Mallory CERT</h1>" in identity and "<title>Mallory CERT" in identity
    us = browser(world.admin_token)
    listed = us.get("/ui/search", params={"q": mallory.id}).text
    assert f'<a href="/ui/objects/{mallory.id}">Mallory CERT</a>' in listed
    assert world.other.name not in _main(listed)
    dashboard = _main(us.get("/ui/").text)
    assert "Mallory CERT" in dashboard and world.other.name not in dashboard


def test_a_made_up_identity_named_like_a_party_cannot_pass_for_it(world, client, browser):
    """An identity no party's, named "China (CNCERT/CC)", and what it 'created' and is
    related to: named as it claims, quoted and marked, never the party's bare name."""
    from accord.trust.access import Grant

    mallory = world.node.directory.add_party("Mallory CERT")
    world.node.directory.grant(world.evidence.id, mallory, Grant(True, True))
    token = world.node.directory.create_token(mallory, role="analyst")
    fake = {"type": "identity", "spec_version": "2.1",
            "id": "identity--00000000-0000-4000-8000-0000000000f1",
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
            "name": world.other.name, "identity_class": "organization"}
    made = {"type": "malware", "spec_version": "2.1", "is_family": True,
            "id": "malware--00000000-0000-4000-8000-0000000000f2",
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
            "name": "Implant", "created_by_ref": fake["id"]}
    seen = {"type": "sighting", "spec_version": "2.1",
            "id": "sighting--00000000-0000-4000-8000-0000000000f3",
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
            "sighting_of_ref": made["id"], "where_sighted_refs": [fake["id"]],
            "created_by_ref": mallory.id}
    posted = client.post(f"/taxii2/accord/collections/{world.evidence.id}/objects/",
                         content=orjson.dumps({"objects": [fake, made, seen]}),
                         headers={"Content-Type": TAXII, "Authorization": f"Bearer {token}"})
    assert posted.json()["success_count"] == 3, posted.text
    marked = f"“{world.other.name}” <span class=\"muted small\">(not a party of this node)</span>"
    us = browser(world.admin_token)
    page = us.get(f"/ui/objects/{made['id']}").text
    assert f"created by {marked}" in _lead(page)
    assert _property(page, "created_by_ref") == f'<a href="/ui/objects/{fake["id"]}">{marked}</a>'
    assert world.other.name not in _main(page).replace(f"“{world.other.name}”", "")
    sighting = us.get(f"/ui/objects/{seen['id']}").text
    assert _property(sighting, "where_sighted_refs") == \
        f'<a href="/ui/objects/{fake["id"]}">{marked}</a>'
    # In the graph and its list, as plain words.
    assert f"“{world.other.name}” (not a party of this node)" in sighting[
        sighting.index('id="rel-h"'):]
    identity = us.get(f"/ui/objects/{fake['id']}").text
    assert f"<h1>{marked}</h1>" in identity
    assert f"<title>“{world.other.name}” (not a party of this node)" in identity
    listed = us.get("/ui/search", params={"q": "Implant"}).text
    assert f"<td>{marked}</td>" in listed
    assert world.other.name not in _main(us.get("/ui/").text).replace(
        f"“{world.other.name}”", "")


def test_types_read_in_the_reader_s_words_and_are_searched_by_them(world, browser):
    world.node.objects.add(world.evidence.id, [HOSTILE], poster_id=world.own.id)
    us = browser(world.admin_token)
    us.get("/ui/")
    us.post("/ui/language", {"lang": "zh-Hans", "next": "/ui/"})
    page = us.get(f"/ui/objects/{HOSTILE['id']}").text
    assert '<span class="coded" title="malware">恶意软件</span>' in page
    for typed in ("恶意软件", "Malware", "malware"):
        found = us.get("/ui/search", params={"q": typed}).text
        assert f"/ui/objects/{HOSTILE['id']}" in found, typed
        assert '<td><span class="coded" title="malware">恶意软件</span></td>' in found
    # The words are a name too: an object named with them is found beside the type's.
    named = {**_mentioning(7), "name": "恶意软件 C2 服务器"}
    world.node.objects.add(world.evidence.id, [named], poster_id=world.own.id)
    both = us.get("/ui/search", params={"q": "恶意软件"}).text
    assert f"/ui/objects/{HOSTILE['id']}" in both and f"/ui/objects/{named['id']}" in both
    picked = us.get("/ui/evidence", params={"q": "S9999"}).json()["results"]
    assert [(r["type"], r["type_words"]) for r in picked] == [("malware", "恶意软件")]
    # A type outside STIX 2.1 is shown as its code.
    assert "Attack pattern" not in us.get("/ui/search", params={"q": "x-acme-note"}).text


MITRE = "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"
APT38 = {"type": "intrusion-set", "spec_version": "2.1",
         "id": "intrusion-set--00f67a77-86a4-4adf-be26-1a54fc713340",
         "created": "2019-01-29T21:27:24.793Z", "modified": "2025-04-16T20:37:39.000Z",
         "created_by_ref": MITRE, "name": "APT38", "aliases": ["APT38", "BeagleBoyz"],
         "description": "A North Korean state-sponsored threat group."}


def test_another_party_s_copy_of_a_creator_s_object_is_told_apart_not_shown_as_its(
        world, client, browser):
    # China, writing to a collection Charlie reads, posts a later APT38 under MITRE's name:
    # Charlie's page of APT38 showed China's words as MITRE's newest version.
    from accord.trust.access import Grant

    world.node.objects.add(world.evidence.id, [APT38], poster_id=None)  # the node's import
    charlie = world.node.directory.add_party("Charlie CERT")
    world.node.directory.grant(world.evidence.id, charlie, Grant(True, False))
    theirs = world.node.directory.create_collection("China to Charlie", alias="cn-charlie",
                                                    read=[charlie], write=[world.other])
    # The same object imported into two collections is one copy: no notice.
    attack = world.node.directory.create_collection("ATT&CK", alias="attack", read=[charlie],
                                                    write=[])
    world.node.objects.add(attack.id, [APT38], poster_id=None)
    reader = browser(world.node.directory.create_token(charlie, role="reader"))
    assert 'id="copies"' not in reader.get(f"/ui/objects/{APT38['id']}").text
    forged = {**APT38, "modified": "2026-06-01T00:00:00.000Z",
              "description": "Nothing to do with anyone in particular.",
              "aliases": ["APT38", "Chen Innocentman"]}
    posted = client.post(f"/taxii2/accord/collections/{theirs.id}/objects/",
                         content=orjson.dumps({"objects": [forged]}),
                         headers={"Content-Type": TAXII,
                                  "Authorization": f"Bearer {world.other_token}"})
    assert posted.json()["success_count"] == 1, posted.text
    page = unescape(reader.get(f"/ui/objects/{APT38['id']}").text)
    assert "A North Korean state-sponsored threat group." in page
    assert "Nothing to do with anyone" not in page
    copies = page[page.index('id="copies"'):]
    assert "hold 2 different copies of this object" in copies
    assert "posted by China (CNCERT/CC)" in copies and "posted by this node's operator" in copies
    chosen = unescape(reader.get(f"/ui/objects/{APT38['id']}",
                                 params={"in": theirs.id}).text)
    assert "Nothing to do with anyone in particular." in chosen
    lead = chosen[chosen.index('<p class="lead">'):]
    assert "created by The MITRE Corporation" not in lead  # MITRE's identity is not held here
    assert "<strong>posted by China (CNCERT/CC)</strong>" in lead[:lead.index("</p>")]


def test_a_creator_s_party_is_named_not_linked_where_its_page_is_not_the_reader_s(
        world, client, browser):
    from accord.trust.access import Grant

    bravo = world.node.directory.add_party("Bravo CERT")
    charlie = world.node.directory.add_party("Charlie CERT")
    for party in (bravo, charlie):
        world.node.directory.grant(world.evidence.id, party, Grant(True, True))
    theirs = {**HOSTILE, "name": "Bravo's malware", "created_by_ref": bravo.id}
    world.node.objects.add(world.evidence.id, [theirs], poster_id=bravo.id)
    reader = browser(world.node.directory.create_token(charlie, role="reader"))
    page = reader.get(f"/ui/objects/{HOSTILE['id']}").text
    assert "Bravo CERT" in page and f'href="/ui/objects/{bravo.id}"' not in page
    assert reader.get(f"/ui/objects/{bravo.id}").status_code == 404


def _mentioning(n: int, value: str = "198.51.100.9") -> dict:
    return {"type": "indicator", "spec_version": "2.1", "name": f"C2 {n}",
            "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
            "pattern": f"[ipv4-addr:value = '{value}']", "pattern_type": "stix",
            "valid_from": "2020-01-01T00:00:00Z"}


def test_lists_cut_short_say_so_and_count_as_more(world, client, browser, monkeypatch):
    # 3,000 indicators naming one domain: the search said "100" with no word of the rest,
    # the look-up "count 5, complete", the object page "Relationships 61" of 501.
    from accord.web import objects_page

    monkeypatch.setattr(objects_page, "SEARCH_SHOWN", 3)
    monkeypatch.setattr(objects_page, "RELATIONSHIPS_SHOWN", 2)
    monkeypatch.setattr(objects_page, "CORRELATIONS_SHOWN", 2)
    indicators = [_mentioning(n) for n in range(1, 6)]
    uses = [{"type": "relationship", "spec_version": "2.1",
             "id": f"relationship--00000000-0000-4000-8000-{n:012d}",
             "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
             "relationship_type": "indicates", "source_ref": i["id"],
             "target_ref": HOSTILE["id"]} for n, i in enumerate(indicators, 100)]
    world.node.objects.add(world.evidence.id, [HOSTILE, *indicators, *uses],
                           poster_id=world.own.id)
    us = browser(world.admin_token)
    found = unescape(us.get("/ui/search", params={"q": "198.51.100.9"}).text)
    assert 'Objects that mention it <span class="count">3+</span>' in found
    assert "The newest 3 are listed. More objects mention it" in found
    named = unescape(us.get("/ui/search", params={"q": "C2"}).text)
    assert 'By name, id or type <span class="count">3+</span>' in named
    assert "The first 3 are listed" in named
    nothing = unescape(us.get("/ui/search", params={"q": "203.0.113.250"}).text)
    assert "Read as" in nothing and "No object you may read mentions it." in nothing
    page = unescape(us.get(f"/ui/objects/{HOSTILE['id']}").text)
    assert 'Relationships <span class="count">2+</span>' in page
    assert "The newest 2 relationships you may read are listed" in page
    one = unescape(us.get(f"/ui/objects/{indicators[0]['id']}").text)
    assert "The newest 2 are listed; more objects mention it: search it" in one
    headers = {"Authorization": f"Bearer {world.admin_token}"}
    some = client.get("/api/v1/lookup", params={"value": "198.51.100.9", "limit": 4},
                      headers=headers).json()
    every = client.get("/api/v1/lookup", params={"value": "198.51.100.9", "limit": 5},
                       headers=headers).json()
    assert (some["count"], some["more"]) == (4, True)
    assert (every["count"], every["more"]) == (5, False)


def test_a_revoked_object_says_so_and_what_took_its_place(world, browser):
    # ATT&CK's Dragonfly 2.0: revoked, with a revoked-by relationship to Dragonfly; the page
    # said so only as the property "revoked true".
    old = {"type": "intrusion-set", "spec_version": "2.1", "name": "Dragonfly 2.0",
           "id": "intrusion-set--76d59913-1d24-4992-a8ac-05a3eb093f71", "revoked": True,
           "created": "2018-10-17T00:14:20.652Z", "modified": "2021-10-12T19:23:49.000Z"}
    new = {**old, "id": "intrusion-set--1c63d4ec-0a75-4daa-b1df-0d11af3d3cc1",
           "name": "Dragonfly", "revoked": False}
    replaced = {"type": "relationship", "spec_version": "2.1",
                "id": "relationship--00000000-0000-4000-8000-00000000b001",
                "created": old["modified"], "modified": old["modified"],
                "relationship_type": "revoked-by", "source_ref": old["id"],
                "target_ref": new["id"]}
    old_tool = {**HOSTILE, "name": "Old tool", "x_mitre_deprecated": True}
    world.node.objects.add(world.evidence.id, [old, new, replaced, old_tool],
                           poster_id=world.own.id)
    # Another party says its own object took Dragonfly 2.0's place: not its creator's word.
    theirs = world.node.directory.create_collection("China's", read=[world.own, world.other],
                                                    write=[world.other])
    decoy = {**new, "id": "intrusion-set--00000000-0000-4000-8000-00000000b002",
             "name": "Decoy", "created_by_ref": world.other.id}
    hijack = {**replaced, "id": "relationship--00000000-0000-4000-8000-00000000b003",
              "target_ref": decoy["id"], "created_by_ref": world.other.id}
    world.node.objects.add(theirs.id, [decoy, hijack], poster_id=world.other.id)
    us = browser(world.admin_token)
    page = unescape(us.get(f"/ui/objects/{old['id']}").text)
    revoked = page[page.index('id="revoked"'):]
    assert "Revoked:" in revoked
    assert f'In its place: <a href="/ui/objects/{new["id"]}">Dragonfly</a>' in revoked
    assert "Decoy" not in revoked[:revoked.index("</p>")]
    assert 'id="revoked"' not in us.get(f"/ui/objects/{new['id']}").text
    assert 'id="deprecated"' in us.get(f"/ui/objects/{old_tool['id']}").text
    found = us.get("/ui/search", params={"q": "Dragonfly 2.0"}).text
    assert 'Dragonfly 2.0</a> <span class="tag">revoked</span>' in found


def test_the_search_page_s_look_up_takes_the_small_way(world, browser, monkeypatch):
    from accord.store.correlations import Correlations

    world.node.objects.add(world.evidence.id, [_mentioning(n) for n in (1, 2)],
                           poster_id=world.own.id)

    def refused(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the long way")

    monkeypatch.setattr(Correlations, "look_up", refused)
    page = unescape(browser(world.admin_token).get("/ui/search",
                                                   params={"q": "198.51.100.9"}).text)
    assert 'Objects that mention it <span class="count">2</span>' in page


def test_a_relationship_reads_in_its_direction_in_the_readers_words_once(world, browser):
    # On APT19's page: "attributed-to this Intrusions into OPM's networks campaign", twice,
    # where the campaign is attributed to APT19.
    campaign = {"type": "campaign", "spec_version": "2.1",
                "id": "campaign--00000000-0000-4000-8000-0000000000c5",
                "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
                "name": "Intrusions into OPM's networks"}
    attributed = {"type": "relationship", "spec_version": "2.1",
                  "id": "relationship--00000000-0000-4000-8000-0000000000c6",
                  "created": "2020-01-01T00:00:00.000Z",
                  "modified": "2020-01-01T00:00:00.000Z",
                  "relationship_type": "attributed-to", "source_ref": campaign["id"],
                  "target_ref": APT38["id"]}
    world.node.objects.add(world.evidence.id, [APT38, campaign, attributed],
                           poster_id=world.own.id)
    copy = world.node.directory.create_collection("Copy", read=[world.own], write=[world.own])
    world.node.objects.add(copy.id, [attributed], poster_id=world.own.id)
    us = browser(world.admin_token)
    actor = unescape(us.get(f"/ui/objects/{APT38['id']}").text)
    line = ("Intrusions into OPM's networks</a> <span class=\"muted small\"><span class=\"coded\" "
            "title=\"campaign\">Campaign</span></span> <em><span class=\"coded\" "
            "title=\"attributed-to\">is attributed to</span></em> this")
    assert actor.count(line) == 1
    told = unescape(us.get(f"/ui/objects/{campaign['id']}").text)
    assert ("this <em><span class=\"coded\" title=\"attributed-to\">is attributed to</span>"
            "</em> <a href=") in told
    us.post("/ui/language", {"lang": "zh-Hans", "next": "/ui/"})
    chinese = unescape(us.get(f"/ui/objects/{APT38['id']}").text)
    assert ">归因于</span></em> 本对象" in chinese and ">攻击活动</span>" in chinese


def test_an_object_with_thousands_of_references_renders_a_bounded_number(world, browser,
                                                                       monkeypatch):
    # 10,000 external references: each rendered with the numbers of all made again, 10 s.
    from accord.web import objects_page, prose

    monkeypatch.setattr(objects_page, "RENDERED_REFERENCES", 5)
    rendered: list[str] = []
    real = prose.markdown

    def counted(text, *args, **kwargs):  # type: ignore[no-untyped-def]
        rendered.append(text)
        return real(text, *args, **kwargs)

    monkeypatch.setattr(objects_page, "markdown", counted)
    many = {**HOSTILE, "id": "malware--00000000-0000-4000-8000-0000000000ab",
            "external_references": [{"source_name": f"s{n}", "description": f"*note {n}*"}
                                    for n in range(50)]}
    world.node.objects.add(world.evidence.id, [many], poster_id=world.own.id)
    page = browser(world.admin_token).get(f"/ui/objects/{many['id']}").text
    assert len(rendered) == 5
    assert "<em>note 4</em>" in page and "*note 49*" in page  # the rest as written
