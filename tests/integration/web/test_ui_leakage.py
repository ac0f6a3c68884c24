"""No page shows a party what it may not read, nor tells it apart from what does not exist:
three parties, every marking that restricts, a private collection, every page of the UI."""

from __future__ import annotations

from urllib.parse import quote_plus

import orjson
import pytest

from accord.trust.markings import ACCORD_MARKING_EXTENSION, MARKING_FOR, Tlp

TAXII = "application/taxii+json;version=2.1"
NOBODY = "indicator--00000000-0000-4000-8000-0000000000ff"


def indicator(n: int, name: str, ip: str, creator: str, level: Tlp,
              recipients: list[str] | None = None) -> dict:
    obj = {"type": "indicator", "spec_version": "2.1",
           "id": f"indicator--00000000-0000-4000-8000-{n:012d}", "created_by_ref": creator,
           "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
           "name": name, "pattern": f"[ipv4-addr:value = '{ip}']", "pattern_type": "stix",
           "valid_from": "2020-01-01T00:00:00Z", "object_marking_refs": [MARKING_FOR[level]]}
    if recipients:
        obj["extensions"] = {ACCORD_MARKING_EXTENSION: {"extension_type": "property-extension",
                                                        "recipients": recipients}}
    return obj


@pytest.fixture
def secrets(world, client):
    d = world.node.directory
    russia = d.add_party("Russia")
    shared = d.create_collection("Shared", read=[world.own, world.other, russia],
                                 write=[world.own])
    private = d.create_collection("Private", read=[world.own], write=[world.own])
    us, cn = world.own.id, world.other.id
    group = {"type": "intrusion-set", "spec_version": "2.1",
             "id": "intrusion-set--00000000-0000-4000-8000-000000000010", "created_by_ref": us,
             "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
             "name": "Visible Group", "object_marking_refs": [MARKING_FOR[Tlp.GREEN]]}
    strict = indicator(1, "Strict For China Only", "203.0.113.10", us, Tlp.AMBER_STRICT, [cn])
    red = indicator(2, "Red Eyes Only", "203.0.113.11", us, Tlp.RED)
    hidden = indicator(3, "Private Collection Item", "203.0.113.12", us, Tlp.AMBER)
    link = {"type": "relationship", "spec_version": "2.1",
            "id": "relationship--00000000-0000-4000-8000-000000000020", "created_by_ref": us,
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
            "relationship_type": "indicates", "source_ref": red["id"],
            "target_ref": group["id"], "object_marking_refs": [MARKING_FOR[Tlp.RED]]}
    for collection, objs in ((shared, [group, strict, red, link]), (private, [hidden])):
        r = client.post(f"/taxii2/accord/collections/{collection.id}/objects/",
                        content=orjson.dumps({"objects": objs}),
                        headers={"Content-Type": TAXII})
        assert r.json()["success_count"] == len(objs), r.text
    return {"russia": d.create_token(russia, role="liaison"), "group": group,
            "strict": strict, "red": red, "hidden": hidden, "link": link}


GENERAL = ["/ui/", "/ui/hotline", "/ui/review", "/ui/requests/new", "/ui/search?q=indicator",
           "/ui/search?q=relationship", "/ui/search?q=203.0.113.0/24", "/ui/search?q=Only",
           "/ui/search?q=Private", "/ui/evidence?q=203.0.113.0/24", "/ui/evidence?q=Only",
           "/ui/objects/intrusion-set--00000000-0000-4000-8000-000000000010"]
# For each secret, a query for something that does not exist, of the same shape.
CONTROLS = {"id": NOBODY, "name": "Nothing Of The Sort", "value": "192.0.2.99"}


def secrets_of(obj: dict) -> dict[str, str]:
    return {"id": obj["id"], "name": obj["name"], "value": obj["pattern"].split("'")[1]}


