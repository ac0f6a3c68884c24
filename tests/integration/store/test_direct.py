"""The hot reads run on the driver's cursor (store.direct): the same rows as through
SQLAlchemy, the same errors, and SQLAlchemy itself for what it cannot take."""

from __future__ import annotations

import pytest
from sqlalchemy import (
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    TypeDecorator,
    bindparam,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.sql import Select
from tests.integration.taxii.test_endpoints import indicator, post

from accord.store import direct
from accord.store.engine import reading
from accord.store.query import ALL, LAST, ObjectQuery, Reader
from accord.store.reads import statement_for
from accord.store.schema import objects
from accord.trust.tokens import digest


def test_the_rows_are_those_sqlalchemy_reads(world, client):
    from accord.store import grant_reads as d

    for n, modified in [(1, "2020-01-01T00:00:00.000Z"), (1, "2021-01-01T00:00:00.000Z"),
                        (2, "2020-01-01T00:00:00.000Z")]:
        assert post(client, world.evidence.id, [indicator(n, modified)]).status_code == 202
    statements = [
        (d._PRINCIPAL, {"digest": digest(world.admin_token)}),
        (d._PRINCIPAL_AND_GRANT_BY_ID, {"digest": digest(world.other_token),
                                        "key": world.evidence.id}),
        (d._PRINCIPAL_AND_GRANT_BY_ALIAS, {"digest": digest(world.admin_token),
                                           "key": "evidence"}),
        (d._READABLE_OR_WRITABLE, {"party_id": world.own.id}),
    ]
    reader = Reader(world.own.id, 2)
    for limit, query in [(51, ObjectQuery(limit=50, reader=reader, versions=frozenset({ALL}))),
                         (2, ObjectQuery(limit=1, reader=reader, versions=frozenset({LAST})))]:
        statements.append(statement_for(world.evidence.id, query, None, limit))
    with reading(world.node.engine) as conn:
        for statement, values in statements:
            assert list(map(tuple, direct.rows(conn, statement, values))) == [
                tuple(r) for r in conn.execute(statement, values).all()]
            one = direct.first(conn, statement, values)
            through = conn.execute(statement, values).first()
            assert (one is None) == (through is None)
            if through is not None:  # the columns by name, as on SQLAlchemy's rows
                for name, value in through._mapping.items():
                    assert getattr(one, name) == value
        # Every version; and the newest of each object, two rows for a LIMIT of 2.
        assert [len(direct.rows(conn, s, v)) for s, v in statements[-2:]] == [3, 2]


def test_both_backends_take_the_direct_way_for_what_needs_no_processing(world):
    dialect = world.node.engine.dialect
    simple = select(objects.c.id).where(objects.c.collection_id == bindparam("c"))
    listed = select(objects.c.id).where(objects.c.type.in_(bindparam("t", expanding=True)))
    assert direct._plan(simple, dialect) is not None
    assert direct._plan(listed, dialect) is not None
    # A value SQLAlchemy converts on the way in or out: its way, on either backend.
    shouted = Table("shouted", MetaData(), Column("word", _Upper), Column("plain", String))
    assert direct._plan(select(shouted.c.plain).where(shouted.c.word == bindparam("w")),
                        dialect) is None
    assert direct._plan(select(shouted.c.word), dialect) is None
    assert direct._plan(select(shouted.c.plain), dialect) is not None


class _Upper(TypeDecorator[str]):
    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: object) -> str | None:
        return None if value is None else value.upper()

    def process_result_value(self, value: str | None, dialect: object) -> str | None:
        return value


def test_on_sqlite_the_statement_runs_on_the_drivers_cursor(world, client, monkeypatch):
    if world.node.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's own way (PostgreSQL's: the prepared-statement test below)")
    assert post(client, world.evidence.id, [indicator(1)]).status_code == 202
    statement = select(objects.c.id).where(objects.c.collection_id == bindparam("c"))
    with reading(world.node.engine) as conn:
        def refused(*_args: object, **_kwargs: object) -> None:
            raise AssertionError("ran through SQLAlchemy")

        monkeypatch.setattr(conn, "execute", refused)
        assert direct.rows(conn, statement, {"c": world.evidence.id}) == [
            (indicator(1)["id"],)]


