"""Request summaries follow their ledgers: every kind of act, a peer's entry, the watcher; a
rebuild gives what the appends gave; the check finds a tampered summary; a party lists only
its own requests, a page at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update
from tests.integration.cooperation.test_desk import T0, Clock

from accord.cooperation.desk import Actor, Desk, Draft
from accord.cooperation.model import Acknowledgement, Request
from accord.cooperation.objects import to_stix
from accord.cooperation.receipts import marked
from accord.cooperation.summary import Filters, state_at
from accord.store.engine import writing
from accord.store.summaries import check, rebuild
from accord.store.summary_reads import BadCursor, SummaryReads
from accord.store.summary_tables import request_readers, request_summaries
from accord.trust.access import Grant

EVIDENCE = {
    "type": "indicator", "spec_version": "2.1",
    "id": "indicator--00000000-0000-4000-8000-000000000001",
    "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
    "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix",
    "valid_from": "2026-01-01T00:00:00Z",
}


@pytest.fixture
def clock():
    return Clock(T0)


@pytest.fixture
def desk(world, clock):
    # An information request must point at evidence (the default guidelines).
    world.node.objects.add(world.evidence.id, [EVIDENCE], poster_id=world.own.id)
    return Desk(world.node, clock)


def ask(world, desk, summary="Who runs the C2 server at 198.51.100.7?", **more):
    return desk.create(Actor(world.own), Draft(world.other.name, "information", "intrusion",
                                               "urgent", summary, evidence=(EVIDENCE["id"],),
                                               **more)).request.id


def listed_state(world, party_id, request_id, now):
    """The state the party's list shows for the request, from its summary alone."""
    page = SummaryReads(world.node.engine).page(party_id, Filters(), now, limit=1000)
    found = [item.summary for item in page.rows if item.summary.request_id == request_id]
    return state_at(found[0], now) if found else None


def agrees(world, desk, request_id, clock):
    """The summary shows what the ledger says, for both parties, and the check finds
    nothing."""
    state = desk.view(None, request_id).state
    for party in (world.own.id, world.other.id):
        assert listed_state(world, party, request_id, clock.now) == state
    assert check(world.node.engine) == []
    return state


def test_the_summary_follows_every_kind_of_act_and_the_watcher(world, desk, clock):
    us, cn = Actor(world.own), Actor(world.other)
    rid = ask(world, desk)
    assert agrees(world, desk, rid, clock) == "submitted"
    desk.acknowledge(cn, rid)
    assert agrees(world, desk, rid, clock) == "acknowledged"
    desk.report(cn, rid, "Looking at the server's logs")
    assert agrees(world, desk, rid, clock) == "in-progress"
    clock.advance(days=4)  # past the response deadline: overdue without any new entry
    assert agrees(world, desk, rid, clock) == "overdue"
    assert desk.watch()  # the watcher's escalation is appended like any act
    assert agrees(world, desk, rid, clock) == "escalated"
    desk.respond(cn, rid, "information-provided", text="A bulletproof host in AS64500")
    assert agrees(world, desk, rid, clock) == "answered"
    desk.rate(us, rid, 4)
    assert agrees(world, desk, rid, clock) == "closed"

    other = ask(world, desk, "Preserve the Tianjin server logs")
    desk.escalate(us, other, note="No word for days")
    assert agrees(world, desk, other, clock) == "escalated"
    desk.de_escalate(us, other, "They are on it")
    desk.withdraw(us, other, "Solved elsewhere")
    assert agrees(world, desk, other, clock) == "withdrawn"

    declined = ask(world, desk, "Take down the panel")
    desk.respond(cn, declined, "declined", reason="Not within our remit")
    assert agrees(world, desk, declined, clock) == "declined"


def test_an_entry_stored_as_sync_stores_a_peers_objects_refreshes_the_summary(
        world, desk, clock):
    rid = ask(world, desk)
    request = desk.view(None, rid).request
    ack = Acknowledgement("x-accord-acknowledgement--00000000-0000-4000-8000-00000000a0c1",
                          rid, world.other.id, T0 + timedelta(hours=1))
    collection = desk.collection()
    world.node.objects.add(collection.id, [marked(to_stix(ack), world.other.id, request)],
                           poster_id=world.other.id, default_tlp=collection.default_tlp)
    assert agrees(world, desk, rid, clock) == "acknowledged"


