"""The connection a server's event loop keeps between requests (store.resident): used again
without the pool, replaced when it failed or its session was cut, never shared by two blocks,
and given back to the pool when the server stops."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import DBAPIError
from tests.conftest import PG_ADMIN_URL

from accord.store import resident
from accord.store.engine import one_connection, open_engine, reading

pytestmark = pytest.mark.postgres


def kept(made: Engine) -> Iterator[Engine]:
    """`made`, its connection kept by this thread's blocks until the test ends (then given
    back, and the engine disposed); for an engine fixture to yield from."""
    resident.keep_resident(made)
    try:
        yield made
    finally:
        resident.release_resident(made)
        made.dispose()


@pytest.fixture
def engine(pg_url: str) -> Iterator[Engine]:
    yield from kept(open_engine(pg_url))


@pytest.fixture
def checkouts(engine: Engine) -> list[object]:
    made: list[object] = []
    event.listen(engine, "checkout", lambda *_: made.append(1))
    return made


def _pid(engine: Engine) -> int:
    with one_connection(), reading(engine) as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_the_connection_is_kept_from_one_block_to_the_next(engine, checkouts):
    pids = {_pid(engine) for _ in range(5)}
    assert len(pids) == 1 and len(checkouts) == 1
    assert engine.pool.checkedout() == 1  # kept, not returned
    resident.release_resident(engine)
    assert engine.pool.checkedout() == 0


def test_a_cut_session_is_replaced_before_the_next_block_uses_it(engine, checkouts):
    first = _pid(engine)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s, 10000)", [first]).fetchone()[0]
    assert _pid(engine) != first  # no failed request: its socket said goodbye


def test_after_a_failed_statement_the_next_block_reads_and_nothing_leaks(engine, checkouts):
    _pid(engine)
    with pytest.raises(DBAPIError), one_connection(), reading(engine) as conn:
        conn.exec_driver_sql("SELECT 1/0")
    with one_connection(), reading(engine) as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    assert engine.pool.checkedout() == 1  # the one kept, no other left out


def test_a_block_begun_while_another_holds_it_takes_one_from_the_pool(engine, checkouts):
    _pid(engine)
    with one_connection(), reading(engine) as outer:
        # Another request's block on the same thread, while this one is suspended (an await).
        token = resident._residents[engine]
        assert token.busy
        inner_pid = None

        def other_block() -> None:
            nonlocal inner_pid
            inner_pid = _pid(engine)

        import contextvars

        contextvars.Context().run(other_block)  # a block of its own, not nested in this one
        assert inner_pid != outer.execute(text("SELECT pg_backend_pid()")).scalar()


def test_other_threads_use_the_pool(engine, checkouts):
    _pid(engine)
    seen: list[int] = []
    worker = threading.Thread(target=lambda: seen.append(_pid(engine)))
    worker.start()
    worker.join()
    assert seen[0] != _pid(engine)
    assert len(checkouts) == 2


def test_a_kept_connection_that_rested_long_is_asked_before_use(engine, checkouts,
                                                                monkeypatch):
    first = _pid(engine)
    pings: list[object] = []
    ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pings.append(c) or ping(c))
    monkeypatch.setattr(resident, "RESTED", 0.0)
    assert _pid(engine) == first  # asked, alive, kept
    assert len(pings) == 1 and len(checkouts) == 1
