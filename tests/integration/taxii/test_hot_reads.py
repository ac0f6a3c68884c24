"""The lane of the hot TAXII reads (taxii.hot_reads) answers exactly as the full path does:
the same status, headers and bytes, and the same audit record — or hands the read over."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from accord.app import create_app
from accord.store.audit_log import AuditQuery
from accord.taxii.hot_reads import HotReads
from accord.trust.access import Grant

TAXII = "application/taxii+json;version=2.1"
ROOT = "/taxii2/accord/"
RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
CLEAR = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"


def indicator(n: int, modified: str = "2020-01-01T00:00:00.000Z", **more: Any) -> dict:
    return {"type": "indicator", "spec_version": "2.1",
            "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
            "created": "2020-01-01T00:00:00.000Z", "modified": modified,
            "pattern": f"[ipv4-addr:value = '198.51.100.{n}']", "pattern_type": "stix",
            "valid_from": "2020-01-01T00:00:00Z", **more}


MALWARE = {"type": "malware", "spec_version": "2.1",
           "id": "malware--00000000-0000-4000-8000-000000000001",
           "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
           "name": "PoisonIvy", "is_family": True, "object_marking_refs": [CLEAR]}


@pytest.fixture
def lanes(world, monkeypatch):
    """The node's app with the lane and without it, and the reads the lane answered."""
    answered: list[str] = []
    answer = HotReads._answer

    def spied(self, scope, read):
        found = answer(self, scope, read)
        if found is not None:
            answered.append(scope["path"])
        return found

    monkeypatch.setattr(HotReads, "_answer", spied)
    # No lifespan: the audit buffer is flushed by the test, after each read.
    lane = TestClient(create_app(world.node), base_url="http://testserver")
    full = TestClient(create_app(world.node, hot_reads=False), base_url="http://testserver")
    admin = {"Authorization": f"Bearer {world.admin_token}", "Accept": TAXII}
    posted = lane.post(f"{ROOT}collections/{world.evidence.id}/objects/", headers={
        **admin, "Content-Type": TAXII}, content=orjson.dumps({"objects": [
            indicator(1), indicator(1, "2021-01-01T00:00:00.000Z"), indicator(2),
            indicator(3, object_marking_refs=[RED]), MALWARE]}))
    assert posted.status_code == 202 and posted.json()["success_count"] == 5
    world.node.directory.grant(world.evidence.id, world.other, Grant(True, False))
    world.node.reads.flush()
    return lane, full, answered


def _newest(world) -> tuple[Any, ...] | None:
    """The audit trail's newest record (its seq, then what it says), once the reads are in."""
    world.node.reads.flush()
    found = list(world.node.audit.query(AuditQuery(limit=1)))
    if not found:
        return None
    e = found[0].event
    return (found[0].seq, e.action, e.party_id, e.token_id, e.collection_id, e.object_ids,
            e.detail)


def _compare(world, lanes, path: str, params: dict[str, str] | None = None,
             headers: Any = None):
    """The read asked of both apps: the same answer, and the same record of it (if any)."""
    lane, full, answered = lanes
    before = len(answered)
    start = _newest(world)
    said_full = full.get(path, params=params, headers=headers)
    by_full = _newest(world)
    said_lane = lane.get(path, params=params, headers=headers)
    by_lane = _newest(world)
    assert said_lane.status_code == said_full.status_code
    assert said_lane.headers.multi_items() == said_full.headers.multi_items()
    assert said_lane.content == said_full.content
    if by_full == start:  # the full path recorded nothing: nor did the lane's
        assert by_lane == by_full
    else:  # one record each, saying the same (at its own place in the trail)
        assert by_lane is not None and by_full is not None and by_lane[0] == by_full[0] + 1
        assert by_lane[1:] == by_full[1:]
    return said_lane, len(answered) > before


def _admin(world) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.admin_token}", "Accept": TAXII}


def _other(world) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.other_token}", "Accept": TAXII}


def objects_url(world, suffix: str = "") -> str:
    return f"{ROOT}collections/{world.evidence.id}/objects/{suffix}"


ONE = "indicator--00000000-0000-4000-8000-000000000001"
HIDDEN = "indicator--00000000-0000-4000-8000-000000000003"


@pytest.mark.parametrize("params", [
    None, {"limit": "2"}, {"match[type]": "indicator"}, {"match[type]": "malware,indicator"},
    {"match[id]": ONE}, {"match[version]": "all"}, {"match[version]": "first"},
    {"match[spec_version]": "2.1"}, {"added_after": "2000-01-01T00:00:00.000Z"},
    {"added_after": "2099-01-01T00:00:00.000Z"},  # an empty envelope
])
@pytest.mark.parametrize("reader", ["admin", "other"])
def test_a_page_is_the_full_paths_page(world, lanes, params, reader):
    headers = _admin(world) if reader == "admin" else _other(world)
    said, by_lane = _compare(world, lanes, objects_url(world), params, headers)
    assert said.status_code == 200 and by_lane
    if reader == "other":  # TLP:RED that the other party was not sent stays hidden
        assert HIDDEN not in said.text


