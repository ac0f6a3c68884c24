"""The audit trail's index of objects keeps one row per object per batch it indexes, listing
the batch's records that name it (migrations 0027, 0035): every question it answers is answered
as if there were a row per record, and `db check` finds any row that says otherwise. Here each
append is indexed as it is made, one batch an append (`_appended`); tests of batches that span
appends are in test_audit_index_behind.py."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from accord.store.audit_log import FIRST_RECORDS, LISTED_A_ROW, AuditLog, AuditQuery
from accord.store.engine import writing
from accord.trust.audit import Event, verify


def _event(n: int, *object_ids: str, party: str = "identity--reader",
           action: str = "objects.read") -> Event:
    return Event(f"2026-12-02T01:00:{n % 60:02d}.{n:06d}Z", action, party, "token-1",
                 "collection-1", object_ids)


def _appended(log: AuditLog, events: list[Event]) -> None:
    """An append, then the index brought up to date, as the node does a moment later."""
    log.append(events)
    log.index_new()


def _rows(engine: Engine) -> list[tuple[str, int, str | None]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT object_id, seq, also FROM audit_objects ORDER BY object_id, seq"))]


def _change(engine: Engine, statement: str) -> None:
    with writing(engine) as conn:
        conn.execute(text(statement))


def _by(who, action: str) -> Event:  # type: ignore[no-untyped-def]
    """`who` (a principal) did `action` to the request entry x-accord-ack--1."""
    return Event("2026-12-02T01:00:00.000Z", action, who.party_id, who.token_id, "c",
                 ("x-accord-ack--1",))


def test_a_page_read_again_and_again_in_one_append_is_one_row_an_object(log):
    # As a poll: the same three objects, 100 times within one flush of the reads.
    _appended(log, [_event(n, "indicator--a", "indicator--b", "indicator--c") for n in range(100)])
    listed = ",".join(str(seq) for seq in range(2, 101))
    assert _rows(log.engine) == [(f"indicator--{x}", 1, listed) for x in "abc"]

    newest = log.query(AuditQuery(object_id="indicator--b", limit=5))
    assert [r.seq for r in newest] == [100, 99, 98, 97, 96]
    assert len(log.query(AuditQuery(object_id="indicator--b", limit=1000))) == 100
    assert log.index_disagreement() is None


def test_records_are_found_newest_first_across_appends_and_sifted_by_the_other_criteria(log):
    _appended(log, [_event(1, "indicator--a"), _event(2, "indicator--a", party="identity--other"),
                _event(3, "indicator--b")])
    _appended(log, [_event(4, "indicator--a"), _event(5, "indicator--b")])
    _appended(log, [_event(6, "indicator--a", party="identity--other"), _event(7, "indicator--a")])

    assert [r.seq for r in log.query(AuditQuery(object_id="indicator--a"))] == [7, 6, 4, 2, 1]
    assert [r.seq for r in log.query(AuditQuery(object_id="indicator--a", limit=3))] == [7, 6, 4]
    theirs = AuditQuery(object_id="indicator--a", party_id="identity--other", limit=10)
    assert [r.seq for r in log.query(theirs)] == [6, 2]
    first = AuditQuery(object_id="indicator--a", party_id="identity--other", limit=1)
    assert [r.seq for r in log.query(first)] == [6]
    assert [r.seq for r in log.query(AuditQuery(object_id="indicator--b"))] == [5, 3]


def test_a_filter_that_matches_an_old_record_far_behind_many_rows_still_finds_it(log):
    _appended(log, [_event(0, "indicator--a", party="identity--early")])
    for n in range(1, 60):  # 59 appends after it, each naming the object
        _appended(log, [_event(n, "indicator--a")])
    early = AuditQuery(object_id="indicator--a", party_id="identity--early", limit=5)
    assert [r.seq for r in log.query(early)] == [1]


def test_who_added_an_object_is_found_among_the_records_an_append_lists(world):
    directory, audit = world.node.directory, world.node.audit
    li = directory.principal(directory.create_token(world.other, name="Li Wei"))
    bot = directory.principal(directory.create_token(world.other))

    # Read twice by a machine account, then added by a person, all in one append: the add
    # is the third record the object's one row names.
    audit.append([_by(bot, "objects.read"), _by(bot, "objects.read"), _by(li, "objects.add")])
    assert audit.people_who_added(["x-accord-ack--1", "x-accord-ack--9"]) == {
        "x-accord-ack--1": (world.other.id, "Li Wei")}


def test_an_index_that_spans_the_check_s_batches_agrees(log):
    _appended(log, [_event(n, "indicator--a", *(["indicator--b"] if n % 3 else []))
                    for n in range(10)])
    _appended(log, [_event(n, "indicator--a") for n in range(10, 14)])
    for batch in (1, 2, 3, 5, 100):
        assert log.index_disagreement(batch=batch) is None


@pytest.mark.parametrize(("tampering", "caught_at"), [
    # a record the row listed, hidden from "who was served indicator--a?"
    ("UPDATE audit_objects SET also = '2,4' WHERE object_id = 'indicator--a'", 3),
    # a record said to name it that does not
    ("UPDATE audit_objects SET also = '2,3,4' WHERE object_id = 'indicator--b'", 2),
    # a list that is no list of later records
    ("UPDATE audit_objects SET also = 'x' WHERE object_id = 'indicator--a'", 1),
    ("UPDATE audit_objects SET also = '4,2,3' WHERE object_id = 'indicator--a'", 1),
    ("UPDATE audit_objects SET also = '1,2,3,4' WHERE object_id = 'indicator--a'", 1),
    ("UPDATE audit_objects SET also = ' 2,+3,4' WHERE object_id = 'indicator--a'", 1),
    # records that are not there
    ("UPDATE audit_objects SET also = '2,3,4,9' WHERE object_id = 'indicator--a'", 9),
])
def test_db_check_finds_a_row_that_lists_other_records(log, tampering, caught_at):
    _appended(log, [_event(n, "indicator--a", *(["indicator--b"] if n in (1, 3) else []))
                for n in range(1, 5)])
    assert log.index_disagreement() is None
    _change(log.engine, tampering)
    assert log.index_disagreement() == caught_at
    assert log.index_disagreement(batch=1) == caught_at


def test_db_check_finds_rows_of_an_object_that_overlap(log):
    # Three appends: rows (a, 1, '2'), (a, 3, '4'), (a, 5). A hand makes the first list 5 and
    # removes the last row: every record is still named once, but newest first the readers
    # would take 4 for the newest record of the object.
    for n in (1, 3, 5):
        _appended(log, [_event(n, "indicator--a")] + ([_event(n + 1, "indicator--a")] if n < 5
                                                  else []))
    assert [r.seq for r in log.query(AuditQuery(object_id="indicator--a", limit=1))] == [5]
    _change(log.engine, "UPDATE audit_objects SET also = '2,5' WHERE seq = 1")
    _change(log.engine, "DELETE FROM audit_objects WHERE seq = 5")
    for batch in (1, 2, 3, 100):
        assert log.index_disagreement(batch=batch) == 3


def test_a_long_append_continues_in_further_rows(log):
    records = LISTED_A_ROW * 2 + 5
    _appended(log, [_event(n, "indicator--a") for n in range(records)])
    with log.engine.connect() as conn:
        firsts = [r[0] for r in conn.execute(text(
            "SELECT seq FROM audit_objects ORDER BY seq"))]
    assert firsts == [1, LISTED_A_ROW + 1, 2 * LISTED_A_ROW + 1]
    assert [r.seq for r in log.query(AuditQuery(object_id="indicator--a", limit=3))] == [
        records, records - 1, records - 2]
    assert len(log.query(AuditQuery(object_id="indicator--a", limit=records + 10))) == records
    assert log.index_disagreement(batch=700) is None


def test_a_query_reads_no_more_records_than_it_returns(log, monkeypatch):
    from accord.store import audit_search

    _appended(log, [_event(n, "indicator--a") for n in range(500)])  # one row lists them all
    made = audit_search.record_of
    decoded: list[int] = []
    monkeypatch.setattr(audit_search, "record_of", lambda row: decoded.append(row.seq) or made(row))
    found = log.query(AuditQuery(object_id="indicator--a", limit=3))
    assert [r.seq for r in found] == [500, 499, 498] and decoded == [500, 499, 498]
    sifted = log.query(AuditQuery(object_id="indicator--a", action="objects.read", limit=2))
    assert [r.seq for r in sifted] == [500, 499]
    assert log.query(AuditQuery(object_id="indicator--a", limit=0)) == []


@pytest.mark.parametrize(("place", "found"), [(FIRST_RECORDS, True), (FIRST_RECORDS + 1, False)])
def test_who_added_is_looked_for_among_the_earliest_records_only(world, place, found):
    directory, audit = world.node.directory, world.node.audit
    li = directory.principal(directory.create_token(world.other, name="Li Wei"))
    bot = directory.principal(directory.create_token(world.other))

    # The add is record `place` of the object, inside the list of its one row.
    audit.append([_by(bot, "objects.read")] * (place - 1) + [_by(li, "objects.add")]
                 + [_by(bot, "objects.read")] * 5)
    audit.index_new()  # the bound is the index's (what it does not hold yet is read whole)
    expected = {"x-accord-ack--1": (world.other.id, "Li Wei")} if found else {}
    assert audit.people_who_added(["x-accord-ack--1"]) == expected


def test_lists_that_overlap_name_each_object_with_its_records_in_order(log):
    """Each list of ids is walked once per append (store.audit_log._names): an object in
    several lists has their records merged in order, an id twice in a record counts it once,
    and the chain verifies as if each record had been hashed alone."""
    _appended(log, [_event(1, "indicator--a", "indicator--b"),
                _event(2, "indicator--b", "indicator--c"),
                _event(3, "indicator--a", "indicator--b"),  # the first list again
                _event(4, "indicator--c", "indicator--c"),
                _event(5),
                _event(6, "indicator--b", "indicator--c")])
    assert _rows(log.engine) == [("indicator--a", 1, "3"), ("indicator--b", 1, "2,3,6"),
                                 ("indicator--c", 2, "4,6")]
    assert [r.seq for r in log.query(AuditQuery(object_id="indicator--c"))] == [6, 4, 2]
    records = log.query(AuditQuery(limit=10))
    assert [r.event.object_ids for r in reversed(records)] == [
        ("indicator--a", "indicator--b"), ("indicator--b", "indicator--c"),
        ("indicator--a", "indicator--b"), ("indicator--c", "indicator--c"), (),
        ("indicator--b", "indicator--c")]
    assert verify(log.records()).is_intact
    assert log.index_disagreement() is None


def test_a_chain_of_overlapping_lists_indexes_each_object_with_its_own_records(log):
    # Each object in two lists (a sliding window, as pages of a collection that moves): every
    # object's records merged from both, none taking another's.
    _appended(log, [_event(n, f"indicator--{n:02d}", f"indicator--{n + 1:02d}")
                for n in range(1, 41)])
    expected = [("indicator--01", 1, None)] + [
        (f"indicator--{n:02d}", n - 1, str(n)) for n in range(2, 41)] + [
        ("indicator--41", 40, None)]
    assert _rows(log.engine) == expected
    assert log.index_disagreement() is None
