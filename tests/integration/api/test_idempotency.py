"""`Idempotency-Key` on the REST API's operations whose retry would make something twice: a
retry is answered as the first request was and makes nothing more; the key is its party's
own; a key reused for another request, or one that cannot be a key, is refused naming it."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from tests.integration.attribution.test_api import claim, third  # noqa: F401 (fixtures)
from tests.opm import OPM

from accord.store import idempotency
from accord.store.audit_log import AuditQuery
from accord.store.guidelines import GuidelinesStore
from accord.store.quotas import Quotas
from accord.store.schema import idempotency_keys, objects

API = "/api/v1"
KEY = "Idempotency-Key"
# Every operation that takes a key, and none that can be done only once (a retry of those is
# refused as done already).
KEYED = {("post", "/requests"), ("post", "/requests/{request_id}/status-reports"),
         ("post", "/requests/{request_id}/rating"), ("post", "/requests/{request_id}/escalations"),
         ("post", "/requests/{request_id}/de-escalation"),
         ("post", "/requests/{request_id}/translations"), ("post", "/claims"),
         ("post", "/claims/{claim_id}/positions"), ("post", "/designations")}


def bearer(token, key=None):
    return {"Authorization": f"Bearer {token}", **({KEY: key} if key is not None else {})}


def stored(world, stix_type):
    """How many versions of that type the node holds."""
    with world.node.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(objects)
                            .where(objects.c.type == stix_type)).scalar_one()


@pytest.fixture
def asked(world, third):  # noqa: F811
    """A request's body, to Russia (a request for information that needs no evidence)."""
    GuidelinesStore(world.node.engine).add('[required]\ninformation = []\n',
                                           "2000-01-01T00:00:00.000000Z")
    return {"to": third[0].name, "kind": "information", "category": "intrusion",
            "urgency": "priority", "summary": "Who registered c2.evil.example?"}


@pytest.fixture
def sent(client, world, asked):
    r = client.post(f"{API}/requests", json={**asked, "to": world.other.name})
    assert r.status_code == 201, r.text
    return r.json()


def test_a_retried_request_is_answered_as_the_first_and_stored_once(client, world, asked):
    first = client.post(f"{API}/requests", json=asked, headers={KEY: "retry-1"})
    # The same key as a Structured Field string; the same body, its fields in another order.
    again = client.post(f"{API}/requests", json=dict(reversed(asked.items())),
                        headers={KEY: '"retry-1"'})
    assert first.status_code == again.status_code == 201, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert stored(world, "x-accord-request") == 1
    assert [r["id"] for r in client.get(f"{API}/requests").json()] == [first.json()["id"]]


def test_a_key_is_its_partys_own(client, world, asked, third):  # noqa: F811
    """China sends the same key with the US's body: its own request, not the US's answer."""
    ours = client.post(f"{API}/requests", json=asked, headers={KEY: "shared"})
    theirs = client.post(f"{API}/requests", json=asked,
                         headers=bearer(world.other_token, "shared"))
    assert ours.status_code == theirs.status_code == 201, theirs.text
    assert theirs.json()["id"] != ours.json()["id"]
    assert theirs.json()["requester"]["id"] == world.other.id
    assert "Idempotent-Replayed" not in theirs.headers
    assert stored(world, "x-accord-request") == 2
    # Each party's retry finds its own.
    assert client.post(f"{API}/requests", json=asked,
                       headers={KEY: "shared"}).json()["id"] == ours.json()["id"]
    assert client.post(f"{API}/requests", json=asked, headers=bearer(
        world.other_token, "shared")).json()["id"] == theirs.json()["id"]


def test_a_key_used_for_another_request_is_a_409_naming_it(client, world, asked):
    assert client.post(f"{API}/requests", json=asked, headers={KEY: "k"}).status_code == 201
    other = client.post(f"{API}/requests", json={**asked, "summary": "Something else"},
                        headers={KEY: "k"})
    assert other.status_code == 409
    assert [e["where"] for e in other.json()["errors"]] == [f"header.{KEY}"]
    assert "another request" in other.json()["title"]
    claimed = client.post(f"{API}/claims", headers={KEY: "k"}, json={
        "subject": OPM, "sponsor": "CN", "basis": ["technical-forensics"], "confidence": 80,
        "summary": "APT19 did it."})
    assert claimed.status_code == 409  # another operation, the same key
    assert stored(world, "x-accord-request") == 1


@pytest.mark.parametrize(("given", "why"), [
    ("x" * 256, "256 characters"),
    ("", "empty"),
    ('"unterminated\\"', "Structured Field"),
    ('"a"b"', "Structured Field"),
    ("clé".encode(), "printable ASCII"),
    ("tab\there", "printable ASCII"),
])
def test_a_key_that_cannot_be_one_is_a_400_naming_the_header(client, world, asked, given, why):
    r = client.post(f"{API}/requests", json=asked, headers={KEY: given})
    assert r.status_code == 400, r.text
    assert [e["where"] for e in r.json()["errors"]] == [f"header.{KEY}"]
    assert why in r.json()["title"]
    assert stored(world, "x-accord-request") == 0


def test_a_key_given_twice_is_a_400_and_the_longest_key_is_one(client, world, asked):
    twice = client.post(f"{API}/requests", json=asked, headers=[
        ("Authorization", f"Bearer {world.admin_token}"), (KEY, "a"), (KEY, "b")])
    assert twice.status_code == 400 and "more than once" in twice.json()["title"]
    longest = client.post(f"{API}/requests", json=asked, headers={KEY: "~ x" + "y" * 252})
    assert longest.status_code == 201, longest.text