def test_paging_on_by_next_reads_the_same_pages(world, lanes):
    said, _ = _compare(world, lanes, objects_url(world), {"limit": "1"}, _admin(world))
    seen = []
    while said.json().get("more"):
        seen += [o["id"] for o in said.json()["objects"]]
        said, by_lane = _compare(world, lanes, objects_url(world),
                                 {"limit": "1", "next": said.json()["next"]}, _admin(world))
        assert by_lane
    seen += [o["id"] for o in said.json().get("objects", [])]
    assert len(seen) == 4 == len(set(seen))  # every object once, its last version


@pytest.mark.parametrize("params", [
    None, {"match[version]": "all"}, {"match[version]": "first"},
    {"match[version]": "2021-01-01T00:00:00.000Z"}, {"match[spec_version]": "2.1"},
])
def test_an_object_by_id_is_the_full_paths(world, lanes, params):
    said, by_lane = _compare(world, lanes, objects_url(world, f"{ONE}/"), params, _admin(world))
    assert said.status_code == 200 and by_lane
    assert {o["id"] for o in said.json()["objects"]} == {ONE}


# Past the token and the grant, the lane answers what the read finds, errors too; before
# them, the full path answers (and counts a failed token).
@pytest.mark.parametrize(("path", "params", "headers", "status", "lane"), [
    ("{objects}indicator--00000000-0000-4000-8000-000000000099/", None, "admin", 404, True),
    ("{objects}" + HIDDEN + "/", None, "other", 404, True),  # not sent to it: as if not there
    ("{objects}" + ONE + "/", {"match[version]": "1999-01-01T00:00:00.000Z"}, "admin", 404,
     True),
    ("{objects}" + ONE + "/", {"match[type]": "indicator"}, "admin", 400, True),
    ("{objects}", {"limit": "0"}, "admin", 400, True),
    ("{objects}", {"limit": "ten"}, "admin", 400, True),
    ("{objects}", {"limit": ["1", "2"]}, "admin", 400, True),
    ("{objects}", {"match[colour]": "red"}, "admin", 400, True),
    ("{objects}", {"match[type]": "Not A Type"}, "admin", 400, True),
    ("{objects}", {"next": "forged"}, "admin", 400, True),
    ("{objects}", {"match[id]": "a\x00b"}, "admin", 400, False),
    ("{objects}", None, "none", 401, False),
    ("{objects}", None, "wrong", 401, False),
    ("{objects}", None, "empty-bearer", 401, False),
    ("{objects}", None, "html", 406, False),
    ("/taxii2/other-root/collections/{collection}/objects/", None, "admin", 404, False),
    ("/taxii2/accord/collections/no-such-collection/objects/", None, "admin", 404, False),
])
def test_errors_are_the_full_paths_and_only_a_readers_are_the_lanes(world, lanes, path, params,
                                                                    headers, status, lane):
    said_headers = {
        "admin": _admin(world), "other": _other(world), "none": {"Accept": TAXII},
        "wrong": {"Authorization": "Bearer accord_not-a-token", "Accept": TAXII},
        "empty-bearer": {"Authorization": "Bearer ", "Accept": TAXII},
        "html": {"Authorization": f"Bearer {world.admin_token}", "Accept": "text/html"},
    }[headers]
    url = path.format(objects=objects_url(world), collection=world.evidence.id)
    said, by_lane = _compare(world, lanes, url, params, said_headers)
    assert said.status_code == status and by_lane == lane
    assert said.headers["content-type"] == TAXII and said.json()["http_status"] == str(status)


def test_a_party_that_may_only_write_is_refused_by_the_full_path(world, lanes):
    world.node.directory.grant(world.evidence.id, world.other, Grant(False, True))
    said, by_lane = _compare(world, lanes, objects_url(world), None, _other(world))
    assert said.status_code == 403 and not by_lane


def test_a_failed_token_is_counted_once(world, lanes):
    lane, _, answered = lanes
    wrong = {"Authorization": "Bearer accord_not-a-token", "Accept": TAXII}
    for _ in range(3):
        assert lane.get(objects_url(world), headers=wrong).status_code == 401
    world.node.reads.flush()
    refused = list(world.node.audit.query(AuditQuery(action="auth.refused", limit=10)))
    assert len(refused) == 3 and not answered


@pytest.mark.parametrize(("token", "grant", "status"), [
    ("accord_not-a-token", None, 401), ("other", Grant(False, True), 403),
    ("other", None, 404)])
