"""Many rows at once, on SQLite and PostgreSQL: what COPY or executemany stores is what was given,
look-ups by many values find them all, and statistics are refreshed only when a table grew."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, LargeBinary, MetaData, String, Table, select

from accord.store.bulk import among, analyze_if_grown, insert_rows
from accord.store.engine import open_engine, writing

_metadata = MetaData()
_things = Table("bulk_things", _metadata, Column("n", Integer, primary_key=True),
                Column("name", String(100), nullable=True),
                Column("blob", LargeBinary, nullable=True))


@pytest.fixture
def engine(db_url):
    engine = open_engine(db_url)
    _metadata.create_all(engine)
    yield engine
    engine.dispose()


AWKWARD = ["tab\there", "new\nline", "back\\slash", "\\N", "", None, "quote'\"", "é 中文",
           "end\r"]


def test_rows_are_stored_as_given_however_awkward_their_text(engine):
    rows = [(n, name, None if name is None else name.encode() + b"\x00\xff")
            for n, name in enumerate(AWKWARD)]
    with writing(engine) as conn:
        insert_rows(conn, "bulk_things", ("n", "name", "blob"), rows, ("int4", "varchar", "bytea"))
        insert_rows(conn, "bulk_things", ("n", "name"), [(100 + n, name)
                                                         for n, name in enumerate(AWKWARD)])
        insert_rows(conn, "bulk_things", ("n", "name"), [])  # nothing: no statement at all
    with engine.connect() as conn:
        stored = {n: (name, blob) for n, name, blob in conn.execute(select(_things))}
    assert {n: (name, None if blob is None else bytes(blob))
            for n, (name, blob) in stored.items() if n < 100} == {
        n: (name, blob) for n, name, blob in rows}
    assert {n - 100: name for n, (name, _) in stored.items() if n >= 100} == dict(
        enumerate(AWKWARD))


def test_a_look_up_by_thousands_of_values_finds_every_one(engine):
    with writing(engine) as conn:
        insert_rows(conn, "bulk_things", ("n", "name"), [(n, f"thing {n}") for n in range(3000)])
    wanted = [f"thing {n}" for n in range(0, 3000, 2)] + ["nothing"]
    with engine.connect() as conn:
        conditions = among(conn, _things.c.name, wanted)
        found = [n for condition in conditions
                 for n in conn.execute(select(_things.c.n).where(condition)).scalars()]
        assert among(conn, _things.c.name, []) == []
        # PostgreSQL: one statement, one parameter; SQLite: IN lists within its limits.
        assert len(conditions) == (1 if conn.dialect.name == "postgresql" else 4)
    assert sorted(found) == list(range(0, 3000, 2))


@pytest.mark.postgres
def test_statistics_are_taken_once_a_table_is_worth_it_and_again_each_time_it_doubled(pg_url):
    engine = open_engine(pg_url)
    _metadata.create_all(engine)

    def state() -> tuple[int, int]:
        """(pages at the last ANALYZE, pages now)"""
        with engine.connect() as conn:
            return tuple(conn.exec_driver_sql(
                "SELECT relpages, pg_relation_size('bulk_things') / 8192 FROM pg_class "
                "WHERE oid = 'bulk_things'::regclass").one())

    try:
        # Small batches, as a TAXII client posts them: the table's growth counts, not the
        # batch's size.
        analysed_at: list[int] = []
        for start in range(0, 40_000, 250):
            before = state()
            with writing(engine) as conn:
                insert_rows(conn, "bulk_things", ("n", "name"),
                            [(n, f"thing {n}") for n in range(start, start + 250)])
                analyze_if_grown(conn, ("bulk_things",))
            after = state()
            if after[0] != before[0]:
                analysed_at.append(after[1])
                # Analysed only once worth it (8 pages), then at each doubling.
                assert after[1] >= max(8, 2 * before[0])
            else:
                assert after[1] < max(8, 2 * after[0])
        assert analysed_at[0] < 16  # not left without statistics past the first doubling
        assert len(analysed_at) >= 5  # 40,000 rows: over 200 pages
        # Each time at least twice the size of the time before: a handful of analyses in
        # all, not one a batch.
        assert all(b >= 2 * a for a, b in zip(analysed_at, analysed_at[1:], strict=False))
    finally:
        engine.dispose()