def test_a_request_stored_alone_is_seen_by_both_its_parties(world, desk, clock):
    # No receipt in the same transaction (its addressee's node adds that): the summary must
    # still know who may see the request, from the marking stored with it.
    request = Request("x-accord-request--00000000-0000-4000-8000-00000000a0c2", T0,
                      world.other.id, world.own.id, "information", "intrusion", "urgent",
                      "Who runs 203.0.113.9?", evidence=(EVIDENCE["id"],))
    collection = desk.collection()
    desk.admit(collection, [world.other.id])  # as sync does for a peer's party
    world.node.objects.add(collection.id, [marked(to_stix(request), world.other.id, request)],
                           poster_id=world.other.id, default_tlp=collection.default_tlp)
    assert agrees(world, desk, request.id, clock) == "submitted"


def test_a_rebuild_gives_what_the_appends_gave(world, desk, clock):
    cn = Actor(world.other)
    ids = [ask(world, desk, f"Request {n}") for n in range(4)]
    desk.acknowledge(cn, ids[0])
    desk.respond(cn, ids[1], "information-provided", text="Here")
    desk.withdraw(Actor(world.own), ids[2])

    def rows():
        with world.node.engine.connect() as conn:
            return (sorted(map(tuple, conn.execute(select(request_summaries)))),
                    sorted(map(tuple, conn.execute(select(request_readers)))))

    appended = rows()
    assert len(appended[0]) == 4 and len(appended[1]) == 8
    assert rebuild(world.node.engine) == 4
    assert rows() == appended


def test_the_check_finds_a_tampered_summary_and_a_rebuild_mends_it(world, desk, clock):
    rid = ask(world, desk)
    engine = world.node.engine
    with writing(engine) as conn:
        conn.execute(update(request_summaries).where(request_summaries.c.request_id == rid)
                     .values(settled_state="closed"))
        conn.execute(delete(request_readers).where(request_readers.c.party_id
                                                   == world.other.id))
    problems = check(engine)
    assert f"request summary {rid}: settled_state is 'closed', the ledger says 'submitted'" \
        in problems
    assert f"reader {world.other.id} of {rid}: missing (the ledger holds it)" in problems
    assert listed_state(world, world.other.id, rid, clock.now) is None
    rebuild(engine)
    assert check(engine) == []
    assert listed_state(world, world.other.id, rid, clock.now) == "submitted"


def test_a_party_lists_only_the_requests_it_is_a_party_to(world, desk, clock):
    directory = world.node.directory
    russia = directory.add_party("Russia")
    france = directory.add_party("France")
    private = ask(world, desk, "Between us")
    shared = ask(world, desk, "France may see this", shared_with=(france.name,))
    reads = SummaryReads(world.node.engine)

    def seen(party):
        return {i.summary.request_id for i in reads.page(party.id, Filters(), clock.now).rows}

    assert seen(world.own) == seen(world.other) == {private, shared}
    assert seen(france) == {shared}
    assert seen(russia) == set()
    assert reads.counts(russia.id, clock.now).by_state == {}
    assert reads.counts(france.id, clock.now).by_state == {"submitted": 1}
    # A party that may no longer read the requests collection lists nothing, not even its own.
    directory.grant(desk.collection().id, world.other, Grant(False, True))
    assert seen(world.other) == set()
    assert reads.counts(world.other.id, clock.now).by_state == {}
    assert reads.needing_action(world.other.id, clock.now, limit=25) == []


def test_lists_come_a_page_at_a_time_newest_first_and_counts_cover_them_all(
        world, desk, clock):
    cn = Actor(world.other)
    ids = []
    for n in range(5):
        ids.append(ask(world, desk, f"Request {n}"))
        clock.advance(minutes=1)
    desk.acknowledge(cn, ids[0])
    reads = SummaryReads(world.node.engine)
    pages, after = [], None
    while True:
        page = reads.page(world.own.id, Filters(), clock.now, limit=2, after=after)
        assert page.total == 5
        pages.append([i.summary.request_id for i in page.rows])
        after = page.after
        if after is None:
            break
    assert pages == [ids[4:2:-1], ids[2:0:-1], ids[0:1]]
    assert reads.page(world.own.id, Filters(state="acknowledged"), clock.now).total == 1
    assert reads.page(world.own.id, Filters(direction="received"), clock.now).total == 0
    counts = reads.counts(world.other.id, clock.now)
    assert counts.by_state == {"submitted": 4, "acknowledged": 1}
    assert (counts.incoming, counts.outgoing) == (5, 0)
    needs = reads.needing_action(world.other.id, clock.now, limit=3)
    assert [i.action for i in needs] == ["Acknowledge"] * 3
    clock.advance(days=2)  # past every acknowledgement deadline but the one met
    assert reads.counts(world.other.id, clock.now).by_state == {"overdue": 4,
                                                                 "acknowledged": 1}
    assert reads.page(world.own.id, Filters(is_overdue=True), clock.now).total == 4
    # What needs the addressee first: the overdue, by deadline, then the one still on time.
    needs = reads.needing_action(world.other.id, clock.now, limit=25)
    assert [i.summary.request_id for i in needs] == [*ids[1:], ids[0]]
    assert [i.action for i in needs] == ["Acknowledge"] * 4 + ["Respond"]
    with pytest.raises(BadCursor):
        reads.page(world.own.id, Filters(), clock.now, after="not-a-cursor")