def test_a_read_handed_over_looks_its_token_up_once(world, lanes, monkeypatch, token, grant,
                                                    status):
    lane, _, answered = lanes
    d = world.node.directory
    d.grant(world.evidence.id, world.other, grant or Grant(False, False))
    looked_up = []
    look_up = d.principal_and_collection

    def counted(*args):
        looked_up.append(args)
        return look_up(*args)

    monkeypatch.setattr(d, "principal_and_collection", counted)
    secret = world.other_token if token == "other" else token
    said = lane.get(objects_url(world), headers={"Authorization": f"Bearer {secret}"})
    assert said.status_code == status and not answered
    assert looked_up == [(secret, world.evidence.id)]


def test_basic_authentication_and_a_token_scheme_take_the_lane_too(world, lanes):
    basic = base64.b64encode(f"me:{world.admin_token}".encode()).decode()
    for authorization in (f"Basic {basic}", f"Token {world.admin_token}"):
        said, by_lane = _compare(world, lanes, objects_url(world), None,
                                 {"Authorization": authorization})
        assert said.status_code == 200 and by_lane


@pytest.mark.parametrize("accept", [
    "application/taxii+json", "application/*", "*/*",
    "application/taxii+json;version=2.1, text/html;q=0.5",
])
def test_accept_lines_that_admit_taxii_take_the_lane(world, lanes, accept):
    said, by_lane = _compare(world, lanes, objects_url(world), None,
                             {"Authorization": f"Bearer {world.admin_token}", "Accept": accept})
    assert said.status_code == 200 and by_lane


def test_head_and_several_lines_of_a_header_go_the_full_path(world, lanes):
    lane, _, answered = lanes
    said = lane.head(objects_url(world), headers=_admin(world))
    assert said.status_code == 200 and said.content == b""
    twice = [("Authorization", f"Bearer {world.admin_token}"), ("Accept", "text/html"),
             ("Accept", TAXII)]
    said = lane.get(objects_url(world), headers=twice)
    assert said.status_code == 200 and said.json()["objects"]
    assert not answered


def test_a_read_that_fails_in_the_lane_is_answered_by_the_full_path(world, lanes, monkeypatch):
    lane, _, answered = lanes
    calls = []
    page = world.node.objects.page

    def failing_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        return page(*args, **kwargs)

    monkeypatch.setattr(world.node.objects, "page", failing_once)
    said = lane.get(objects_url(world), headers=_admin(world))
    assert said.status_code == 200 and len(calls) == 2 and not answered
    world.node.reads.flush()
    reads = list(world.node.audit.query(AuditQuery(action="objects.read", limit=10)))
    assert len(reads) == 1  # recorded once, by the path that answered


@pytest.mark.parametrize("where", ["token", "page"])
def test_a_database_away_is_answered_as_the_full_path_answers_it_and_met_once(
        world, lanes, monkeypatch, where):
    import psycopg
    from sqlalchemy.exc import OperationalError

    lane, full, answered = lanes
    gone = OperationalError("SELECT …", {}, psycopg.OperationalError(
        'connection failed: connection to server at "127.0.0.1", port 5432 failed: '
        "Connection refused"))
    calls = []

    def fail(*_args, **_kwargs):
        calls.append(1)
        raise gone

    target = world.node.directory if where == "token" else world.node.objects
    name = "principal_and_collection" if where == "token" else "page"
    world.node.directory.recent.forget_all()
    monkeypatch.setattr(target, name, fail)
    said_full = full.get(objects_url(world), headers=_admin(world))
    assert len(calls) == 1
    said = lane.get(objects_url(world), headers=_admin(world))
    assert len(calls) == 2  # the lane met it, and did not hand it over to meet it again
    assert said.status_code == said_full.status_code == 503
    assert said.headers.multi_items() == said_full.headers.multi_items()
    assert said.content == said_full.content and answered  # by the lane, in the app's words


def test_a_page_whose_envelope_fails_is_not_recorded(world, lanes, monkeypatch):
    from accord.taxii import resources

    lane, _, answered = lanes
    envelope = resources.envelope
    calls = []

    def failing_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("sealing the next token failed")
        return envelope(*args, **kwargs)

    monkeypatch.setattr(resources, "envelope", failing_once)
    said = lane.get(objects_url(world), headers=_admin(world))
    assert said.status_code == 200 and len(calls) == 2 and not answered
    world.node.reads.flush()
    assert len(list(world.node.audit.query(AuditQuery(action="objects.read", limit=10)))) == 1


def test_a_get_with_a_body_goes_the_full_way(world, lanes):
    lane, full, answered = lanes
    for said in (lane.request("GET", objects_url(world), headers=_admin(world), content=b"hi"),
                 full.request("GET", objects_url(world), headers=_admin(world), content=b"hi")):
        assert said.status_code == 200 and said.json()["objects"]
    assert not answered


def test_every_answer_of_the_lane_is_kept_by_no_cache(world, lanes):
    lane, _, answered = lanes
    for url in (objects_url(world), objects_url(world, f"{ONE}/"),
                objects_url(world, "indicator--00000000-0000-4000-8000-000000000099/")):
        said = lane.get(url, headers=_admin(world))
        assert said.headers.get_list("cache-control") == ["no-store"]
    assert len(answered) == 3
