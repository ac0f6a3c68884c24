"""A look-up of a network holding many mentioned addresses: what one costs.

`.venv/bin/python bench/inside_bench.py [--addresses 100000] [--rounds 5] [--db URL]`: stores
`--addresses` indicators, each of its own address in 10.0.0.0/8 (a feed's worth), then looks
up 10.0.0.0/8, 10.0.0.0/16 and 10.0.0.0/24 `--rounds` times each as the node's own party (the
newest 100, as the REST API and the search page ask), and prints the median of each with how
many results it found and whether the answer was complete. What lies inside a network is
read in address order, store.inside_seeks.MOST_INSIDE index rows at most: the work of a
look-up of a broad network should not grow with how many addresses lie inside it.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from accord.correlation.values import guess, value_text
from accord.node import initialise, open_node
from accord.store.correlations import Correlations

BATCH = 10_000


def indicator(n: int) -> dict:
    return {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
            "pattern": f"[ipv4-addr:value = '10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}']",
            "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addresses", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file in /tmp)")
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory(prefix="accord-inside-")
    node = open_node(args.db or str(Path(scratch.name) / "inside.db"))
    own, _ = initialise(node, "Bench")
    collection = node.directory.collection("evidence")
    for start in range(0, args.addresses, BATCH):
        node.objects.add(collection.id, [indicator(n) for n in range(
            start, min(args.addresses, start + BATCH))], poster_id=own.id)
    correlations = Correlations(node.engine)
    gc.freeze()
    for network in ("10.0.0.0/8", "10.0.0.0/16", "10.0.0.0/24"):
        times = []
        for _ in range(args.rounds):
            t = time.perf_counter()
            looked = correlations.look_up(own.id, guess(network), 100)
            times.append((time.perf_counter() - t) * 1000)
        stopped = looked.stopped_at
        print(json.dumps({"bench": "inside", "backend": node.engine.dialect.name,
                          "addresses": args.addresses, "network": network,
                          "found": len(looked.found), "complete": stopped is None,
                          "read_below": value_text(stopped) if stopped else None,
                          "p50_ms": round(statistics.median(times), 1)}))
    node.engine.dispose()


if __name__ == "__main__":
    main()
