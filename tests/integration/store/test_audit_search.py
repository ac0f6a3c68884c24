"""A search of the audit trail finds exactly the matching records, newest first, page after
page, whichever criterion drives it (store.audit_search); and no search looks at more than
its bound of records: where it stops it says so, and the next page goes on from there."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from sqlalchemy import insert

from accord.store.audit_log import AuditLog, AuditQuery
from accord.store.audit_search import AuditPage, search
from accord.store.engine import writing
from accord.store.schema import parties, people
from accord.store.schema import tokens as token_rows
from accord.trust.audit import Event, Record

PARTIES = ("identity--us", "identity--cn", None)
ACTIONS = ("objects.read", "objects.add", "auth", "auth.refused", "auth.throttled",
           "authority.granted", "request.escalate")
OBJECTS = ("indicator--a", "indicator--b", "report--c")
COLLECTIONS = ("collection-1", "collection-2", None)


def _trail(log: AuditLog, tokens: list[str], count: int = 600) -> list[Record]:
    """`count` records of mixed actions, parties, tokens, objects and times, appended in a few
    appends (as the buffer does); then the whole trail, oldest first."""
    rng = random.Random(14)
    events = []
    for n in range(count):
        # Times mostly follow the trail, a few late (appended after the database was away).
        minute = n // 10 if rng.random() > 0.05 else max(0, n // 10 - 30)
        events.append(Event(f"2026-12-04T{minute // 60:02d}:{minute % 60:02d}:00.000Z",
                            rng.choice(ACTIONS), rng.choice(PARTIES), rng.choice(tokens),
                            rng.choice(COLLECTIONS),
                            tuple(rng.sample(OBJECTS, rng.randint(0, 2)))))
    for start in range(0, count, 97):
        log.append(events[start:start + 97])
        log.index_new()  # each append indexed as its own batch: rows of many sizes
    return list(log.records())


def _matches(record: Record, query: AuditQuery, person_tokens: set[str]) -> bool:
    e = record.event
    return ((query.party_id is None or e.party_id == query.party_id)
            and (query.person_id is None or e.token_id in person_tokens)
            and (query.object_id is None or query.object_id in e.object_ids)
            and (query.collection_id is None or e.collection_id == query.collection_id)
            and (query.action is None or e.action == query.action
                 or e.action.startswith(f"{query.action}."))
            and (query.since is None or e.at >= query.since)
            and (query.until is None or e.at <= query.until))


def _every_page(log: AuditLog, query: AuditQuery, walked: int) -> tuple[list[int], int]:
    """The seqs of every page, following next_before; and how many pages stopped short."""
    seqs: list[int] = []
    stopped = 0
    while True:
        with log.engine.connect() as conn:
            page: AuditPage = search(conn, query, walked=walked)
        assert len(page.records) <= query.limit
        seqs += [r.seq for r in page.records]
        stopped += page.stopped
        if page.next_before is None:
            return seqs, stopped
        assert not page.records or page.next_before <= page.records[-1].seq
        query = replace(query, before=page.next_before)


QUERIES = [
    AuditQuery(),
    AuditQuery(party_id="identity--cn"),
    AuditQuery(action="auth"),
    AuditQuery(action="objects.read"),
    AuditQuery(action="auth", party_id="identity--us"),
    AuditQuery(action="request"),
    AuditQuery(action="nothing.such"),
    AuditQuery(object_id="indicator--b"),
    AuditQuery(object_id="indicator--b", action="objects", party_id="identity--us"),
    AuditQuery(since="2026-12-04T00:20:00.000Z", until="2026-12-04T00:29:00.000Z"),
    AuditQuery(since="2026-12-04T00:50:00.000Z", party_id="identity--cn"),
    AuditQuery(until="2026-12-04T00:05:00.000Z", action="auth"),
    AuditQuery(person_id="person"),
    AuditQuery(person_id="person", action="objects"),
    AuditQuery(collection_id="collection-2"),
    AuditQuery(collection_id="collection-1", action="auth", party_id="identity--cn"),
    AuditQuery(collection_id="collection-2", object_id="indicator--a"),
]


@pytest.mark.parametrize("query", QUERIES, ids=repr)
@pytest.mark.parametrize("walked", [100_000, 40])
def test_the_pages_of_a_search_hold_every_matching_record_once_newest_first(
        log, query, walked):
    tokens = [f"token-{n}" for n in range(6)]
    person_tokens = {"token-1", "token-4"}
    _person(log, "person", person_tokens)
    trail = _trail(log, tokens)
    expected = [r.seq for r in reversed(trail) if _matches(r, query, person_tokens)]
    for limit in (7, 1000):
        found, stopped = _every_page(log, replace(query, limit=limit), walked)
        assert found == expected
        if walked == 100_000:
            assert stopped == 0


def test_a_search_is_driven_by_its_rarest_criterion_and_stops_at_its_bound(log):
    log.append([Event("2026-12-04T01:00:00.000Z", "request.escalate", "identity--cn",
                      "token-1", None, ())] * 3)
    log.append([Event("2026-12-04T01:00:01.000Z", "objects.read", "identity--us",
                      "token-2", "c", ("indicator--a",))] * 3000)
    log.append([Event("2026-12-04T01:00:02.000Z", "request.send", "identity--cn",
                      "token-1", None, ())] * 3000)
    with log.engine.connect() as conn:
        # Driven by the action: found below 6,000 newer records though it may look at 10.
        page = search(conn, AuditQuery(action="request.escalate"), walked=10)
        assert [r.seq for r in page.records] == [3, 2, 1]
        assert page.next_before is None and not page.stopped
        # The party's 3 escalations, not 3,000 reads, sifted by action.
        escalated = search(conn, AuditQuery(action="request.escalate", party_id="identity--cn"),
                           walked=10)
        assert [r.seq for r in escalated.records] == [3, 2, 1] and not escalated.stopped
        # Two criteria of 3,000 records each, none meeting both: the search stops at its
        # bound, in the records of one of them, and says where to go on.
        sifted = search(conn, AuditQuery(action="objects", party_id="identity--cn"),
                        walked=500)
        assert sifted.records == [] and sifted.stopped
        assert sifted.next_before == 3003 - 500 + 1  # the reads reach further back
        # A time range holding few records is read from the time index.
        timed = search(conn, AuditQuery(until="2026-12-04T01:00:00.500Z"), walked=10)
        assert [r.seq for r in timed.records] == [3, 2, 1] and not timed.stopped


def test_a_person_with_more_tokens_than_a_statement_merges_is_still_searched(log):
    many = {f"token-{n:03d}" for n in range(150)}
    _person(log, "machine", many)
    log.append([Event("2026-12-04T01:00:00.000Z", "objects.read", "identity--us",
                      f"token-{n:03d}", "c", ()) for n in range(300)])
    found = log.query(AuditQuery(person_id="machine", limit=1000))
    assert [r.seq for r in found] == list(range(150, 0, -1))


def _person(log: AuditLog, person: str, tokens: set[str]) -> None:
    """A person of the party identity--us holding `tokens`."""
    made = "2026-12-04T00:00:00.000Z"
    with writing(log.engine) as conn:
        if conn.execute(parties.select().where(parties.c.id == "identity--us")).first() is None:
            conn.execute(insert(parties).values(id="identity--us", name="US", created=made,
                                                is_self=True, identity=b"{}"))
        conn.execute(insert(people).values(id=person, party_id="identity--us", name=person,
                                           kind="person", created=made))
        for token in sorted(tokens):
            conn.execute(insert(token_rows).values(id=token, party_id="identity--us",
                                                   digest=f"digest-{token}", role="analyst",
                                                   created=made, person_id=person))


def test_an_object_named_by_long_appends_is_read_no_further_than_the_bound(log, monkeypatch):
    from accord.store import audit_log, audit_search

    monkeypatch.setattr(audit_log, "LISTED_A_ROW", 50)  # each index row lists 50 records
    for _ in range(40):
        log.append([Event("2026-12-04T01:00:00.000Z", "objects.read", "identity--us",
                          "token-1", "c", ("indicator--a",))] * 50)
    log.index_new()  # search() reads the index as it is (AuditLog.search brings it up first)
    parsed: list[int] = []
    listed = audit_search.listed_seqs
    monkeypatch.setattr(audit_search, "listed_seqs",
                        lambda *a, **k: parsed.append(len(got := listed(*a, **k))) or got)
    with log.engine.connect() as conn:
        page = search(conn, AuditQuery(object_id="indicator--a", party_id="identity--cn"),
                      walked=300)
        assert page.records == [] and page.stopped and page.looked == 300
        assert sum(parsed) <= 300 + 2 * 50 * 4  # a row cut short is read again, a few times
        parsed.clear()
        newest = search(conn, AuditQuery(object_id="indicator--a", limit=3))
        assert [r.seq for r in newest.records] == [2000, 1999, 1998] and sum(parsed) <= 50


def test_an_action_is_matched_case_and_all_whichever_criterion_drives(log):
    log.append([Event("2026-12-04T01:00:00.000Z", "objects.read", "identity--us", "token-1",
                      "c", ("indicator--a",))] * 3)
    assert log.query(AuditQuery(action="Objects")) == []
    assert log.query(AuditQuery(action="Objects", object_id="indicator--a")) == []
    assert len(log.query(AuditQuery(action="objects", object_id="indicator--a"))) == 3
    with log.engine.connect() as conn:
        empty = search(conn, AuditQuery(limit=0, before=3))
    assert empty.records == [] and empty.next_before is None