def test_requests_with_one_key_at_once_make_one(client, world, asked):
    """Four at once (the client's retries while the first is still being made): one request
    made, every one answered with it."""
    start, answers = threading.Barrier(4), []

    def send() -> None:
        start.wait()
        answers.append(client.post(f"{API}/requests", json=asked, headers={KEY: "at-once"}))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [a.status_code for a in answers] == [201] * 4, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert sorted("Idempotent-Replayed" in a.headers for a in answers) == [False] + [True] * 3
    assert stored(world, "x-accord-request") == 1


def test_a_refused_request_keeps_no_key(client, world, asked):
    """The key is written in the transaction of what it makes: refused there (over quota),
    neither is kept, and the corrected retry with the same key is made."""
    Quotas(world.node.engine).set_quota(world.own.id, 0)
    refused = client.post(f"{API}/requests", json=asked, headers={KEY: "k"})
    assert refused.status_code == 400 and "over quota" in refused.json()["title"]
    with world.node.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(idempotency_keys)).scalar_one() == 0
    Quotas(world.node.engine).set_quota(world.own.id, None)
    made = client.post(f"{API}/requests", json=asked, headers={KEY: "k"})
    assert made.status_code == 201 and "Idempotent-Replayed" not in made.headers
    again = client.post(f"{API}/requests", json=asked, headers={KEY: "k"})
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == made.json()["id"]
    assert stored(world, "x-accord-request") == 1


def test_a_party_at_the_most_keys_is_told_when_to_retry_and_nothing_is_made(
        client, world, asked, monkeypatch):
    monkeypatch.setattr(idempotency, "MOST_KEYS", 1)
    assert client.post(f"{API}/requests", json=asked, headers={KEY: "1"}).status_code == 201
    full = client.post(f"{API}/requests", json={**asked, "summary": "2"}, headers={KEY: "2"})
    assert full.status_code == 429, full.text
    assert 0 < int(full.headers["Retry-After"]) <= 24 * 3600
    assert stored(world, "x-accord-request") == 1
    assert client.post(f"{API}/requests", json=asked, headers={KEY: "1"}).status_code == 201
    unkeyed = client.post(f"{API}/requests", json={**asked, "summary": "2"})
    assert unkeyed.status_code == 201 and stored(world, "x-accord-request") == 2


def test_a_token_that_may_not_act_learns_nothing_of_a_key(client, world, asked):
    made = client.post(f"{API}/requests", json=asked, headers={KEY: "k"})
    reader = world.node.directory.create_token(world.own, role="reader")
    refused = client.post(f"{API}/requests", json=asked, headers=bearer(reader, "k"))
    assert refused.status_code == 403 and "Idempotent-Replayed" not in refused.headers
    again = client.post(f"{API}/requests", json=asked, headers={KEY: "k"})
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == made.json()["id"]


def test_a_replay_is_audited_with_its_key(client, world, asked):
    made = client.post(f"{API}/requests", json=asked, headers={KEY: "audited"}).json()
    client.post(f"{API}/requests", json=asked, headers={KEY: "audited"})
    world.node.reads.flush()
    [record] = world.node.audit.search(AuditQuery(action="idempotency.replay")).records
    assert record.event.party_id == world.own.id
    assert record.event.object_ids == (made["id"],)
    assert record.event.detail == {"key": "audited", "operation": "POST /api/v1/requests"}


def test_every_keyed_act_is_made_once(client, world, sent, claim):  # noqa: F811
    """Each operation whose retry would make a second entry, sent twice with one key."""
    rid, cn = sent["id"], world.other_token

    def twice(path, body, stix_type, token=world.admin_token, status=200):
        before = stored(world, stix_type)
        first = client.post(f"{API}{path}", json=body, headers=bearer(token, path))
        again = client.post(f"{API}{path}", json=body, headers=bearer(token, path))
        assert first.status_code == again.status_code == status, again.text
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["id"] == first.json()["id"], path
        assert stored(world, stix_type) == before + 1, path
        return first.json()

    twice(f"/requests/{rid}/status-reports", {"text": "working on it"},
          "x-accord-status-report", cn)
    twice(f"/requests/{rid}/translations", {"lang": "zh-Hans", "texts": {"summary": "谁注册的"}},
          "language-content", cn, status=201)
    client.post(f"{API}/requests/{rid}/escalations", json={"note": "first"})
    twice(f"/requests/{rid}/escalations", {"note": "again"}, "x-accord-escalation")
    # Two escalations open: a retried de-escalation would end the second.
    ended = twice(f"/requests/{rid}/de-escalation", {"reason": "they answered by phone"},
                  "x-accord-de-escalation")
    assert ended["state"] == "escalated"
    client.post(f"{API}/requests/{rid}/response", headers=bearer(cn),
                json={"outcome": "declined", "reason": "not ours"})
    twice(f"/requests/{rid}/rating", {"score": 2}, "x-accord-rating")
    twice(f"/claims/{claim['id']}/positions", {"position": "deny", "text": "Groundless."},
          "opinion", cn, status=201)
    twice("/designations", {"name": "Example Tech Ltd", "kind": "organization",
                            "legal_basis": "Executive Order 13694"},
          "x-accord-designation", status=201)


def test_the_openapi_description_declares_the_key_where_it_is_taken(client):
    spec = client.get(f"{API}/openapi.json").json()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
            if (method, path) in KEYED:
                assert headers == [KEY], (method, path)
                responses = operation["responses"]
                success = next(s for s in responses if s.startswith("2"))
                assert "Idempotent-Replayed" in responses[success]["headers"]
                assert KEY in responses["409"]["description"]
                assert KEY in responses["429"]["description"]
            else:
                assert KEY not in headers, (method, path)
