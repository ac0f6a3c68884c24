"""The audit trail's index of objects is written behind the trail, in batches (migration 0035):
nothing a search by object or `db check` says depends on when the batches ran."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from tests.integration.store.migrating import downgrade, upgrade

from accord.store import audit_log
from accord.store.audit_buffer import AuditBuffer
from accord.store.audit_log import AuditLog, AuditQuery
from accord.store.engine import open_engine, writing
from accord.trust.audit import Event


def _read(n: int, *object_ids: str) -> Event:
    return Event(f"2026-12-02T01:{n // 60 % 60:02d}:{n % 60:02d}.{n:06d}Z", "objects.read",
                 "identity--reader", "token-1", "collection-1", object_ids)


def _rows(engine: Engine) -> list[tuple[str, int, str | None]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT object_id, seq, also FROM audit_objects ORDER BY object_id, seq"))]


def _mark(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT through FROM audit_indexed")).scalar_one())


def test_a_search_by_object_finds_records_the_index_has_not_caught_up_with(log):
    log.append([_read(1, "indicator--a"), _read(2, "indicator--b")])
    log.index_new()
    log.append([_read(3, "indicator--a", "indicator--ab"), _read(4, "indicator--b"),
                _read(5, "indicator--ab")])
    assert log.behind() and _mark(log.engine) == 2
    # The records after the mark are read from themselves, newest first, before the index's;
    # nothing is written by a search (a page's read takes no write lock).
    assert [r.seq for r in log.query(AuditQuery(object_id="indicator--a"))] == [3, 1]
    assert [r.seq for r in log.query(AuditQuery(object_id="indicator--a", limit=1))] == [3]
    page = log.search(AuditQuery(object_id="indicator--a", limit=1, before=3))
    assert [r.seq for r in page.records] == [1]
    assert [r.seq for r in log.query(AuditQuery(object_id="indicator--ab"))] == [5, 3]
    assert log.behind() and _mark(log.engine) == 2


def test_a_search_by_object_far_behind_the_trail_brings_the_index_up_first(log, monkeypatch):
    from accord.store import audit_log as module

    monkeypatch.setattr(module, "TAIL_READ", 2)
    log.append([_read(n, "indicator--a") for n in range(1, 5)])
    assert [r.seq for r in log.query(AuditQuery(object_id="indicator--a"))] == [4, 3, 2, 1]
    assert not log.behind() and _mark(log.engine) == 4


def test_who_added_an_entry_a_moment_ago_is_found_before_the_index_holds_it(world):
    directory, audit = world.node.directory, world.node.audit
    li = directory.principal(directory.create_token(world.other, name="Li Wei"))
    audit.index_new()
    audit.append([Event("2026-12-02T01:00:00.000Z", "objects.add", li.party_id, li.token_id,
                        "c", ("x-accord-ack--2",))])
    assert audit.behind()
    assert audit.people_who_added(["x-accord-ack--2"]) == {
        "x-accord-ack--2": (world.other.id, "Li Wei")}
    assert audit.behind()  # read, not indexed


def test_reads_of_several_appends_are_one_row_an_object_a_batch(log):
    for start in range(0, 50, 10):  # five flushes of a poll reading the same page
        log.append([_read(n, "indicator--a", "indicator--b") for n in range(start, start + 10)])
    log.append([_read(50)])  # a record naming nothing (a discovery, a refusal)
    assert log.index_new() == 51
    listed = ",".join(str(n) for n in range(2, 51))
    assert _rows(log.engine) == [("indicator--a", 1, listed), ("indicator--b", 1, listed)]
    assert [r.seq for r in log.query(AuditQuery(object_id="indicator--b", limit=3))] == [
        50, 49, 48]
    assert log.index_disagreement() is None


def test_a_backlog_is_indexed_in_bounded_batches_that_never_overlap(log, monkeypatch):
    monkeypatch.setattr(audit_log, "_INDEX_RECORDS", 7)
    monkeypatch.setattr(audit_log, "_READ_AT_ONCE", 3)
    log.append([_read(n, "indicator--a", *(["indicator--b"] if n % 4 else []))
                for n in range(30)])
    # One batch: its bound stops it, and what is left waits for the next.
    assert log.index_new(most_batches=1) == 9  # read three at a time, past 7
    assert _mark(log.engine) == 9 and log.behind()
    assert log.index_new() == 21 and _mark(log.engine) == 30
    firsts = [seq for oid, seq, _ in _rows(log.engine) if oid == "indicator--a"]
    assert firsts == [1, 10, 19, 28]
    assert [r.seq for r in log.query(AuditQuery(object_id="indicator--a", limit=100))] == list(
        range(30, 0, -1))
    assert log.index_disagreement() is None
    assert log.index_disagreement(batch=4) is None


def test_a_batch_is_bounded_by_the_bytes_its_lists_hold(log, monkeypatch):
    monkeypatch.setattr(audit_log, "_READ_AT_ONCE", 2)
    monkeypatch.setattr(audit_log, "_INDEX_BYTES", 100)
    page = [f"indicator--{n:036d}" for n in range(3)]  # some 150 bytes as a list
    log.append([_read(n, *page[n % 3:], f"indicator--{n:036d}") for n in range(6)])
    assert log.index_new(most_batches=1) == 2
    assert log.index_new() == 4
    assert log.index_disagreement() is None


def test_db_check_passes_over_records_not_indexed_yet_but_not_rows_made_for_them(log):
    log.append([_read(1, "indicator--a")])
    log.index_new()
    log.append([_read(2, "indicator--a"), _read(3, "indicator--b")])
    assert log.index_disagreement() is None  # 2 and 3 wait for the index: nothing is wrong
    # A hand writing a row the index never made, past the mark (on SQLite the database
    # refuses it, migration 0035: the guard out of the way first): db check sees it.
    with writing(log.engine) as conn:
        if log.engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER audit_objects_past_the_mark"))
        conn.execute(text("INSERT INTO audit_objects (object_id, seq) VALUES ('indicator--x', 3)"))
    assert log.index_disagreement() == 3
    with writing(log.engine) as conn:  # and one dropped from what it did make
        conn.execute(text("DELETE FROM audit_objects WHERE object_id = 'indicator--x'"))
        conn.execute(text("DELETE FROM audit_objects WHERE seq = 1"))
    assert log.index_disagreement() == 1


def test_db_check_finds_the_trail_cut_short_behind_the_index(log):
    # The chain cannot tell that its last records were removed (no record follows them to
    # name their hash); the index, which had reached them, can.
    log.append([_read(n, "indicator--a") for n in range(1, 5)])
    log.index_new()
    with writing(log.engine) as conn:
        conn.execute(text("DELETE FROM audit_objects"))
        conn.execute(text("DELETE FROM audit WHERE seq > 2"))
        conn.execute(text("INSERT INTO audit_objects (object_id, seq, also) "
                          "VALUES ('indicator--a', 1, '2')"))
    assert log.index_disagreement() == 3


def test_the_reads_buffer_indexes_in_the_background_and_before_it_stops(log):
    buffer = AuditBuffer(log, interval=0.01, index_every=0.05)
    buffer.start()
    try:
        buffer.record(_read(1, "indicator--a"))
        deadline = time.monotonic() + 10
        while _rows(log.engine) != [("indicator--a", 1, None)]:
            assert time.monotonic() < deadline, "the buffer did not index the read"
            time.sleep(0.02)
        buffer.index_every = 3600.0  # no round before the stop: the stop indexes it
        buffer.record(_read(2, "indicator--b"))
    finally:
        buffer.stop()
    assert _rows(log.engine) == [("indicator--a", 1, None), ("indicator--b", 2, None)]


@pytest.fixture
def engine(db_url: str):  # type: ignore[no-untyped-def]
    opened = open_engine(db_url)
    yield opened
    opened.dispose()


def test_the_migration_marks_the_trail_indexed_and_its_undoing_indexes_the_rest(engine):
    upgrade(engine, "0034")
    log = AuditLog(engine)
    with writing(engine) as conn:  # as 0034 appended: records and their rows together
        conn.execute(text(
            "INSERT INTO audit (seq, at, action, object_ids, detail, prev_hash, hash) VALUES "
            "(1, '2026-12-02T01:00:00.000000Z', 'objects.read', :ids, :detail, 'g', 'h1')"),
            {"ids": b'["indicator--a"]', "detail": b"{}"})
        conn.execute(text("INSERT INTO audit_objects (object_id, seq) VALUES ('indicator--a', 1)"))
    upgrade(engine, "head")
    assert _mark(engine) == 1 and not log.behind()
    log.append([_read(2, "indicator--a", "indicator--b"), _read(3, "indicator--a")])
    downgrade(engine, "0034")  # 0034 indexes as it appends: the records waiting get their rows
    assert _rows(engine) == [("indicator--a", 1, None), ("indicator--a", 2, None),
                             ("indicator--a", 3, None), ("indicator--b", 2, None)]
    upgrade(engine, "head")
    assert _mark(engine) == 3
    assert [r.seq for r in log.query(AuditQuery(object_id="indicator--a"))] == [3, 2, 1]
    assert log.index_disagreement() is None


def test_indexing_while_others_append_misses_and_repeats_nothing(log):
    # Appenders take the trail's turn, the indexer its own: on PostgreSQL they run at once,
    # and what the indexer reads must be a whole prefix of the trail each time.
    import threading

    stop = threading.Event()
    failures: list[BaseException] = []

    def appending(who: int) -> None:
        try:
            for n in range(40):
                log.append([_read(who * 1000 + n, f"indicator--{who}", "indicator--shared")])
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    def indexing() -> None:
        try:
            while not stop.is_set():
                log.index_new()
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    indexer = threading.Thread(target=indexing)
    indexer.start()
    appenders = [threading.Thread(target=appending, args=(who,)) for who in (1, 2)]
    for thread in appenders:
        thread.start()
    for thread in appenders:
        thread.join()
    stop.set()
    indexer.join()
    assert failures == []
    log.index_new()
    assert log.index_disagreement() is None
    shared = [r.seq for r in log.query(AuditQuery(object_id="indicator--shared", limit=200))]
    assert shared == list(range(80, 0, -1))


def test_an_older_accord_indexing_as_it_appends_is_refused_or_reported(log):
    # Left running past migration 0035, it writes rows for records past the mark, which the
    # indexer then writes again: on SQLite its append fails instead (else every batch after
    # would be refused by the key), on PostgreSQL `db check` reports the second row.
    log.append([_read(1, "indicator--a")])
    old_server = "INSERT INTO audit_objects (object_id, seq) VALUES ('indicator--a', 1)"
    if log.engine.dialect.name == "sqlite":
        with pytest.raises(DBAPIError, match="older than schema 0035"), \
                writing(log.engine) as conn:
            conn.execute(text(old_server))
        assert log.index_new() == 1 and _rows(log.engine) == [("indicator--a", 1, None)]
        assert log.index_disagreement() is None
    else:
        with writing(log.engine) as conn:
            conn.execute(text(old_server))
        assert log.index_new() == 1
        assert log.index_disagreement() == 1


def test_a_batch_indexed_during_a_search_gives_no_record_twice(log, monkeypatch):
    # The search reads the mark, then the records past it, then the index: a batch indexed
    # in between is in both unless both parts keep to the mark read first.
    from accord.store import audit_search

    log.append([_read(n, "indicator--a") for n in range(1, 4)])
    log.index_new()
    log.append([_read(n, "indicator--a") for n in range(4, 7)])
    stale = _mark(log.engine)  # 3: the mark as the search read it
    log.index_new()  # the batch committed meanwhile: 4 to 6 are in the index now
    monkeypatch.setattr(audit_search, "indexed_through", lambda conn: stale)
    for limit in (100, 5, 4):
        page = log.search(AuditQuery(object_id="indicator--a", limit=limit))
        assert [r.seq for r in page.records] == [6, 5, 4, 3, 2, 1][:limit]
        assert (page.next_before is None) == (limit >= 6)
