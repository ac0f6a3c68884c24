"""A party's storage is counted as it adds and removes versions, and its quota stops it alone:
past it, its new objects are refused whole, saying why, while what it holds stays, and its acts
on requests still go through."""

from __future__ import annotations

import orjson
import pytest
from starlette.testclient import TestClient
from tests.integration.store.migrating import upgrade

from accord.app import create_app
from accord.cooperation.desk import Actor, Desk, Draft
from accord.store.checkup import check
from accord.store.engine import open_engine, writing
from accord.store.query import ALL, ObjectQuery
from accord.store.quotas import OverQuota, Quotas, counts_apart, recount
from accord.store.schema import collections, objects, party_storage, party_storage_changes
from accord.trust.access import Grant

TAXII = "application/taxii+json;version=2.1"


def note(n: int, size: int = 1000) -> dict:
    return {"type": "note", "spec_version": "2.1",
            "id": f"note--00000000-0000-4000-8000-{n:012d}",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "content": "x" * size, "object_refs": ["indicator--00000000-0000-4000-8000-"
                                                   "000000000001"]}


def _size(*objs: dict) -> int:
    return sum(len(orjson.dumps(o)) for o in objs)


def _china(world) -> TestClient:  # type: ignore[no-untyped-def]
    world.node.directory.grant(world.evidence.id, world.other, Grant(True, True))
    client = TestClient(create_app(world.node), base_url="http://testserver")
    client.headers.update({"Authorization": f"Bearer {world.other_token}", "Accept": TAXII,
                           "Content-Type": TAXII})
    return client


def _post(client: TestClient, world, *objs: dict) -> dict:  # type: ignore[no-untyped-def]
    answer = client.post(f"/taxii2/accord/collections/{world.evidence.id}/objects/",
                         content=orjson.dumps({"objects": list(objs)}))
    assert answer.status_code == 202, answer.text
    return answer.json()


def test_what_a_party_adds_and_removes_is_counted_in_its_name(world):
    store, quotas = world.node.objects, Quotas(world.node.engine)
    store.add(world.evidence.id, [note(1), note(2, 5000)], poster_id=world.other.id)
    store.add(world.evidence.id, [note(3)], poster_id=world.own.id)
    store.add(world.evidence.id, [note(1)], poster_id=world.other.id)  # already stored
    held = quotas.of([world.own.id, world.other.id])
    assert (held[world.other.id].stored_bytes, held[world.other.id].versions) == (
        _size(note(1), note(2, 5000)), 2)
    assert (held[world.own.id].stored_bytes, held[world.own.id].versions) == (_size(note(3)), 1)
    store.delete(world.evidence.id, note(2)["id"], ObjectQuery(versions=frozenset({ALL})))
    held = quotas.of([world.other.id])[world.other.id]
    assert (held.stored_bytes, held.versions) == (_size(note(1)), 1)


def test_past_its_quota_a_partys_new_objects_are_refused_whole_and_others_go_on(world):
    china = _china(world)
    assert _post(china, world, note(1))["success_count"] == 1
    Quotas(world.node.engine).set_quota(world.other.id, _size(note(1)) + 1500)
    status = _post(china, world, note(1), note(2), note(3))
    # Already stored stays a success; the two new ones would pass the quota: neither stored.
    assert status["success_count"] == 1 and status["failure_count"] == 2
    said = {f["id"]: f["message"] for f in status["failures"]}
    assert set(said) == {note(2)["id"], note(3)["id"]}
    message = said[note(2)["id"]]
    assert "over quota: China (CNCERT/CC) holds" in message and "of its quota of" in message
    assert "none of them was stored" in message
    assert not world.node.objects.exists(world.evidence.id, note(2)["id"])
    assert _post(china, world, note(2))["success_count"] == 1  # one fits
    # The node's own party, with no quota, is not held up.
    us = world.node.objects.add(world.evidence.id, [note(4)], poster_id=world.own.id)
    assert us[0].added
    # A quota lowered below what it holds keeps what it holds, and refuses the next.
    Quotas(world.node.engine).set_quota(world.other.id, 10)
    assert _post(china, world, note(5))["failure_count"] == 1
    assert world.node.objects.exists(world.evidence.id, note(1)["id"])
    # Lifted: stored again.
    Quotas(world.node.engine).set_quota(world.other.id, None)
    assert _post(china, world, note(5))["success_count"] == 1


