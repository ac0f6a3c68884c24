#!/usr/bin/env python3
"""Correlation at scale: index N generated indicators, then time look-ups.

Each indicator's pattern names one value: an IPv4 address (half of them), a domain or a
SHA-256 hash; one in fifty names a /24 network instead. Indicators are stored through the
object store (what TAXII POST and `accord import` use after validation), in batches of 10,000,
into a fresh SQLite (default) or PostgreSQL database; "indexing" is that whole storing rate.
Look-ups run as a party that may read the collection: addresses that are present, addresses
only inside a stored network, domains, hashes, and values that are nowhere.

usage: lookup_bench.py [--count 1000000] [--samples 2000] [--db URL]
Prints JSON lines and a markdown table.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from accord.correlation.values import guess
from accord.node import initialise, open_node
from accord.store.correlations import Correlations

BATCH = 10_000


def indicator(n: int, rnd: random.Random) -> tuple[dict, str]:
    roll = n % 50
    if roll == 0:
        net = f"10.{rnd.randrange(256)}.{rnd.randrange(256)}.0/24"
        pattern, value = f"[ipv4-addr:value ISSUBSET '{net}']", net
    elif roll % 2:
        value = ".".join(str(rnd.randrange(1 if i == 0 else 0, 224 if i == 0 else 256))
                         for i in range(4))
        pattern = f"[ipv4-addr:value = '{value}']"
    elif roll % 4 == 0:
        value = f"{uuid.UUID(int=rnd.getrandbits(128)).hex}.example"
        pattern = f"[domain-name:value = '{value}']"
    else:
        value = f"{rnd.getrandbits(256):064x}"
        pattern = f"[file:hashes.'SHA-256' = '{value}']"
    obj = {"type": "indicator", "spec_version": "2.1",
           "id": f"indicator--{uuid.UUID(int=rnd.getrandbits(128), version=4)}",
           "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
           "name": f"generated {n}", "pattern": pattern, "pattern_type": "stix",
           "valid_from": "2020-01-01T00:00:00Z"}
    return obj, value


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file in /tmp)")
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory(prefix="accord-lookup-")
    node = open_node(args.db or str(Path(scratch.name) / "lookup.db"))
    own, _ = initialise(node, "Bench")
    collection = node.directory.collection("evidence")
    rnd = random.Random(7)
    values: list[str] = []
    stored = 0
    indexing_s = 0.0  # storing and indexing only; making up the indicators is not timed
    for start in range(0, args.count, BATCH):
        batch = [indicator(n, rnd) for n in range(start, min(args.count, start + BATCH))]
        t0 = time.perf_counter()
        node.objects.add(collection.id, [o for o, _ in batch], poster_id=own.id)
        indexing_s += time.perf_counter() - t0
        values += [v for _, v in batch]
        stored += len(batch)
    out = {"bench": "lookup", "indicators": stored, "indexing_s": round(indexing_s, 2),
           "indexing_per_s": round(stored / indexing_s)}
    print(json.dumps(out), flush=True)

    correlations = Correlations(node.engine)
    probes = [rnd.choice(values) for _ in range(args.samples // 2)]
    probes += [f"10.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}"
               for _ in range(args.samples // 4)]  # mostly inside a stored /24, or nowhere
    probes += [f"{rnd.getrandbits(256):064x}" for _ in range(args.samples // 4)]  # nowhere
    rnd.shuffle(probes)
    latencies, hits = [], 0
    for value in probes:
        t = time.perf_counter()
        found = correlations.lookup(own.id, guess(value))
        latencies.append(time.perf_counter() - t)
        hits += bool(found)
    out.update(lookups=len(probes), found=hits,
               lookup_p50_ms=round(statistics.median(latencies) * 1000, 3),
               lookup_p99_ms=round(pct(latencies, 99) * 1000, 3))
    print(json.dumps(out), flush=True)
    print(f"\n| figure | measured | target |\n|---|---|---|\n"
          f"| indexing ({stored:,} indicators) | {out['indexing_per_s']:,} /s | ≥ 20,000 /s |\n"
          f"| look-up p50 | {out['lookup_p50_ms']} ms | |\n"
          f"| look-up p99 | {out['lookup_p99_ms']} ms | ≤ 5 ms |")
    node.engine.dispose()
    scratch.cleanup()


if __name__ == "__main__":
    main()
