"""Migrations 0026 and 0027: PostgreSQL keys the objects of each audit record by a hash of the
object id, not the id; one row per object per append lists its records. What was recorded
before them is found after them, and they can be undone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from tests.integration.store.migrating import downgrade, upgrade

from accord.store.audit_log import FIRST_RECORDS, AuditLog, AuditQuery
from accord.store.engine import open_engine
from accord.trust.audit import Event, verify


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    opened = open_engine(db_url)
    yield opened
    opened.dispose()


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    opened = open_engine(pg_url)
    yield opened
    opened.dispose()


def _served(at: str, *object_ids: str) -> Event:
    return Event(at, "objects.read", "identity--reader", "token-1", "collection-1", object_ids)


def _indexes(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return dict(conn.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'audit_objects' "
            "AND schemaname = current_schema()").all())


def _index_rows(engine) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return [tuple(row) for row in conn.exec_driver_sql(
            "SELECT object_id, seq FROM audit_objects ORDER BY seq, object_id")]


def test_records_made_before_the_migration_are_found_by_object_after_it(engine):
    upgrade(engine, "head")
    log = AuditLog(engine)
    log.append([_served("2026-12-02T01:00:00.000000Z", "indicator--a", "indicator--b"),
                _served("2026-12-02T01:00:01.000000Z", "indicator--b")])
    downgrade(engine, "0025")  # the rows as 0025 kept them: one per object and record
    assert _index_rows(engine) == [("indicator--a", 1), ("indicator--b", 1),
                                   ("indicator--b", 2)]
    upgrade(engine, "head")
    log.append([_served("2026-12-02T01:00:02.000000Z", "indicator--a", "indicator--c")])
    assert [r.seq for r in log.query(AuditQuery(object_id="indicator--a"))] == [3, 1]
    assert [r.seq for r in log.query(AuditQuery(object_id="indicator--b"))] == [2, 1]
    assert [r.seq for r in log.query(AuditQuery(object_id="indicator--c"))] == [3]
    assert log.query(AuditQuery(object_id="indicator--d")) == []
    assert log.index_disagreement() is None
    assert verify(log.records()).is_intact
    if engine.dialect.name == "postgresql":
        indexes = _indexes(engine)
        assert "audit_objects_pkey" not in indexes
        assert "USING btree (hashtextextended((object_id)::text, (0)::bigint), seq)" in \
            indexes["ix_audit_objects_object"]
        assert "USING brin (seq)" in indexes["ix_audit_objects_seq"]


def test_a_second_row_for_the_same_object_and_record_is_found(engine):
    """PostgreSQL has no key to refuse it any more: `db check` must see it."""
    from sqlalchemy import text

    upgrade(engine, "head")
    log = AuditLog(engine)
    log.append([_served("2026-12-02T01:00:00.000000Z", "indicator--a", "indicator--b"),
                _served("2026-12-02T01:00:01.000000Z", "indicator--a")])
    log.index_new()
    assert log.index_disagreement() is None
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO audit_objects (object_id, seq) "
                              "VALUES ('indicator--a', 2)"))
        assert log.index_disagreement() == 2


def test_the_migration_can_be_undone_and_redone(engine):
    upgrade(engine, "head")
    log = AuditLog(engine)
    log.append([_served("2026-12-02T01:00:00.000000Z", "indicator--a"),
                _served("2026-12-02T01:00:01.000000Z", "indicator--a")])
    downgrade(engine, "0025")
    if engine.dialect.name == "postgresql":
        assert set(_indexes(engine)) == {"audit_objects_pkey"}
    assert _index_rows(engine) == [("indicator--a", 1), ("indicator--a", 2)]
    upgrade(engine, "head")
    assert [r.seq for r in log.query(AuditQuery(object_id="indicator--a"))] == [2, 1]
    assert log.index_disagreement() is None


def _rows_read(plan: dict[str, Any]) -> int:
    """Rows every scan of a plan read: passed on and removed by its filter, every loop."""
    own = 0
    if "Scan" in plan["Node Type"]:
        own = (plan["Actual Rows"] + plan.get("Rows Removed by Filter", 0)) * plan["Actual Loops"]
    return own + sum(_rows_read(child) for child in plan.get("Plans", []))


def _rows_read_by(engine, statements: list[tuple[str, Any]]) -> int:  # type: ignore[no-untyped-def]
    """Rows read by the one statement of `statements` on audit_objects, run again."""
    [(sql, params)] = [s for s in statements if "audit_objects" in s[0]]
    with engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return _rows_read(plan[0]["Plan"])


@pytest.mark.postgres
def test_an_object_served_thousands_of_times_is_read_back_newest_first_up_to_the_limit(
        pg_engine):
    """Its records are read from the newest and no further than asked: not gathered whole and
    sorted (a B-tree over the id's hash and seq, with statistics that say the id decides the
    hash: migration 0026)."""
    from sqlalchemy import event

    engine = pg_engine
    upgrade(engine, "head")
    log = AuditLog(engine)
    # As a collection's pages name it, among a hundred others each time.
    others = [f"indicator--{n:08d}-0000-4000-8000-000000000000" for n in range(2000)]
    for batch in range(40):
        log.append([_served("2026-12-02T01:00:00.000000Z", "marking-definition--hot",
                            *others[(batch * 50 + n) * 7 % 1900:][:100]) for n in range(50)])
    log.index_new()  # as the node does behind the trail; the search below then has none to do
    statements: list[tuple[str, Any]] = []
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cursor, sql, params, *_: statements.append((sql, params)))
    found = log.query(AuditQuery(object_id="marking-definition--hot", limit=10))
    assert [r.seq for r in found] == list(range(2000, 1990, -1))
    assert _rows_read_by(engine, statements) <= 40  # 10 index rows and their 10 records
    # Who added it: its earliest records only, however often it was served since.
    statements.clear()
    assert log.people_who_added(["marking-definition--hot"]) == {}
    assert _rows_read_by(engine, statements) <= 4 * FIRST_RECORDS
