#!/usr/bin/env python3
"""Does the time of a look-up tell what the caller may not read? A /16 look-up timed on three
nodes that differ only in where their hidden values lie.

Every node holds a collection the reader may read (VISIBLE indicators inside 10.1.0.0/16, and
HIDDEN more marked TLP:RED and not addressed to the reader) and one it may not read (HIDDEN
indicators). On the "empty" node every hidden value lies in 10.2.0.0/16; on "collection" the
unreadable collection's values lie in 10.1.0.0/16; on "marking" the RED ones do. The reader
looks up 10.1.0.0/16 on each, ROUNDS times, the three nodes taking turns in every round; the
ratio of medians to the "empty" node is what the time tells an observer (1.0: nothing).

usage: lookup_side_channel.py [--hidden 20000] [--visible 50] [--rounds 300] [--pg URL]
(--pg: also on PostgreSQL, in fresh schemas of that database, dropped afterwards.)
Prints JSON lines and a markdown table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from accord.correlation.values import guess
from accord.node import initialise, open_node
from accord.store.correlations import Correlations
from accord.trust.markings import MARKING_FOR, Tlp

LAYOUTS = ("empty", "collection", "marking")


def indicator(n: int, address: str, red: bool = False) -> dict:
    obj = {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
           "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
           "name": f"generated {n}", "pattern": f"[ipv4-addr:value = '{address}']",
           "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z"}
    if red:
        obj["object_marking_refs"] = [MARKING_FOR[Tlp.RED]]
    return obj


def addresses(second: int, count: int, start: int = 0) -> list[str]:
    return [f"10.{second}.{(n // 250) % 256}.{n % 250 + 1}" for n in range(start, start + count)]


def build(url: str, layout: str, hidden: int, visible: int) -> tuple[object, str]:
    node = open_node(url)
    own, _ = initialise(node, "Bench")
    reader = node.directory.add_party("Reader")
    shared = node.directory.create_collection("Shared", read=[own, reader], write=[own])
    secret = node.directory.create_collection("Secret", read=[own], write=[own])
    unreadable_in = 1 if layout == "collection" else 2
    red_in = 1 if layout == "marking" else 2
    node.objects.add(shared.id, [indicator(n, a) for n, a in
                                 enumerate(addresses(1, visible, start=40_000))],
                     poster_id=own.id)
    for start in range(0, hidden, 10_000):
        size = min(10_000, hidden - start)
        node.objects.add(secret.id, [indicator(n, a) for n, a in
                                     enumerate(addresses(unreadable_in, size, start))],
                         poster_id=own.id)
        node.objects.add(shared.id, [indicator(n, a, red=True) for n, a in
                                     enumerate(addresses(red_in, size, 20_000 + start))],
                         poster_id=own.id)
    return node, reader.id


@contextmanager
def database(backend: str, pg: str | None, scratch: Path, layout: str) -> Iterator[str]:
    if backend == "sqlite":
        yield str(scratch / f"{layout}.db")
        return
    import psycopg

    assert pg is not None
    schema = f"bench_{layout}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{pg}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(pg, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def timed(nodes: dict[str, tuple[object, str]], rounds: int
          ) -> dict[str, tuple[float, float, int]]:
    """Median, p90 (ms) and objects found per layout; the layouts take turns in every round,
    so that whatever else the machine does weighs on each alike."""
    query = guess("10.1.0.0/16")
    lookups = {layout: (Correlations(node.engine), reader)  # type: ignore[attr-defined]
               for layout, (node, reader) in nodes.items()}
    found = {layout: len(c.lookup(reader, query, 100)) for layout, (c, reader) in lookups.items()}
    for _ in range(20):  # warm the caches
        for correlations, reader in lookups.values():
            correlations.lookup(reader, query, 100)
    times: dict[str, list[float]] = {layout: [] for layout in lookups}
    for _ in range(rounds):
        for layout, (correlations, reader) in lookups.items():
            started = time.perf_counter()
            correlations.lookup(reader, query, 100)
            times[layout].append(time.perf_counter() - started)
    return {layout: (statistics.median(t) * 1000, sorted(t)[int(len(t) * 0.9)] * 1000,
                     found[layout]) for layout, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=20_000)
    parser.add_argument("--visible", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--pg", help="a PostgreSQL URL to measure on too")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="accord-sidechannel-") as scratch, ExitStack() as stack:
        for backend in ("sqlite", "postgresql") if args.pg else ("sqlite",):
            nodes = {layout: build(stack.enter_context(database(backend, args.pg, Path(scratch),
                                                                layout)),
                                   layout, args.hidden, args.visible)
                     for layout in LAYOUTS}
            measured = timed(nodes, args.rounds)
            for node, _reader in nodes.values():
                node.engine.dispose()  # type: ignore[attr-defined]
            for layout, (median, p90, found) in measured.items():
                out = {"bench": "lookup-side-channel", "backend": backend, "layout": layout,
                       "hidden": args.hidden, "visible": args.visible, "found": found,
                       "median_ms": round(median, 3), "p90_ms": round(p90, 3),
                       "ratio_to_empty": round(median / measured["empty"][0], 2)}
                print(json.dumps(out), flush=True)
                rows.append(out)
    print("\n| backend | hidden values in the /16 | found | median | p90 | ÷ empty |\n"
          "|---|---|---|---|---|---|")
    for r in rows:
        where = {"empty": "none", "collection": f"{r['hidden']:,} in an unreadable collection",
                 "marking": f"{r['hidden']:,} TLP:RED, not addressed"}[r["layout"]]
        print(f"| {r['backend']} | {where} | {r['found']} | {r['median_ms']} ms | "
              f"{r['p90_ms']} ms | {r['ratio_to_empty']} |")


if __name__ == "__main__":
    main()
