#!/usr/bin/env python3
"""Where `accord import` spends its CPU: each phase of ingesting a bundle, per 100,000 objects.

Runs the import's own steps in one process, in order, batch by batch, as `accord import` does
(without the forked validator, so that every phase is on one clock): reading and parsing the
file (stix.bundle_stream.batches_in), validating (intake.screen), storing (intake.store: the
objects, the correlation index, the audit trail). Prints one JSON line of CPU seconds per
phase, scaled to 100,000 objects, and on PostgreSQL the CPU its server processes spent for
this run (read from /proc: the server must run on this machine); with --profile, also the
functions that took the most time (cProfile). CPU time, unlike wall time, holds still on a
machine others are using.

usage: ingest_cpu.py BUNDLE.json [--db URL] [--profile N]
  --db       database URL (default: a fresh SQLite file in /tmp); for PostgreSQL give a schema
             of its own, e.g. postgresql://postgres@127.0.0.1:5432/test?options=-csearch_path%3Ds
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine

from accord.cli.data import BATCH, BATCH_BYTES, FIRST_BATCH
from accord.intake import screen, store
from accord.memory import no_cyclic_gc
from accord.node import initialise, open_node
from accord.stix.bundle_stream import batches_in

APPLICATION = f"accord-ingest-cpu-{os.getpid()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file in /tmp)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="also print the N functions with the most cumulative time")
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory(prefix="accord-ingest-cpu-")
    db = args.db or str(Path(scratch.name) / "ingest.db")
    if db.startswith("postgresql"):  # to find its server processes afterwards
        db += ("&" if "?" in db else "?") + f"application_name={APPLICATION}"
    node = open_node(db)
    own, _ = initialise(node, "Bench")
    target = node.directory.collection("evidence")
    phases = {"read": 0.0, "validate": 0.0, "store": 0.0}
    count = 0
    profiler = cProfile.Profile() if args.profile else None
    started = time.perf_counter()
    with args.bundle.open("rb") as stream, no_cyclic_gc():
        if profiler:
            profiler.enable()
        batches = batches_in(stream, first=FIRST_BATCH, size=BATCH, max_bytes=BATCH_BYTES)
        while True:
            t0 = time.process_time()
            batch = next(batches, None)
            t1 = time.process_time()
            phases["read"] += t1 - t0
            if batch is None:
                break
            screened = screen(batch.objects, None)
            t2 = time.process_time()
            phases["validate"] += t2 - t1
            done = store(node.engine, target, screened, party_id=own.id, operator=True)
            phases["store"] += time.process_time() - t2
            count += len(batch.objects)
            if done.rejected:
                sys.exit(f"{len(done.rejected)} rejected, e.g. {done.rejected[0].message}")
        if profiler:
            profiler.disable()
    wall = time.perf_counter() - started
    scale = 100_000 / max(count, 1)
    server = _server_cpu(node.engine)
    if server is not None:
        phases["server"] = server
    print(json.dumps({"bench": "ingest_cpu", "objects": count, "wall_s": round(wall, 2),
                      "objects_per_s": round(count / wall),
                      "cpu_s_per_100k": {k: round(v * scale, 2) for k, v in phases.items()}}))
    if profiler:
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(
            args.profile)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(
            args.profile)


def _server_cpu(engine: Engine) -> float | None:
    """CPU seconds of the PostgreSQL server processes of this run's connections so far."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        pids = conn.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s",
            (APPLICATION,)).scalars().all()
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


if __name__ == "__main__":
    main()
