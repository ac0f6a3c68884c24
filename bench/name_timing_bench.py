#!/usr/bin/env python3
"""Does a search's time say whether a name the reader may not read holds what it typed?

One party holds a threat actor "Secret Bear" in a collection of its own (TLP:RED to everyone
else); the other party searches for "ecret Bea" (a part of the hidden name) and for
"ecret Bex" (a part of no name), alternately, many times, as a hostile token holder timing the
web UI's search did to read the hidden name out a character at a time (2026-12-05). Prints the
median time of each in-process (Browse.search, no HTTP) and their ratio: a ratio of 1 says
nothing; before that day's change the hidden name cost its object's read (ratio about 1.4 over
HTTP, 3.98 ms against 2.85 ms).

usage: PYTHONPATH=CHECKOUT/src name_timing_bench.py [--samples 2000] [--hidden 1] [--db URL]
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


def actor(n: int, name: str) -> dict[str, object]:
    return {"type": "threat-actor", "spec_version": "2.1",
            "id": f"threat-actor--{uuid.UUID(int=n)}", "created": T, "modified": T,
            "name": name}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--hidden", type=int, default=1, help="hidden names holding it")
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file in /tmp)")
    args = parser.parse_args()
    url = args.db or str(Path(tempfile.mkdtemp(prefix="accord-timing-")) / "node.db")
    node = open_node(url)
    victim, _ = initialise(node, "Victim")
    mallory = node.directory.add_party("Mallory")
    shared = node.directory.create_collection("Shared", read=[victim, mallory],
                                              write=[victim, mallory])
    secrets = node.directory.create_collection("Secrets", read=[victim], write=[victim])
    node.objects.add(shared.id, [actor(n, f"Public actor {n}") for n in range(1, 200)],
                     poster_id=victim.id)
    node.objects.add(secrets.id, [actor(1000 + n, "Secret Bear") for n in range(args.hidden)],
                     poster_id=victim.id)
    browse = Browse(node.engine)
    times: dict[str, list[float]] = {"ecret Bea": [], "ecret Bex": []}
    for needle in times:
        assert browse.search(mallory.id, needle) == []  # nothing shown either way
    for _ in range(args.samples):
        for needle, kept in times.items():
            began = time.perf_counter()
            browse.search(mallory.id, needle)
            kept.append((time.perf_counter() - began) * 1e6)
    hidden, absent = (statistics.median(v) for v in times.values())
    print(json.dumps({"bench": "name_timing", "hidden_names": args.hidden,
                      "samples": args.samples, "hidden_us": round(hidden, 1),
                      "absent_us": round(absent, 1), "ratio": round(hidden / absent, 3)}))
    node.engine.dispose()


if __name__ == "__main__":
    main()
