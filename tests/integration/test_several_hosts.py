"""Several hosts on one PostgreSQL database, acting at the same moment: each host is a node of
its own (engine, pool, watcher, hotline), as separate `accord serve` processes are. What must
happen once happens once, and nothing fails because another host did the same thing."""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from tests.integration.cooperation.test_desk import EVIDENCE, T0, Clock, draft
from tests.integration.hosts import at_once, hosts, write_audit_records
from tests.integration.web.test_screening_flags import SUPPLIER, identity

from accord.attribution.arrivals import flags, screen_arrivals
from accord.attribution.record import AttributionRecord, DesignationDraft
from accord.cooperation.desk import REQUESTS_ALIAS, Actor, Desk
from accord.cooperation.escalating import escalation_id
from accord.cooperation.hotline import Hotline
from accord.store.engine import writing
from accord.store.schema import collections, objects, outbox, permissions
from accord.store.settled import settled_seq
from accord.trust.access import Grant
from accord.trust.audit import verify

HOSTS = 4
ROOT = Path(__file__).parents[2]

pytestmark = pytest.mark.postgres


@pytest.fixture
def db_url(pg_url: str) -> str:
    """One PostgreSQL schema for every host (SQLite has one writer at a time anyway)."""
    return pg_url


def _requests(world, clock: Clock, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    """`count` urgent requests of the US to China, made at T0, with both hotlines set."""
    for party in (world.own, world.other):
        Hotline(world.node.engine).set_contact(party.id, f"https://{party.id}.example/hotline")
    world.node.objects.add(world.evidence.id, [EVIDENCE], poster_id=world.own.id)
    desk = Desk(world.node, clock)
    return [desk.create(Actor(world.own), draft(world, EVIDENCE["id"])).request.id
            for _ in range(count)]


def test_a_passed_deadline_is_escalated_once_however_many_hosts_watch(world, db_url):
    clock = Clock(T0)
    made = _requests(world, clock, 5)
    clock.advance(days=2)  # past the acknowledgement deadline of every one

    for _ in range(3):  # ticks of every host, again and again
        with hosts(db_url, HOSTS) as nodes:
            reported = at_once([Desk(node, clock).watch for node in nodes])
        if _ == 0:
            # Each escalation reported by the one host that made it, none by the others.
            assert sorted(e for found in reported for e in found) == sorted(
                escalation_id(r, "acknowledgement-overdue") for r in made)
        else:
            assert reported == [[]] * HOSTS

    desk = Desk(world.node, clock)
    for request_id in made:
        view = desk.view(None, request_id)
        assert [e.escalation.reason for e in view.escalations] == ["acknowledgement-overdue"]
    with world.node.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(outbox)).scalar() == 2 * len(made)


def test_the_hotline_outbox_is_delivered_once_by_hosts_delivering_at_once(world, db_url):
    clock = Clock(T0)
    made = _requests(world, clock, 6)
    clock.advance(days=2)
    assert len(Desk(world.node, clock).watch()) == len(made)
    sent: Counter[str] = Counter()

    def webhook(request: httpx.Request) -> httpx.Response:
        sent[request.headers["Idempotency-Key"]] += 1
        return httpx.Response(204)

    with hosts(db_url, HOSTS) as nodes:
        delivered = at_once([
            lambda node=node: Hotline(node.engine, httpx.MockTransport(webhook),
                                      clock).deliver_due(clock())  # type: ignore[misc]
            for node in nodes])
    assert sum(delivered) == 2 * len(made)
    assert len(sent) == 2 * len(made) and set(sent.values()) == {1}, \
        "a notification was sent more than once"


def test_the_first_requests_made_on_several_hosts_at_once_share_one_collection(world, db_url):
    world.node.objects.add(world.evidence.id, [EVIDENCE], poster_id=world.own.id)
    with hosts(db_url, HOSTS) as nodes:
        views = at_once([
            lambda node=node: Desk(node).create(  # type: ignore[misc]
                Actor(node.directory.party(world.own.id)), draft(world, EVIDENCE["id"]))
            for node in nodes])
    assert len({v.request.id for v in views}) == HOSTS
    with world.node.engine.connect() as conn:
        made = conn.execute(select(collections.c.id).where(
            collections.c.alias == REQUESTS_ALIAS)).scalars().all()
    assert len(made) == 1
    assert len(Desk(world.node).search(Actor(world.other))) == HOSTS


def test_the_same_permission_granted_on_several_hosts_at_once_is_granted_once(world, db_url):
    for round_ in range(5):
        collection = world.node.directory.create_collection(
            f"Shared {round_}", read=[world.own], write=[world.own])
        with hosts(db_url, HOSTS) as nodes:
            at_once([lambda node=node, cid=collection.id: node.directory.grant(  # type: ignore[misc]
                cid, world.other, Grant(True, False)) for node in nodes])
        with world.node.engine.connect() as conn:
            rows = conn.execute(select(permissions.c.can_read, permissions.c.can_write).where(
                permissions.c.collection_id == collection.id,
                permissions.c.party_id == world.other.id)).all()
        assert [tuple(r) for r in rows] == [(True, False)]