def test_a_sqlite_transactions_first_statement_still_begins_it(world, client):
    """A snapshot's (or a writer's) BEGIN is sent by SQLAlchemy before the transaction's first
    statement (store.engine): a first statement run past SQLAlchemy would run outside it, and
    the snapshot's statements would each see the database as it is at that moment."""
    if world.node.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL: psycopg begins the transaction itself at any statement")
    assert post(client, world.evidence.id, [indicator(1)]).status_code == 202
    statement = select(objects.c.id).where(objects.c.collection_id == bindparam("c"))
    engine = world.node.engine
    with engine.connect().execution_options(accord_snapshot=True) as conn:
        driver = conn.connection.driver_connection
        assert direct.rows(conn, statement, {"c": world.evidence.id})
        assert driver.in_transaction  # the BEGIN went first
        with engine.connect().execution_options(accord_write=True) as writer, writer.begin():
            # Another connection writes meanwhile: the snapshot does not see it (WAL).
            writer.execute(objects.delete().where(objects.c.collection_id == world.evidence.id))
        assert direct.rows(conn, statement, {"c": world.evidence.id}) == [
            (indicator(1)["id"],)]
    with reading(engine) as conn:  # and outside the snapshot, it is gone
        assert direct.rows(conn, statement, {"c": world.evidence.id}) == []


def test_in_lists_of_any_length_read_what_sqlalchemy_reads(world, client):
    for n in range(1, 4):
        assert post(client, world.evidence.id, [indicator(n)]).status_code == 202
    ids = [indicator(n)["id"] for n in range(1, 4)]
    listed = select(objects.c.id).where(objects.c.id.in_(bindparam("ids", expanding=True)),
                                        objects.c.collection_id == bindparam("c"))
    # Pairs are named otherwise when expanded (pairs_1_1, …): SQLAlchemy runs those itself.
    pairs = select(objects.c.id).where(
        tuple_(objects.c.id, objects.c.version).in_(bindparam("pairs", expanding=True)))
    with reading(world.node.engine) as conn:
        for wanted in ([], ids[:1], ids, ids[:2], ["nothing"], ids[:1]):
            values = {"ids": wanted, "c": world.evidence.id}
            assert sorted(direct.rows(conn, listed, values)) == sorted(
                conn.execute(listed, values).all())
        values = {"pairs": [(ids[0], "2020-01-01T00:00:00.000Z"), (ids[1], "nope")]}
        assert list(direct.rows(conn, pairs, values)) == list(conn.execute(pairs, values).all())


def test_a_list_bound_in_two_places_reads_what_sqlalchemy_reads(world, client):
    """The arms of a UNION (as a look-up's seek on SQLite) may bind the same list: one
    parameter, expanded alike in both places."""
    for n in range(1, 4):
        assert post(client, world.evidence.id, [indicator(n)]).status_code == 202
    ids = [indicator(n)["id"] for n in range(1, 4)]

    def arm(kind: str) -> Select[tuple[str]]:
        return select(objects.c.id).where(objects.c.id.in_(bindparam("ids", expanding=True)),
                                          objects.c.type == kind)

    both = union_all(arm("indicator"), arm("malware")).limit(
        bindparam("most", type_=Integer, literal_execute=True))
    with reading(world.node.engine) as conn:
        assert direct._plan(both, conn.dialect) is not None
        for wanted, most in ((ids, 5), (ids[:1], 5), (ids, 2), ([], 1)):
            values = {"ids": wanted, "most": most}
            assert sorted(direct.rows(conn, both, values)) == sorted(
                conn.execute(both, values).all())


def test_a_value_left_out_is_refused_not_bound_as_null(world):
    simple = select(objects.c.id).where(objects.c.collection_id == bindparam("c"))
    with reading(world.node.engine) as conn, pytest.raises(SQLAlchemyError):
        direct.rows(conn, simple, {})


