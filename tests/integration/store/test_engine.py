"""How connections meet transactions: reads without one on PostgreSQL, writes in one."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.engine.base import OptionEngine

from accord.store.engine import one_connection, open_engine, reading, writing


def _statement_times(conn) -> tuple[object, object]:
    """now() of two statements 20 ms apart: equal within one transaction (PostgreSQL's now()
    is when the transaction began), apart in two."""
    first = conn.execute(text("SELECT now()")).scalar_one()
    time.sleep(0.02)
    return first, conn.execute(text("SELECT now()")).scalar_one()


def test_each_statement_of_a_read_on_postgresql_is_its_own_transaction(pg_url):
    engine = open_engine(pg_url)
    try:
        with reading(engine) as conn:
            first, second = _statement_times(conn)
        assert first < second  # two transactions: BEGIN and ROLLBACK spared
    finally:
        engine.dispose()


def test_a_write_after_a_read_on_the_same_pooled_connection_is_one_transaction(db_url):
    engine = open_engine(db_url)
    try:
        for _ in range(2):  # the pool hands back the connection the read used
            with reading(engine) as conn:
                conn.execute(text("SELECT 1"))
            with writing(engine) as conn:
                conn.execute(text("CREATE TABLE IF NOT EXISTS kept (n int)"))
                conn.execute(text("INSERT INTO kept VALUES (1)"))
                if engine.dialect.name == "postgresql":
                    first, second = _statement_times(conn)
                    assert first == second  # one transaction
            try:
                with writing(engine) as conn:
                    conn.execute(text("INSERT INTO kept VALUES (2)"))
                    raise RuntimeError("the write fails halfway")
            except RuntimeError:
                pass
        with reading(engine) as conn:
            assert conn.execute(text("SELECT n FROM kept")).scalars().all() == [1, 1]
    finally:
        engine.dispose()


class _Checked(OptionEngine):
    """Hands over connections that ran a statement already, as a replica's connection comes
    checked for its replayed position (store.replica)."""

    def connect(self) -> Connection:
        conn = super().connect()
        conn.execute(text("SELECT 1"))
        return conn


def test_a_read_on_a_connection_handed_over_in_a_transaction_stays_in_it(pg_url):
    engine = open_engine(pg_url)
    try:
        with reading(_Checked(engine, {})) as conn:
            first, second = _statement_times(conn)
        assert first == second
    finally:
        engine.dispose()


def test_the_node_s_sessions_on_postgresql_compile_no_statement_with_jit(pg_url):
    # The setting must hold after the pool hands the connection back and out again: SET is
    # transactional, and a rolled-back first transaction would undo it.
    engine = open_engine(pg_url)
    try:
        for _ in range(2):
            with reading(engine) as conn:
                assert conn.execute(text("SHOW jit")).scalar_one() == "off"
            with writing(engine) as conn:
                assert conn.execute(text("SHOW jit")).scalar_one() == "off"
        with engine.connect() as conn:
            # Every statement past the threshold: with JIT on, this plan would say "JIT:".
            conn.execute(text("SET LOCAL jit_above_cost = 0"))
            plan = "\n".join(conn.execute(text(
                "EXPLAIN (ANALYZE) SELECT sum(a) FROM generate_series(1, 1000) a")).scalars())
            conn.rollback()
        assert "JIT" not in plan
    finally:
        engine.dispose()


def test_reads_within_one_connection_share_one_checkout_returned_at_the_end(db_url):
    engine = open_engine(db_url)
    try:
        with one_connection():
            with reading(engine) as first:
                first.execute(text("SELECT 1"))
            with one_connection(), reading(engine) as nested:  # an inner block: the same
                assert nested is first
            with reading(engine) as second:
                assert second is first
            assert engine.pool.checkedout() == 1
        assert engine.pool.checkedout() == 0
        with pytest.raises(RuntimeError), one_connection():
            with reading(engine) as conn:
                conn.execute(text("SELECT 1"))
            raise RuntimeError("the request fails")
        assert engine.pool.checkedout() == 0
        with one_connection():
            pass  # no read, no checkout
        assert engine.pool.checkedout() == 0
    finally:
        engine.dispose()
