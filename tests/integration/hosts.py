"""Several hosts on one database, in one test: each host a node of its own (its own engine and
connection pool, as a separate `accord serve` process has), acting at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from accord.node import Node, open_node

T = TypeVar("T")


@contextmanager
def hosts(db_url: str, count: int) -> Iterator[list[Node]]:
    """`count` nodes on the database `db_url` names, as many hosts would open it."""
    opened = [open_node(db_url, migrate_schema=False) for _ in range(count)]
    try:
        yield opened
    finally:
        for node in opened:
            node.engine.dispose()


def at_once(actions: Sequence[Callable[[], T]]) -> list[T]:
    """Run every action in a thread of its own, all released together (a barrier), and return
    their results in order; the first failure is raised once all have ended."""
    start = threading.Barrier(len(actions))

    def run(action: Callable[[], T]) -> T:
        start.wait(timeout=30)
        return action()

    with ThreadPoolExecutor(len(actions)) as pool:
        futures = [pool.submit(run, action) for action in actions]
        return [future.result(timeout=120) for future in futures]


def write_audit_records(db_url: str, host: int, count: int) -> int:
    """In a process of its own (a host): append `count` audit records one transaction at a time,
    every other one with an object stored in the same transaction, as a POST does."""
    from accord.intake import screen, store
    from accord.stix.timestamps import now_timestamp
    from accord.trust.audit import Event

    node = open_node(db_url, migrate_schema=False)
    try:
        evidence = node.directory.collection("evidence")
        for n in range(count):
            if n % 2:
                node.audit.append([Event(now_timestamp(), "test.host", None,
                                         detail={"host": host, "n": n})])
                continue
            indicator = {
                "type": "indicator", "spec_version": "2.1",
                "id": f"indicator--00000000-0000-4000-8{host:03d}-{n:012d}",
                "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                "pattern": f"[ipv4-addr:value = '198.51.{host}.{n % 250}']",
                "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"}
            store(node.engine, evidence, screen([indicator]), party_id=node.party.id)
        return count
    finally:
        node.engine.dispose()