def test_a_failing_statement_raises_sqlalchemys_error(world):
    missing = Table("no_such_table", MetaData(), Column("id", String))
    broken = select(missing.c.id).where(missing.c.id == bindparam("n"))
    with reading(world.node.engine) as conn:
        with pytest.raises(DBAPIError):
            direct.rows(conn, broken, {"n": "x"})
        # and the connection is usable after it
        assert conn.execute(text("SELECT 1")).scalar() == 1


def test_an_array_of_plain_values_takes_the_direct_way_and_reads_what_sqlalchemy_reads(
        world, client):
    from accord.store.bulk import among_bound

    for n in range(1, 4):
        assert post(client, world.evidence.id, [indicator(n)]).status_code == 202
    dialect = world.node.engine.dialect
    statement = select(objects.c.id).where(among_bound(dialect.name, objects.c.seq, "seqs"))
    assert direct._plan(statement, dialect) is not None
    with reading(world.node.engine) as conn:
        seqs = sorted(conn.execute(select(objects.c.seq)).scalars())
        assert sorted(r[0] for r in direct.rows(conn, statement, {"seqs": seqs[:2]})) == sorted(
            conn.execute(statement, {"seqs": seqs[:2]}).scalars())


def test_a_prelude_holds_for_its_statement_alone(world):
    setting = select(text("current_setting('enable_seqscan')"))
    prelude = "SELECT set_config('enable_seqscan', 'off', true)"
    with reading(world.node.engine) as conn:
        if world.node.engine.dialect.name == "sqlite":  # no such setting: ignored
            assert direct.rows(conn, select(text("1")), {}, prelude=prelude) == [(1,)]
            return
        assert direct.rows(conn, setting, {}) == [("on",)]
        assert direct.rows(conn, setting, {}, prelude=prelude) == [("off",)]
        assert direct.rows(conn, setting, {}) == [("on",)]  # the next statement: as before
        # Through SQLAlchemy too (a statement the driver's cursor cannot take), the same.
        assert direct.records(conn, setting.where(objects.c.type.in_(
            bindparam("t", expanding=True))).select_from(objects), {"t": ["x"]},
            prelude=prelude) == []
        assert direct.rows(conn, setting, {}) == [("on",)]


def test_a_statement_is_prepared_at_its_first_call_unless_psycopg_prepares_nothing(
        world, pg_url):
    """A statement built once to run again and again is prepared (and planned) at its first
    call, not at psycopg's fifth; behind a pooler (`?pgbouncer=true`) never."""
    from accord.store.engine import open_engine

    if world.node.engine.dialect.name == "sqlite":
        pytest.skip("SQLite: sqlite3 keeps each statement prepared in its own cache")
    once = select(objects.c.id).where(objects.c.type == bindparam("kind"))
    prepared = text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE :s")
    with reading(world.node.engine) as conn:
        direct.rows(conn, once, {"kind": "indicator"})
        assert conn.execute(prepared, {"s": "%objects.type = %"}).scalar() == 1
    pooled = open_engine(f"{pg_url}&pgbouncer=true")
    try:
        with reading(pooled) as conn:
            direct.rows(conn, once, {"kind": "indicator"})
            assert conn.execute(prepared, {"s": "%objects.type = %"}).scalar() == 0
    finally:
        pooled.dispose()


def test_a_value_the_engines_driver_wraps_goes_sqlalchemys_way(world):
    """A blob bound as a parameter: psycopg takes bytes as they are, SQLAlchemy wraps them for
    sqlite3 (its Binary); judged with the engine's own driver, not a dialect without one."""
    blobs = Table("blobs", MetaData(), Column("body", LargeBinary))
    statement = select(blobs.c.body).where(blobs.c.body == bindparam("b", type_=LargeBinary))
    dialect = world.node.engine.dialect
    wraps = LargeBinary().dialect_impl(dialect).bind_processor(dialect) is not None
    assert (direct._plan(statement, dialect) is None) == wraps