def test_the_migration_fills_the_summaries_from_the_ledgers_already_held(world, desk, clock):
    from alembic import command
    from alembic.config import Config

    from accord.store.engine import MIGRATIONS, migrate

    rid = ask(world, desk)
    desk.acknowledge(Actor(world.other), rid)
    engine = world.node.engine
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with writing(engine) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0017")  # a node from before the summaries
    migrate(engine)
    assert check(engine) == []
    assert listed_state(world, world.other.id, rid, clock.now) == "acknowledged"


def test_a_bulk_load_of_many_requests_in_one_transaction_is_summarised(world, desk, clock):
    # Past a few dozen requests a transaction locks the summaries table instead of each
    # request (PostgreSQL's lock table would run out on a large import).
    collection = desk.collection()
    desk.admit(collection, [world.other.id])
    requests = [Request(f"x-accord-request--00000000-0000-4000-8000-{n:012x}", T0,
                        world.other.id, world.own.id, "information", "intrusion", "routine",
                        f"Bulk request {n}", evidence=(EVIDENCE["id"],)) for n in range(40)]
    world.node.objects.add(collection.id, [marked(to_stix(r), world.other.id, r)
                                           for r in requests],
                           poster_id=world.other.id, default_tlp=collection.default_tlp)
    assert check(world.node.engine) == []
    counts = SummaryReads(world.node.engine).counts(world.own.id, clock.now)
    assert counts.by_state == {"submitted": 40} and counts.incoming == 40


def test_the_rest_listing_pages_with_a_link_to_the_next_page(world, desk, clock, client):
    ids = []
    for n in range(3):
        ids.append(ask(world, desk, f"Request {n}"))
        clock.advance(minutes=1)
    first = client.get("/api/v1/requests", params={"direction": "sent", "limit": 2})
    assert first.status_code == 200, first.text
    assert [r["id"] for r in first.json()] == [ids[2], ids[1]]
    following = first.links["next"]["url"]
    assert "direction=sent" in following
    second = client.get(following)
    assert [r["id"] for r in second.json()] == [ids[0]] and "link" not in second.headers
    bad = client.get("/api/v1/requests", params={"after": "not-a-cursor"})
    assert bad.status_code == 400 and "cursor" in bad.text


def test_the_dashboard_reads_what_the_lists_read_newest_first(world, desk, clock):
    cn, us = Actor(world.other), Actor(world.own)
    ids = []
    for n in range(5):
        ids.append(ask(world, desk, f"Request {n}"))
        clock.advance(minutes=1)
    # Three answered, waiting for the requester to rate: no deadline left (overdue_after is
    # NULL), so they come newest first from the end of the index.
    for rid in ids[:3]:
        desk.acknowledge(cn, rid)
        desk.respond(cn, rid, "no-information-found")
        clock.advance(minutes=1)
    reads = SummaryReads(world.node.engine)
    mine = reads.dashboard(world.own.id, clock.now, limit=2)
    assert mine.counts == reads.counts(world.own.id, clock.now)
    assert [i.summary.request_id for i in mine.needs] == [ids[2], ids[1]]
    assert [i.action for i in mine.needs] == ["Rate the response"] * 2
    assert [i.summary.request_id for i in mine.outgoing] == [ids[4], ids[3]]
    assert mine.incoming == []
    theirs = reads.dashboard(world.other.id, clock.now, limit=25)
    assert [i.summary.request_id for i in theirs.needs] == [
        i.summary.request_id for i in reads.needing_action(world.other.id, clock.now, limit=25)]
    assert [i.summary.request_id for i in theirs.incoming] == ids[4:2:-1]
    assert [(i.role, i.action) for i in theirs.incoming] == [("addressee", "Acknowledge")] * 2
    assert theirs.outgoing == []
    desk.rate(us, ids[2], 4)
    assert [i.summary.request_id for i in
            reads.dashboard(world.own.id, clock.now, limit=25).needs] == [ids[1], ids[0]]
    # No right to read the requests collection: nothing at all.
    world.node.directory.grant(desk.collection().id, world.other, Grant(False, True))
    nothing = reads.dashboard(world.other.id, clock.now, limit=25)
    assert (nothing.counts.by_state, nothing.needs, nothing.incoming, nothing.outgoing) == (
        {}, [], [], [])
