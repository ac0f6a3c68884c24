"""A value many objects name: what one look-up of it costs.

`.venv/bin/python bench/hot_value_bench.py [--hot 100000] [--rounds 20] [--db URL]`: stores
`--hot` indicators that all name one address (and a network around it), as a feed does for a
resolver every client uses or a party does to slow everyone's look-ups of a value, beside
10,000 others; then looks that address up `--rounds` times, as the REST API's look-up, the web
UI's search and the evidence picker do (the newest 100), and prints the median and the worst.
The work of a look-up should not grow with how many objects name the value.
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

from accord.correlation.values import guess
from accord.node import initialise, open_node
from accord.store.correlations import Correlations

BATCH = 10_000
HOT = "198.51.100.7"


def indicator(n: int, pattern: str) -> dict:
    return {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
            "name": f"generated {n}", "pattern": pattern, "pattern_type": "stix",
            "valid_from": "2020-01-01T00:00:00Z"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hot", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file in /tmp)")
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory(prefix="accord-hot-")
    node = open_node(args.db or str(Path(scratch.name) / "hot.db"))
    own, _ = initialise(node, "Bench")
    collection = node.directory.collection("evidence")
    others = [indicator(n, f"[ipv4-addr:value = '10.0.{n // 256 % 256}.{n % 256}']")
              for n in range(10_000)]
    node.objects.add(collection.id, others, poster_id=own.id)
    for start in range(0, args.hot, BATCH):
        node.objects.add(collection.id, [
            indicator(n, f"[ipv4-addr:value = '{HOT}']" if n % 2 else
                      "[ipv4-addr:value ISSUBSET '198.51.100.0/24']")
            for n in range(start, min(args.hot, start + BATCH))], poster_id=own.id)
    correlations = Correlations(node.engine)
    gc.freeze()
    times = []
    for _ in range(args.rounds):
        t = time.perf_counter()
        found = correlations.look_up(own.id, guess(HOT), 100).found
        times.append((time.perf_counter() - t) * 1000)
    print(json.dumps({"bench": "hot_value", "backend": node.engine.dialect.name,
                      "hot": args.hot, "found": len(found),
                      "p50_ms": round(statistics.median(times), 1),
                      "max_ms": round(max(times), 1)}))
    node.engine.dispose()


if __name__ == "__main__":
    main()
