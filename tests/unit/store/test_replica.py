"""store.replica: which connections go to the replica, WAL positions, and the fall-back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, text

from accord.store.engine import _pooler_settings, open_engine, writing
from accord.store.replica import (
    LsnError,
    ReplicatedEngine,
    _differs,
    _Whose,
    format_lsn,
    parse_lsn,
    primary_of,
    replica_reads,
    watching_writes,
)
from accord.store.urls import DatabaseUrlError


def one_row_database(path: Path, name: str) -> Engine:
    """A SQLite file whose one row names it: a read tells which database answered."""
    engine = create_engine(f"sqlite:///{path / name}.db")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE who (name TEXT)"))
        conn.execute(text("INSERT INTO who VALUES (:name)"), {"name": name})
    return engine


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(tmp_path: Path, clock: Clock) -> ReplicatedEngine:
    return ReplicatedEngine(one_row_database(tmp_path, "primary"),
                            one_row_database(tmp_path, "replica"), down_for=5, clock=clock)


def _answered_by(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT name FROM who LIMIT 1")).scalar_one())


def test_reads_go_to_the_primary_unless_the_replica_is_allowed(engine: ReplicatedEngine):
    assert _answered_by(engine) == "primary"
    with replica_reads():
        assert _answered_by(engine) == "replica"
    assert _answered_by(engine) == "primary"
    with replica_reads(False):
        assert _answered_by(engine) == "primary"


def test_writes_go_to_the_primary_even_where_reads_may_use_the_replica(
        engine: ReplicatedEngine):
    with replica_reads():
        with writing(engine) as conn:
            conn.execute(text("INSERT INTO who VALUES ('written')"))
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO who VALUES ('begun')"))
    with engine.primary.connect() as conn:
        names = conn.execute(text("SELECT name FROM who ORDER BY rowid")).scalars().all()
    assert names == ["primary", "written", "begun"]
    assert primary_of(engine) is engine.primary
    assert primary_of(engine.primary) is engine.primary


def test_a_write_is_noted_and_the_reads_after_it_go_to_the_primary(engine: ReplicatedEngine):
    with watching_writes() as read_only, replica_reads():
        _answered_by(engine)
        with engine.primary.connect() as conn:  # a read on the primary is no write
            conn.execute(text("SELECT 1"))
    assert not read_only.wrote
    with watching_writes() as wrote, replica_reads():
        assert _answered_by(engine) == "replica"
        with writing(engine) as conn:
            conn.execute(text("INSERT INTO who VALUES ('x')"))
        # Where the write is: the replica may not have it yet.
        assert _answered_by(engine) == "primary"
    assert wrote.wrote


def test_an_unreachable_replica_sends_reads_to_the_primary_for_a_while(
        tmp_path: Path, clock: Clock, caplog: pytest.LogCaptureFixture):
    gone = create_engine(f"sqlite:///{tmp_path}/no/such/dir/replica.db")
    engine = ReplicatedEngine(one_row_database(tmp_path, "primary"), gone, down_for=5, clock=clock)
    with replica_reads():
        assert _answered_by(engine) == "primary"
        assert not engine.is_replica_up()
        assert "read replica unreachable" in caplog.text
        clock.now += 5
        assert engine.is_replica_up()  # tried again, and found away again
        assert _answered_by(engine) == "primary"
    assert caplog.text.count("read replica unreachable") == 2
    assert engine.has_replayed(1) is None


def test_a_replayed_position_is_not_asked_again(engine: ReplicatedEngine):
    engine._replayed = parse_lsn("0/5000")
    assert engine.has_replayed(parse_lsn("0/4000")) is True
    assert engine.is_replica_up()
    # Further than seen, the replica is asked: SQLite here, which has no WAL functions and
    # so answers like a replica that is away.
    assert engine.has_replayed(parse_lsn("0/6000")) is None
    assert not engine.is_replica_up()


def test_positions_parse_and_compare_as_postgresql_orders_them():
    assert parse_lsn("0/0") == 0
    assert parse_lsn("16/B374D848") == (0x16 << 32) + 0xB374D848
    assert parse_lsn("1/0") > parse_lsn("0/FFFFFFFF")
    for bad in ("", "16", "16/", "/1", "G/1", "1/2/3", "123456789/0", "1; DROP"):
        with pytest.raises(LsnError):
            parse_lsn(bad)


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_a_position_survives_its_text(lsn: int):
    assert parse_lsn(format_lsn(lsn)) == lsn


def test_pgbouncer_true_turns_prepared_statements_off():
    from sqlalchemy.engine import make_url

    url, args = _pooler_settings(make_url("postgresql+psycopg://u@h:6432/db?pgbouncer=true"))
    assert args == {"prepare_threshold": None}
    assert "pgbouncer" not in url.query
    assert _pooler_settings(make_url("postgresql+psycopg://u@h/db?pgbouncer=false"))[1] == {}
    assert _pooler_settings(make_url("postgresql+psycopg://u@h/db"))[1] == {}
    with pytest.raises(DatabaseUrlError, match="pgbouncer=true"):
        _pooler_settings(make_url("postgresql+psycopg://u@h/db?pgbouncer=maybe"))


def test_read_db_needs_postgresql_on_both_sides(tmp_path: Path):
    from accord.node import open_node

    with pytest.raises(DatabaseUrlError, match="--read-db needs PostgreSQL"):
        open_node(str(tmp_path / "a.db"), read_db="postgresql://u@127.0.0.1:1/db")
    assert not (tmp_path / "a.db").exists()  # refused before anything was made
    assert open_engine(str(tmp_path / "b.db")).dialect.name == "sqlite"


def test_a_replica_of_another_cluster_database_or_schema_is_named_as_such():
    primary = _Whose(cluster=7715783121209170071, database="accord", schema="public")
    assert _differs(primary, primary) is None
    other_cluster = _differs(_Whose(1234, "accord", "public"), primary)
    assert other_cluster is not None and "another PostgreSQL cluster" in other_cluster
    assert "system identifier 1234" in other_cluster
    other_database = _differs(_Whose(primary.cluster, "node_b", "public"), primary)
    assert other_database is not None
    assert "names database 'node_b', and --db 'accord'" in other_database
    other_schema = _differs(_Whose(primary.cluster, "accord", "node_b"), primary)
    assert other_schema is not None and "schema 'node_b'" in other_schema


def test_urls_that_do_not_parse_are_named_without_their_password():
    from accord.store.urls import normalise_url, shown_url

    for url, wanted in (("postgresql://u:secret@[::1/x", "is not a database URL"),
                        ("postgresql://u:secret@h:notaport/x", "is not a database URL"),
                        ("postgresql://u:secret@h:99999/x", "port 99999 is not a TCP port")):
        with pytest.raises(DatabaseUrlError, match=re.escape(wanted)) as refused:
            normalise_url(url)
        assert "secret" not in str(refused.value)
        assert "invalid literal" not in str(refused.value)
    assert shown_url("postgresql://u:secret@h/db") == "postgresql://u:***@h/db"
    assert shown_url("postgresql://u:secret@h:nope/db") == "postgresql://u:***@h:nope/db"
    assert shown_url("/var/lib/accord/node.db") == "/var/lib/accord/node.db"
