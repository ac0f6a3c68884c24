"""What a party's next screening costs after another party lists one more actor.

`.venv/bin/python bench/watchlist_bench.py [--actors 20000] [--rounds 20] [--db URL]`: stores
`--actors` intrusion sets (a name and two aliases each) and a designation, screens a name once
(the list is built), then `--rounds` times: another party posts one more intrusion set, and a
name is screened (timed: the list taken up to date, and the screening). Before the list took
in what changed, each of these rebuilt it from every actor.
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

from accord.attribution.record import AttributionRecord, DesignationDraft
from accord.attribution.watchlist import watchlist
from accord.cooperation.desk import Actor
from accord.intake import Screened, store
from accord.node import initialise, open_node
from accord.trust.access import Grant

BATCH = 5_000


def intrusion_set(n: int) -> dict:
    return {"type": "intrusion-set", "spec_version": "2.1", "id": f"intrusion-set--{uuid.uuid4()}",
            "name": f"Group {n:06d}", "aliases": [f"Panda {n:06d}", f"Typhoon {n:06d}"],
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actors", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file in /tmp)")
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory(prefix="accord-watchlist-")
    node = open_node(args.db or str(Path(scratch.name) / "watchlist.db"))
    own, _ = initialise(node, "Bench")
    other = node.directory.add_party("Other")
    evidence = node.directory.collection("evidence")
    node.directory.grant(evidence.id, other, Grant(True, True))
    for start in range(0, args.actors, BATCH):
        node.objects.add(evidence.id, [intrusion_set(n) for n in range(
            start, min(args.actors, start + BATCH))], poster_id=own.id)
    record = AttributionRecord(node)
    us = Actor(own)
    record.designate(us, DesignationDraft("Wang Dong", "individual", "E.O. 13694"))
    t = time.perf_counter()
    watchlist(record, us).screen("Wang Dong")
    built_ms = (time.perf_counter() - t) * 1000
    gc.freeze()
    times = []
    for n in range(args.rounds):
        store(node.engine, evidence, Screened([intrusion_set(args.actors + n)], []),
              party_id=other.id)
        t = time.perf_counter()
        hits = watchlist(record, us).screen(f"Typhoon {args.actors + n:06d}")
        times.append((time.perf_counter() - t) * 1000)
        assert hits and hits[0].match.match
    print(json.dumps({"bench": "watchlist", "backend": node.engine.dialect.name,
                      "actors": args.actors, "built_ms": round(built_ms, 1),
                      "after_one_more_p50_ms": round(statistics.median(times), 2),
                      "after_one_more_max_ms": round(max(times), 2)}))
    node.engine.dispose()


if __name__ == "__main__":
    main()
