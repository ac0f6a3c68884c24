"""A node whose database connections were cut (PostgreSQL restarted, a proxy or firewall
dropped them while the node was quiet) uses fresh ones at once: the first request after does
not fail on a dead pooled connection. And a connection used a moment ago is handed out again
without a round trip to check it."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Engine, text
from tests.conftest import PG_ADMIN_URL

from accord.store import pg_sessions
from accord.store.engine import open_engine

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(pg_url: str) -> Iterator[Engine]:
    made = open_engine(pg_url)
    try:
        yield made
    finally:
        made.dispose()


@pytest.fixture
def pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every round trip made to check a pooled connection before its use."""
    made: list[object] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        made.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return made


def _backend(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _cut(pid: int) -> None:
    """End the session of `pid` as a restart does, and wait until it is gone (only this
    test's own session: the shared server and its other clients go on)."""
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        row = admin.execute("SELECT pg_terminate_backend(%s, 10000)", [pid]).fetchone()
        assert row is not None and row[0]


def test_a_pooled_connection_cut_meanwhile_is_replaced_before_use(engine: Engine,
                                                                  pings: list[object]):
    first = _backend(engine)
    _cut(first)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != first
    assert len(pings) == 1  # the dead one was asked, since its socket had the server's goodbye


def test_every_pooled_connection_is_replaced_after_a_restart(engine: Engine):
    # Two connections in the pool, both cut (as a restart cuts every session).
    with engine.connect() as one, engine.connect() as two:
        pids = [int(c.execute(text("SELECT pg_backend_pid()")).scalar_one()) for c in (one, two)]
    for pid in pids:
        _cut(pid)
    with engine.connect() as one, engine.connect() as two:
        assert [c.execute(text("SELECT 1")).scalar() for c in (one, two)] == [1, 1]


def test_a_connection_used_a_moment_ago_is_not_asked_again(engine: Engine,
                                                           pings: list[object]):
    for _ in range(5):
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    assert pings == []  # no round trip but the statements' own


def test_a_connection_that_rested_long_is_asked_before_use(engine: Engine, pings: list[object],
                                                           monkeypatch: pytest.MonkeyPatch):
    # A firewall that drops quiet connections says nothing on their sockets: time is the sign.
    _backend(engine)
    monkeypatch.setattr(pg_sessions, "RESTED", 0.0)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    assert len(pings) == 1
