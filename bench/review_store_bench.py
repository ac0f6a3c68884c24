#!/usr/bin/env python3
"""The review as users run it: `accord review` over N requests stored in a node.

Stores the ledgers `review_bench.generate_ledgers` makes (N requests, about four entries each,
as the STIX objects the desk would store, through the object store: validation is not timed)
in a fresh SQLite file (or --db URL), then times the whole `accord review --format json`
command, start-up included, and its in-process part alone.

usage: review_store_bench.py [--count 100000] [--db URL] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import update

sys.path.insert(0, str(Path(__file__).parent))
from review_bench import NOW, PARTIES, PERIOD_END, PERIOD_START, generate_ledgers  # noqa: E402

from accord.cooperation.desk import Actor, Desk  # noqa: E402
from accord.cooperation.model import Request  # noqa: E402
from accord.cooperation.objects import to_stix  # noqa: E402
from accord.cooperation.receipts import marked  # noqa: E402
from accord.cooperation.report import render  # noqa: E402
from accord.cooperation.reviewing import review_ledgers  # noqa: E402
from accord.node import Node, initialise, open_node  # noqa: E402
from accord.store.directory import Collection, identity_for  # noqa: E402
from accord.store.schema import parties  # noqa: E402

BATCH = 20_000


def store_ledgers(node: Node, count: int,
                  worded: Callable[[int, Request], Request] | None = None
                  ) -> tuple[Collection, int]:
    """Register the generated parties (under the identity ids the generator uses) and store
    COUNT requests with their ledgers in the desk's collection, as the desk would; returns the
    collection and how many objects were stored. `worded` may give the i-th request other
    texts (request_search_bench.py). Also used by scale_bench.py."""
    for identity, name in PARTIES.items():
        party = node.directory.add_party(name)
        with node.engine.begin() as conn:
            conn.execute(update(parties).where(parties.c.id == party.id).values(
                id=identity, identity=json.dumps(identity_for(name, "2026-01-01T00:00:00Z")
                                                 ).encode()))
    collection = Desk(node).collection()
    batch: list[dict] = []
    stored = 0
    for number, ledger in enumerate(generate_ledgers(count)):
        request = ledger.request if worded is None else worded(number, ledger.request)
        batch.append(marked(to_stix(request), request.requester, request))
        batch += [marked(to_stix(e), e.party, request) for e in ledger.entries]
        if len(batch) >= BATCH:
            node.objects.add(collection.id, batch)
            stored += len(batch)
            batch = []
    if batch:
        node.objects.add(collection.id, batch)
        stored += len(batch)
    return collection, stored


def fill(node: Node, count: int) -> tuple[int, float]:
    """A new node holding `count` generated ledgers, between the generator's parties (under
    their identity ids); returns how many objects were stored and the seconds it took."""
    started = time.perf_counter()
    initialise(node, "Bench node")
    _, stored = store_ledgers(node, count)
    return stored, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file in /tmp)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory(prefix="accord-review-")
    db = args.db or str(Path(scratch.name) / "review.db")
    node = open_node(db)
    started = time.perf_counter()
    initialise(node, "Bench node")
    collection, stored = store_ledgers(node, args.count)
    seconds = time.perf_counter() - started
    print(json.dumps({"phase": "store", "requests": args.count, "objects": stored,
                      "seconds": round(seconds, 2)}), flush=True)

    def in_process() -> str:
        names = node.directory.names()
        desk = Desk(node, clock=lambda: NOW)
        return render(review_ledgers(desk, PERIOD_START, PERIOD_END, names=names), "json")

    timings = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        in_process()
        timings.append(time.perf_counter() - t)
    print(json.dumps({"phase": "review + json, in process (each request's figures read)",
                      "best_s": round(min(timings), 3)}), flush=True)

    # The deadline watcher's read and the dashboard's, whole ledger against what still runs.
    desk = Desk(node, clock=lambda: NOW)
    desk.admit(collection, list(PARTIES))  # as the desk does when a request names them
    reads = {
        "watcher tick read (every ledger)": lambda: desk.ledgers(None, whole=False),
        "watcher tick read (not answered, not withdrawn)": lambda: desk.ledgers(
            None, whole=False, without=("x-accord-response", "x-accord-withdrawal")),
        "dashboard of one party (every request)": lambda: desk.search(
            Actor(node.directory.party(next(iter(PARTIES))))),
        "dashboard of one party (still running)": lambda: desk.search(
            Actor(node.directory.party(next(iter(PARTIES)))),
            without=("x-accord-rating", "x-accord-withdrawal")),
    }
    for phase, read in reads.items():
        timings = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            found = read()
            timings.append(time.perf_counter() - t)
        print(json.dumps({"phase": phase, "ledgers": len(found),
                          "best_s": round(min(timings), 3)}), flush=True)

    accord = Path(sys.executable).parent / "accord"
    command = [str(accord), "review", "--from", PERIOD_START.date().isoformat(),
               "--to", PERIOD_END.date().isoformat(), "--format", "json", "--db", db]
    timings = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        done = subprocess.run(command, capture_output=True)
        timings.append(time.perf_counter() - t)
        assert done.returncode == 0, done.stderr.decode()
    figures = json.loads(done.stdout)
    print(json.dumps({"phase": "accord review --format json (whole command)",
                      "best_s": round(min(timings), 3),
                      "directions": len(figures["directions"]),
                      "requests": sum(d["requests"] for d in figures["directions"].values())}))
    print(f"\n| figure | measured | target |\n|---|---|---|\n"
          f"| `accord review` of {args.count:,} requests | {min(timings):.2f} s | ≤ 2 s |")
    node.engine.dispose()
    scratch.cleanup()


if __name__ == "__main__":
    main()