def test_a_copy_sent_twice_in_a_refused_call_is_refused_too(world):
    china = _china(world)
    Quotas(world.node.engine).set_quota(world.other.id, 10)
    status = _post(china, world, note(1), note(1))
    assert status["success_count"] == 0 and status["failure_count"] == 2


def test_what_removals_give_back_is_taken_in_by_the_next_addition(world):
    store, quotas = world.node.objects, Quotas(world.node.engine)
    store.add(world.evidence.id, [note(1), note(2)], poster_id=world.other.id)
    quotas.set_quota(world.other.id, _size(note(1), note(2)))
    with pytest.raises(OverQuota) as refused:
        store.add(world.evidence.id, [note(3)], poster_id=world.other.id)
    assert [o.stored for o in refused.value.outcomes] == [False]
    store.delete(world.evidence.id, note(2)["id"], ObjectQuery(versions=frozenset({ALL})))
    assert quotas.of([world.other.id])[world.other.id].stored_bytes == _size(note(1))
    assert store.add(world.evidence.id, [note(3)], poster_id=world.other.id)[0].added
    held = quotas.of([world.other.id])[world.other.id]
    assert (held.stored_bytes, held.versions) == (_size(note(1), note(3)), 2)


def _asked(world):  # type: ignore[no-untyped-def]
    """A request of the US to China, with one piece of evidence China may read."""
    evidence = note(9, 100)
    world.node.objects.add(world.evidence.id, [evidence], poster_id=world.own.id)
    world.node.directory.grant(world.evidence.id, world.other, Grant(True, False))
    desk = Desk(world.node)
    made = desk.create(Actor(world.own), Draft(world.other.name, "information", "intrusion",
                                               "priority", "Who runs 198.51.100.7?",
                                               evidence=(evidence["id"],)))
    return desk, made, evidence


def test_a_party_over_its_quota_still_acts_on_requests(world):
    desk, made, evidence = _asked(world)
    Quotas(world.node.engine).set_quota(world.other.id, 0)
    Quotas(world.node.engine).set_quota(world.own.id, 0)
    view = desk.acknowledge(Actor(world.other), made.request.id)
    assert view.acknowledged_at is not None
    view = desk.respond(Actor(world.other), made.request.id, "information-provided", "It is ours.")
    assert view.response is not None
    # Counted all the same.
    assert Quotas(world.node.engine).of([world.other.id])[world.other.id].versions >= 2


def test_acts_past_the_headroom_and_new_requests_past_the_quota_are_refused(
        world, monkeypatch):
    from accord.cooperation.desk import CooperationError
    from accord.store import quotas as quotas_module

    desk, made, evidence = _asked(world)
    quotas = Quotas(world.node.engine)
    quotas.set_quota(world.own.id, 0)
    # A new request is no act: it could be made without end.
    with pytest.raises(CooperationError, match="over quota"):
        desk.create(Actor(world.own), Draft(world.other.name, "information", "intrusion",
                                            "priority", "And 198.51.100.8?",
                                            evidence=(evidence["id"],)))
    quotas.set_quota(world.other.id, 0)
    monkeypatch.setattr(quotas_module, "ACT_HEADROOM", 2000)
    desk.acknowledge(Actor(world.other), made.request.id)
    with pytest.raises(CooperationError, match="over quota"):
        for n in range(10):  # status reports, each some hundreds of bytes
            desk.report(Actor(world.other), made.request.id, f"Still looking ({n}).")
    held = quotas.of([world.other.id])[world.other.id]
    assert held.stored_bytes <= 2000


