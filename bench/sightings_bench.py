"""Sightings by the thousand of what others look up: what one look-up costs.

`.venv/bin/python bench/sightings_bench.py [--sightings 50000] [--rounds 10] [--creator]
[--db URL]`: stores 20 indicators of one address and `--sightings` sightings of each (a party
reporting, or flooding), then looks the address up `--rounds` times as the node's party (the
newest 100) and prints the median, with the sightings count of the first result. With
`--creator` the node's party created the indicators, and counts every copy's sightings. Each
result's sightings are counted up to store.correlation_seeks.MOST_COUNTED: the look-up's work
should not grow with them.
"""

from __future__ import annotations

import argparse
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
ADDRESS = "198.51.100.7"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sightings", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--creator", action="store_true")
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file in /tmp)")
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory(prefix="accord-sightings-")
    node = open_node(args.db or str(Path(scratch.name) / "sightings.db"))
    own, _ = initialise(node, "Bench")
    collection = node.directory.collection("evidence")
    stamp = "2020-01-01T00:00:00.000Z"
    indicators = [{"type": "indicator", "spec_version": "2.1",
                   "id": f"indicator--{uuid.uuid4()}", "created": stamp, "modified": stamp,
                   "pattern": f"[ipv4-addr:value = '{ADDRESS}']", "pattern_type": "stix",
                   "valid_from": "2020-01-01T00:00:00Z",
                   **({"created_by_ref": own.id} if args.creator else {})}
                  for _ in range(20)]
    node.objects.add(collection.id, indicators, poster_id=own.id)
    for sighted in indicators:
        for start in range(0, args.sightings, BATCH):
            node.objects.add(collection.id, [
                {"type": "sighting", "spec_version": "2.1", "id": f"sighting--{uuid.uuid4()}",
                 "created": stamp, "modified": stamp, "sighting_of_ref": sighted["id"]}
                for _ in range(min(BATCH, args.sightings - start))], poster_id=own.id)
    correlations = Correlations(node.engine)
    times = []
    for _ in range(args.rounds):
        t = time.perf_counter()
        found = correlations.look_up(own.id, guess(ADDRESS), 100).found
        times.append((time.perf_counter() - t) * 1000)
    print(json.dumps({"bench": "sightings", "backend": node.engine.dialect.name,
                      "sightings_each": args.sightings, "creator": args.creator,
                      "found": len(found), "counted": found[0].sightings,
                      "more": found[0].more_sightings,
                      "p50_ms": round(statistics.median(times), 1)}))
    node.engine.dispose()


if __name__ == "__main__":
    main()