def assert_never_shown(viewer, forbidden: list[dict]) -> None:
    """No page lists them; a search for one answers exactly as a search for nothing."""
    for path in GENERAL:
        text = viewer.get(path).text
        for obj in forbidden:
            for secret in secrets_of(obj).values():
                assert secret not in text, (path, secret)
    for obj in forbidden:
        for shape, secret in secrets_of(obj).items():
            control = CONTROLS[shape]
            for page in ("/ui/search", "/ui/evidence"):
                # The page echoes what was asked: in the search box and, URL-encoded, in the
                # language switcher's way back to this page.
                asked = viewer.get(page, params={"q": secret}).text.replace(
                    secret, "Q").replace(quote_plus(secret), "Q")
                nothing = viewer.get(page, params={"q": control}).text.replace(
                    control, "Q").replace(quote_plus(control), "Q")
                assert asked == nothing, (page, secret)


def assert_not_found_like_nothing(viewer, obj: dict) -> None:
    hidden = viewer.get(f"/ui/objects/{obj['id']}")
    missing = viewer.get(f"/ui/objects/{NOBODY}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text.replace(obj["id"], "ID") == missing.text.replace(NOBODY, "ID")


def test_a_party_outside_every_restriction_sees_none_of_it(world, browser, secrets):
    russia = browser(secrets["russia"])
    forbidden = [secrets["strict"], secrets["red"], secrets["hidden"]]
    assert_never_shown(russia, forbidden)
    for obj in forbidden:
        assert_not_found_like_nothing(russia, obj)
    group = russia.get(f"/ui/objects/{secrets['group']['id']}")
    assert group.status_code == 200 and "Visible Group" in group.text
    assert "No relationships you may read" in group.text  # the RED link is not drawn


def test_a_named_recipient_sees_what_is_addressed_to_it_and_nothing_else(world, browser,
                                                                         secrets):
    china = browser(world.other_token)
    strict = china.get(f"/ui/objects/{secrets['strict']['id']}")
    assert strict.status_code == 200 and "Strict For China Only" in strict.text
    assert "TLP:AMBER+STRICT" in strict.text
    found = china.get("/ui/search", params={"q": "203.0.113.10"})
    assert "Strict For China Only" in found.text
    assert_never_shown(china, [secrets["red"], secrets["hidden"]])
    for obj in (secrets["red"], secrets["hidden"]):
        assert_not_found_like_nothing(china, obj)


def test_the_creator_sees_everything_with_its_relationships(world, browser, secrets):
    us = browser(world.admin_token)
    red = us.get(f"/ui/objects/{secrets['red']['id']}")
    assert red.status_code == 200 and "Red Eyes Only" in red.text and "<svg" in red.text
    assert "Visible Group" in red.text and "indicates" in red.text
    assert "203.0.113.11" in red.text  # the value it mentions, under Correlations
    listed = us.get("/ui/search", params={"q": "Only"}).text
    assert "Red Eyes Only" in listed and "Strict For China Only" in listed


def test_every_object_page_read_is_on_the_audit_trail(world, browser, secrets):
    from accord.store.audit_log import AuditQuery

    china = browser(world.other_token)
    china.get(f"/ui/objects/{secrets['strict']['id']}")
    world.node.reads.flush()
    records = world.node.audit.query(AuditQuery(party_id=world.other.id, action="objects.read",
                                                limit=10))
    assert any(secrets["strict"]["id"] in r.event.object_ids for r in records)
    assert all(secrets["red"]["id"] not in r.event.object_ids for r in records)


def test_an_object_tightened_beyond_a_party_takes_its_older_versions_with_it(world, client,
                                                                             browser):
    d = world.node.directory
    shared = d.create_collection("Shared", read=[world.own, world.other], write=[world.own])
    first = indicator(40, "Old Secret Name", "203.0.113.40", world.own.id, Tlp.AMBER)
    tightened = {**first, "modified": "2020-02-01T00:00:00.000Z", "name": "Now Red",
                 "object_marking_refs": [MARKING_FOR[Tlp.RED]]}
    for version in (first, tightened):
        r = client.post(f"/taxii2/accord/collections/{shared.id}/objects/",
                        content=orjson.dumps({"objects": [version]}),
                        headers={"Content-Type": TAXII})
        assert r.json()["success_count"] == 1, r.text
    china = browser(world.other_token)
    assert_not_found_like_nothing(china, first)
    assert_never_shown(china, [first])
    us = browser(world.admin_token)
    page = us.get(f"/ui/objects/{first['id']}")
    assert page.status_code == 200 and "Now Red" in page.text
    assert "Versions <span class=\"count\">2</span>" in page.text
