"""The connection a server's event loop keeps between requests, on SQLite (store.resident):
used again without the pool, yet every block reads what was committed before it began, and a
connection left in a transaction goes back to the pool rather than into the next block."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, text

from accord.store import resident
from accord.store.engine import one_connection, open_engine, reading, writing


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    made = open_engine(f"sqlite:///{tmp_path / 'node.db'}")
    with writing(made) as conn:
        conn.execute(text("CREATE TABLE said (n INTEGER)"))
    resident.keep_resident(made)
    try:
        yield made
    finally:
        resident.release_resident(made)
        made.dispose()


@pytest.fixture
def checkouts(engine: Engine) -> list[object]:
    made: list[object] = []
    event.listen(engine, "checkout", lambda *_: made.append(1))
    return made


def _count(engine: Engine) -> int:
    with one_connection(), reading(engine) as conn:
        return int(conn.execute(text("SELECT count(*) FROM said")).scalar_one())


def _say(engine: Engine) -> None:
    with writing(engine) as conn:
        conn.execute(text("INSERT INTO said VALUES (1)"))


def test_the_connection_is_kept_and_each_block_reads_what_was_committed(engine, checkouts):
    assert _count(engine) == 0
    _say(engine)  # another connection (a writer's, from the pool) commits meanwhile
    assert _count(engine) == 1
    _say(engine)
    assert _count(engine) == 2
    # One checkout for the reads (kept), one for each write.
    assert len(checkouts) == 1 + 2


def test_a_connection_left_in_a_transaction_is_not_kept(engine, checkouts):
    with one_connection(), reading(engine) as conn:
        conn.exec_driver_sql("BEGIN")  # its reads would stay on this snapshot
        assert conn.execute(text("SELECT count(*) FROM said")).scalar_one() == 0
    _say(engine)
    assert _count(engine) == 1  # a fresh connection, outside that snapshot
    assert len(checkouts) == 1 + 1 + 1

