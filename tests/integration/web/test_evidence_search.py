"""Evidence found by the start of its id, in the new-request form, the response form and the
search page — among what the reader may read only, and never by a prefix too short to mean one."""

from __future__ import annotations

import pytest

from accord.trust.access import Grant

SAKULA = {
    "type": "indicator", "spec_version": "2.1",
    "id": "indicator--7f0b6c1e-2d3a-4b5c-9d8e-000000000001",
    "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
    "name": "Sakula C2", "pattern": "[ipv4-addr:value = '198.51.100.7']",
    "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
}
CAMPAIGN = {"type": "campaign", "spec_version": "2.1",
            "id": "campaign--7f0b6c1e-2d3a-4b5c-9d8e-000000000005",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "name": "Intrusions into OPM's networks"}


@pytest.fixture
def shared(world):
    world.node.objects.add(world.evidence.id, [SAKULA, CAMPAIGN], poster_id=world.own.id)
    world.node.directory.grant(world.evidence.id, world.other, Grant(True, False))


def ids(page, q: str) -> set[str]:
    return {r["id"] for r in page.get("/ui/evidence", params={"q": q}).json()["results"]}


@pytest.mark.parametrize(("q", "expected"), [
    ("indicator--7f0b", {SAKULA["id"]}),  # a type and 4 digits of its UUID
    ("INDICATOR--7F0B6C1E-2D3A", {SAKULA["id"]}),  # pasted in capitals
    ("7f0b6c1e", {SAKULA["id"], CAMPAIGN["id"]}),  # 8 digits of a UUID, any type
    ("7f0b6c1e-2d3a-4b5c-9d8e-00000000000", {SAKULA["id"], CAMPAIGN["id"]}),
    ("campaign--7f0b6c1e", {CAMPAIGN["id"]}),
    ("7f0b6c1", set()),  # 7 digits alone: too short to stand for an id
    ("indicator--7f0", set()),  # 3 after a type: too short
    ("indicator--0000", set()),
])
def test_evidence_is_found_by_the_start_of_its_id(world, browser, shared, q, expected):
    assert ids(browser(world.other_token), q) == expected


def test_a_partial_id_finds_nothing_the_reader_may_not_read(world, browser, shared):
    russia = world.node.directory.add_party("Russia")
    ru = browser(world.node.directory.create_token(russia, role="liaison"))
    for q in ("indicator--7f0b", "7f0b6c1e"):
        assert ids(ru, q) == set()
        page = ru.get("/ui/search", params={"q": q}).text
        assert SAKULA["id"] not in page.replace(f'value="{q}"', "")


def test_the_search_page_finds_by_the_start_of_an_id(world, browser, shared):
    page = browser(world.other_token).get("/ui/search", params={"q": "7f0b6c1e"}).text
    assert f'href="/ui/objects/{SAKULA["id"]}"' in page
    assert f'href="/ui/objects/{CAMPAIGN["id"]}"' in page


def test_the_response_form_has_an_evidence_search(world, browser, shared):
    us = browser(world.admin_token)
    us.get("/ui/requests/new")
    sent = us.post("/ui/requests/new", {
        "to": world.other.id, "kind": "information", "category": "intrusion",
        "urgency": "priority", "summary": "Who operates 198.51.100.7?",
        "evidence": SAKULA["id"]})
    assert sent.status_code == 303
    page = browser(world.other_token).get(sent.headers["location"]).text
    form = page[page.index('action="/ui/requests/'):]
    form = form[form.index("/respond"):]
    assert 'data-search="/ui/evidence"' in form and 'data-target="respond-evidence"' in form
    assert '<ul id="respond-found"' in form and 'id="respond-evidence"' in form