def test_a_setting_stored_once_on_several_hosts_at_once_keeps_the_first(world, db_url):
    with hosts(db_url, HOSTS) as nodes:
        kept = at_once([lambda node=node, n=n: node.directory.setting_once(  # type: ignore[misc]
            "node_key_test", f"value of host {n}") for n, node in enumerate(nodes)])
    assert len(set(kept)) == 1 and world.node.directory.setting("node_key_test") == kept[0]


def test_the_audit_chain_stays_one_chain_under_writers_in_several_processes(
        world, db_url, monkeypatch):
    # The processes import this test's helpers (tests.integration.hosts) from the checkout:
    # spawned, they take the parent's sys.path.
    monkeypatch.syspath_prepend(str(ROOT))
    before = sum(1 for _ in world.node.audit.records())
    each = 40
    spawn = multiprocessing.get_context("spawn")  # fresh processes, as separate hosts are
    with ProcessPoolExecutor(HOSTS, mp_context=spawn) as pool:
        written = list(pool.map(write_audit_records, [db_url] * HOSTS, range(HOSTS),
                                [each] * HOSTS, timeout=300))
    assert written == [each] * HOSTS
    verdict = verify(world.node.audit.records())
    assert verdict.is_intact, f"the chain broke at {verdict.broken_at}: {verdict.reason}"
    assert verdict.records == before + HOSTS * each
    assert world.node.audit.index_disagreement() is None
    assert world.node.objects.count(world.evidence.id) == HOSTS * each // 2


def test_a_watcher_tick_that_finds_the_escalation_made_reports_nothing(world, db_url):
    """Once one host escalated, another host's later tick neither makes nor reports it."""
    clock = Clock(T0)
    (request_id,) = _requests(world, clock, 1)
    clock.advance(days=2)
    with hosts(db_url, 2) as (first, second):
        assert Desk(first, clock).watch() == [escalation_id(request_id,
                                                            "acknowledgement-overdue")]
        clock.advance(seconds=1)
        assert Desk(second, clock).watch() == []


def test_the_settled_seq_waits_for_an_object_another_host_is_still_writing(world, db_url):
    """The screening cursor moves to the settled seq: never past an object still being
    written, though a later one (a higher seq) is committed already."""
    later = dict(EVIDENCE, id="indicator--00000000-0000-4000-8000-0000000000b2")
    with hosts(db_url, 2) as (first, second), writing(first.engine) as slow:
        first.objects.add_in(slow, world.evidence.id, [EVIDENCE], poster_id=world.own.id)
        held = slow.execute(select(func.max(objects.c.seq))).scalar()
        other = second.directory.create_collection("Other", read=[world.own],
                                                   write=[world.own])
        second.objects.add(other.id, [later], poster_id=world.own.id)  # committed first
        assert settled_seq(second.engine, patience=0.3) is None  # the first is under way
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(settled_seq, second.engine, 10.0)
            time.sleep(0.5)
            assert not waiting.done()
            slow.commit()
            assert waiting.result(timeout=10) >= held


def test_an_arrival_screened_by_several_hosts_at_once_is_flagged_once(world, db_url):
    designation = AttributionRecord(world.node).designate(Actor(world.own), DesignationDraft(
        "Sichuan Silence Information Technology Company, Limited", "organization",
        "E.O. 13694", share_with=(world.own.id,)))
    world.node.objects.add(world.evidence.id, [
        identity("Sichuan Silence Information Technology Co., Ltd."),
        identity("Acme Widgets Inc.", "identity--6b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e")],
        poster_id=world.own.id)
    with hosts(db_url, HOSTS) as nodes:
        found = at_once([lambda node=node: screen_arrivals(node)  # type: ignore[misc]
                         for node in nodes])
    assert sum(len(f) for f in found) == 1
    [flag] = flags(world.node)
    assert (flag.object_id, flag.designation_id) == (SUPPLIER, designation.id)


def test_hosts_started_together_on_an_empty_database_make_one_node(pg_url):
    # Two `accord serve --party …` on a new database both found no node and made one each:
    # two parties "this node's own", one's tokens and collections, the other's title.
    from accord.node import initialise_once, open_node
    from accord.store.schema import parties

    open_node(pg_url).engine.dispose()  # the schema, as the first host's migration makes it
    for round_ in range(3):
        with hosts(pg_url, HOSTS) as nodes:
            made = at_once([lambda node=node, name=f"CERT {round_}.{n}": initialise_once(
                node, name) for n, node in enumerate(nodes)])  # type: ignore[misc]
        own = {party.id for party, _ in made}
        tokens = [token for _, token in made if token is not None]
        assert len(own) == 1 and len(tokens) == (1 if round_ == 0 else 0)
        with hosts(pg_url, 1) as [node], node.engine.connect() as conn:
            assert conn.execute(select(func.count()).where(parties.c.is_self)).scalar() == 1
            assert conn.execute(select(func.count()).select_from(collections)).scalar() == 1