def test_storage_held_before_quotas_is_counted_by_the_migration(db_url):
    engine = open_engine(db_url)
    try:
        upgrade(engine, "0028")
        bodies = [b'{"a":1}', b'{"b":"' + b"x" * 300 + b'"}', b'{"c":2}']
        with writing(engine) as conn:
            conn.execute(collections.insert().values(id="c1", title="C", description="",
                                                     created="2020-01-01T00:00:00Z"))
            for n, (body, poster) in enumerate(zip(bodies, ["p1", "p1", None], strict=True)):
                conn.execute(objects.insert().values(
                    collection_id="c1", id=f"note--{n}", type="note", spec_version="2.1",
                    version="2020-01-01T00:00:00.000Z", version_key=f"k{n}",
                    date_added=f"2020-01-01T00:00:0{n}.000000Z", is_latest=True, body=body,
                    poster_id=poster))
        upgrade(engine, "head")
        held = Quotas(engine).of(["p1"])["p1"]
        assert (held.stored_bytes, held.versions, held.quota_bytes) == (
            len(bodies[0]) + len(bodies[1]), 2, None)
    finally:
        engine.dispose()


def _counted(world) -> dict[str, tuple[int, int]]:  # type: ignore[no-untyped-def]
    held = Quotas(world.node.engine).of([world.own.id, world.other.id])
    return {p: (s.stored_bytes, s.versions) for p, s in held.items()}


def test_counts_apart_from_the_versions_are_found_and_counted_again(world):
    store, engine = world.node.objects, world.node.engine
    store.add(world.evidence.id, [note(1), note(2, 5000)], poster_id=world.other.id)
    store.add(world.evidence.id, [note(3)], poster_id=world.own.id)
    truth = {world.other.id: (_size(note(1), note(2, 5000)), 2),
             world.own.id: (_size(note(3)), 1)}
    assert counts_apart(engine) == []
    assert "storage" in {f.check for f in check(engine, thorough=True).findings if f.is_ok}
    s = party_storage.c
    with writing(engine) as conn:  # as a bug or a hand edit could leave them
        conn.execute(party_storage.update().where(s.party_id == world.other.id).values(
            stored_bytes=s.stored_bytes + 999))
        conn.execute(party_storage.update().where(s.party_id == world.own.id).values(
            versions=0))
        conn.execute(party_storage_changes.insert().values(
            party_id="identity--no-party-here", changed_bytes=50, versions=1))
    apart = {r.party_id: r for r in counts_apart(engine)}
    assert set(apart) == {world.other.id, world.own.id, "identity--no-party-here"}
    china = apart[world.other.id]
    assert (china.counted_bytes, china.held_bytes) == (truth[world.other.id][0] + 999,
                                                       truth[world.other.id][0])
    assert (apart[world.own.id].counted_versions, apart[world.own.id].held_versions) == (0, 1)
    storage = next(f for f in check(engine, thorough=True).findings if f.check == "storage")
    assert not storage.is_ok and "3 parties counted apart" in storage.summary
    assert any(p.startswith(f"China (CNCERT/CC) ({world.other.id}): counted "
                            f"{truth[world.other.id][0] + 999:,} bytes") for p in storage.problems)
    assert "accord db recount-storage" in storage.problems[-1]
    # Only --thorough reads every version.
    assert "storage" not in {f.check for f in check(engine).findings}

    assert {r.party_id for r in recount(engine)} == set(apart)
    assert counts_apart(engine) == [] and recount(engine) == []
    assert _counted(world) == truth
    # Counting goes on from the right figures.
    store.delete(world.evidence.id, note(2)["id"], ObjectQuery(versions=frozenset({ALL})))
    store.add(world.evidence.id, [note(4)], poster_id=world.other.id)
    assert _counted(world)[world.other.id] == (_size(note(1), note(4)), 2)
    assert counts_apart(engine) == []


def test_changes_in_waiting_are_counted_by_the_check_and_the_recount(world):
    store, engine = world.node.objects, world.node.engine
    store.add(world.evidence.id, [note(1), note(2)], poster_id=world.other.id)
    # A removal's change waits beside the row until the party's next addition.
    store.delete(world.evidence.id, note(2)["id"], ObjectQuery(versions=frozenset({ALL})))
    with engine.connect() as conn:
        assert conn.execute(party_storage_changes.select()).first() is not None
    assert counts_apart(engine) == [] and recount(engine) == []
    with engine.connect() as conn:
        assert conn.execute(party_storage_changes.select()).first() is None
    assert _counted(world)[world.other.id] == (_size(note(1)), 1)
