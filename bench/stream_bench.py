#!/usr/bin/env python3
"""`accord import` then `accord export` of a synthetic bundle: wall seconds, CPU seconds and the
peak resident memory of each process (the command, and the import's forked validator apart).

Each size gets a fresh node: a PostgreSQL schema (dropped afterwards unless --keep) or, with
--sqlite, a file in a scratch directory. Bundles are written by synth.py (the same seed gives
the same file) into --data-dir, or reused from there. One JSON line a command on stdout.

usage: stream_bench.py COUNT... [--sqlite] [--pg URL] [--keep] [--no-export]
       (COUNT: 300k, 1M or a number; e.g. stream_bench.py 300k 1M)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import synth  # noqa: E402
from scale_bench import ACCORD, DEFAULT_PG, accord, schema_url  # noqa: E402

SAMPLE_S = 0.2  # how often each process's peak (VmHWM) is read


def peak_mb(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    # None for a process that has exited (a zombie has no memory lines)
    return next((int(line.split()[1]) // 1024 for line in status.splitlines()
                 if line.startswith("VmHWM")), None)


def children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            found += [int(c) for c in
                      Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    except OSError:
        pass
    return found


def measured(label: str, *args: str) -> dict[str, Any]:
    """Run `accord ARGS`, reading the peak memory of it and of each process it forks."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen([str(ACCORD), *args], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    stderr: list[bytes] = []
    reader = threading.Thread(target=lambda: stderr.append(process.stderr.read()))  # type: ignore[union-attr]
    reader.start()
    peaks: dict[str, int] = {}
    while process.poll() is None:
        for pid in [process.pid, *children(process.pid)]:
            peak = peak_mb(pid)
            role = "command" if pid == process.pid else "forked"
            if peak is not None:
                peaks[role] = max(peaks.get(role, 0), peak)
        time.sleep(SAMPLE_S)
    reader.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    said = stderr[0].decode(errors="replace").splitlines() if stderr else []
    if process.returncode:
        raise SystemExit(f"accord {label} failed: {said[-20:]}")
    return {"command": label, "wall_s": round(time.perf_counter() - started, 1),
            "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime
                           - before.ru_stime, 1),
            "peak_mb": peaks, "load": round(os.getloadavg()[0], 1),
            "summary": next((line for line in reversed(said) if " accepted, " in line
                             or " exported" in line), "")[:120]}


def run(count: int, db: str, bundle: Path, scratch: Path, export: bool) -> None:
    accord("init", "--party", "Bench", db=db)
    collection = accord("collection", "create", "Scale", db=db).splitlines()[-1]
    print(json.dumps({"objects": count, **measured(
        "import", "import", str(bundle), "--collection", collection, "--db", db)}), flush=True)
    if export:
        out = scratch / "export.json"
        print(json.dumps({"objects": count, **measured(
            "export", "export", "--output", str(out), "--db", db),
            "bytes": out.stat().st_size}), flush=True)
        out.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("counts", nargs="+", type=synth.parse_count)
    parser.add_argument("--pg", default=os.environ.get("ACCORD_BENCH_PG", DEFAULT_PG))
    parser.add_argument("--sqlite", action="store_true", help="into SQLite, not PostgreSQL")
    parser.add_argument("--keep", action="store_true", help="keep each PostgreSQL schema")
    parser.add_argument("--no-export", dest="export", action="store_false")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/accord-stream"))
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    for count in args.counts:
        bundle = args.data_dir / f"synth-{count}.json"
        if not bundle.exists():
            synth.write(count, bundle)
        with tempfile.TemporaryDirectory(prefix="stream-bench-") as scratch:
            if args.sqlite:
                run(count, str(Path(scratch) / "node.db"), bundle, Path(scratch), args.export)
                continue
            schema = f"stream_{count}_{os.getpid()}"
            with psycopg.connect(args.pg, autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{schema}"')
            try:
                run(count, schema_url(args.pg, schema), bundle, Path(scratch), args.export)
            finally:
                if not args.keep:
                    with psycopg.connect(args.pg, autocommit=True) as conn:
                        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()
