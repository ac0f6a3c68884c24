"""store.write_positions: each client's latest write position, kept in the primary where every
host reads it; on both backends, and on PostgreSQL UNLOGGED (no WAL for a position)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from tests.unit.store.test_replica import Clock

from accord.node import Node, open_node
from accord.store.engine import reading
from accord.store.write_positions import WritePositions


def positions(node: Node, clock: Clock, **more: float) -> WritePositions:
    return WritePositions(node.engine, keep=300, clock=clock, **more)  # type: ignore[arg-type]


def test_a_position_only_moves_forward_and_expires(node: Node):
    clock = Clock()
    kept = positions(node, clock)
    kept.remember("a", 5)
    kept.remember("a", 3)  # an older write answered later does not move it back
    assert kept.after("a") == 5
    assert kept.after("b") == 0
    clock.now += 299
    assert kept.after("a") == 5
    kept.remember("a", 4)  # written again: kept for another while, still at its furthest
    clock.now += 299
    assert kept.after("a") == 5
    clock.now += 1
    assert kept.after("a") == 0  # as long as the cookie: the replica has it by now


def test_every_host_sees_a_position_another_host_kept(node: Node, db_url: str):
    clock = Clock()
    other_host = open_node(db_url)
    try:
        positions(node, clock).remember("a", 7)
        assert positions(other_host, clock).after("a") == 7
        positions(other_host, clock).remember("a", 9)
        assert positions(node, clock).after("a") == 9
    finally:
        other_host.engine.dispose()


def test_pruning_forgets_the_expired_and_keeps_the_most_recent_within_the_limit(node: Node):
    clock = Clock()
    kept = positions(node, clock, limit=2, prune_every=10)
    for n, client in enumerate("abc"):
        kept.remember(client, n + 1)
        clock.now += 1
    clock.now += 10
    kept.remember("d", 4)  # pruning now: "a" and "b" were written least recently
    with reading(node.engine) as conn:
        rows = sorted(conn.execute(text("SELECT client, lsn FROM write_positions")))
    assert rows == [("c", 3), ("d", 4)]
    clock.now += 301
    kept.remember("e", 5)  # and the expired go
    with reading(node.engine) as conn:
        assert list(conn.execute(text("SELECT client FROM write_positions"))) == [("e",)]


@pytest.mark.postgres
def test_on_postgresql_the_table_is_unlogged(pg_url: str):
    node = open_node(pg_url)
    try:
        with reading(node.engine) as conn:
            persistence = conn.execute(text(
                "SELECT relpersistence FROM pg_class WHERE relname = 'write_positions' "
                "AND relnamespace = current_schema()::regnamespace")).scalar_one()
        assert persistence == "u"
    finally:
        node.engine.dispose()
