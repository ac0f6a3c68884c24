#!/usr/bin/env python3
"""A party floods the name index: N objects named "APT28" in a collection of its own, which
the other party may not read; the other party holds one APT28 (and an "APT28 loader") it may
read. Times the other party's searches, and says what they found.

Before migration 0034 the exact-name pass walked the flood against the search's budget
(40,000 names): past it, "nothing you may read matches", and the time grew with the flood.
After, an exact name is looked for in the reader's collections alone. The substring pass still
reads every collection's names (docs/security.md).

usage: PYTHONPATH=CHECKOUT/src name_flood_bench.py [--flood 45000] [--samples 20] [--db URL]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from accord.node import initialise, open_node
from accord.store.browse import Browse

T = "2024-01-01T00:00:00.000Z"


def tool(n: int, name: str) -> dict[str, object]:
    return {"type": "tool", "spec_version": "2.1", "id": f"tool--{uuid.UUID(int=n)}",
            "created": T, "modified": T, "name": name}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood", type=int, default=45_000)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file in /tmp)")
    args = parser.parse_args()
    url = args.db or str(Path(tempfile.mkdtemp(prefix="accord-flood-")) / "node.db")
    node = open_node(url)
    us, _ = initialise(node, "US-CERT")
    china = node.directory.add_party("China")
    shared = node.directory.create_collection("Shared", read=[us, china], write=[us, china])
    own = node.directory.create_collection("Ours", read=[us], write=[us])
    node.objects.add(shared.id, [tool(1, "APT28"), tool(2, "APT28 loader")], poster_id=china.id)
    for start in range(0, args.flood, 5000):
        node.objects.add(own.id, [tool(1000 + start + n, "APT28")
                                  for n in range(min(5000, args.flood - start))],
                         poster_id=us.id)
    browse = Browse(node.engine)
    rows = []
    for needle in ("APT28", "APT28 lo", "zqxj"):
        found = browse.search(china.id, needle)
        times = []
        for _ in range(args.samples):
            began = time.perf_counter()
            browse.search(china.id, needle)
            times.append((time.perf_counter() - began) * 1000)
        row = {"flood": args.flood, "search": needle, "found": sorted(f.name for f in found),
               "p50_ms": round(statistics.median(times), 2),
               "p95_ms": round(sorted(times)[int(0.95 * len(times)) - 1], 2)}
        print(json.dumps(row))
        rows.append(row)
    print("\n| search | found by the other party | p50 | p95 |\n|---|---|---|---|")
    for row in rows:
        print(f"| `{row['search']}` | {', '.join(row['found']) or 'nothing'} | "
              f"{row['p50_ms']} ms | {row['p95_ms']} ms |")
    node.engine.dispose()


if __name__ == "__main__":
    main()
