#!/usr/bin/env python3
"""What one TAXII request costs in CPU: one `accord serve` process on an existing node, wrk on
one kind of request at a time (and on load_bench.py's mix), and the CPU-milliseconds the server
process and the PostgreSQL backends it opened spent per request. CPU time per request hardly
depends on what else the machine does, where requests/s do: the figure to compare before and
after a change on a shared machine.

usage: request_cpu.py --db URL --token TOKEN [--seconds 5] [--connections 8] [--kinds K,…]
                      [--repeat 1] [--label TEXT] [--out FILE.jsonl]

With `--connections 1` (one client, each request after the last) its p99 is the tail a request
meets from what the server does beside it (bench/README.md, "The audit flush and the tail").

The node needs a collection with alias `load` (load_bench.py's: the ATT&CK sample and
generated indicators). Kinds: discovery, collections, page (50 objects), by_id,
type_intrusion_set, type_malware_20, mix (load_bench.py's 15 paths in turn).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_bench import (  # noqa: E402
    ACCORD,
    TAXII,
    TICK,
    children_of,
    cpu_seconds,
    free_port,
    run_wrk,
    the_mix,
    wait_serving,
)

APPLICATION = "accord-request-cpu"  # names the server's PostgreSQL sessions, to time them
KINDS = ("discovery", "collections", "page", "by_id", "type_intrusion_set", "type_malware_20",
         "mix")


def with_application(db: str) -> str:
    """The --db URL, its PostgreSQL sessions named so that their backends can be timed."""
    if "://" not in db or db.startswith("sqlite"):
        return db
    return db + ("&" if "?" in db else "?") + f"application_name={APPLICATION}"


def backends(db: str) -> set[int]:
    if "://" not in db or db.startswith("sqlite"):
        return set()
    plain = db.split("?", 1)[0].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                            (APPLICATION,)).fetchall()
    return {int(pid) for (pid,) in rows}


def main_thread_seconds(pid: int) -> float:
    """CPU of a process's main thread alone (the event loop that serves requests); the rest
    of the process's time is its other threads' (the audit trail's background appends)."""
    try:
        fields = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def paths_of(kind: str, mix: list[str]) -> list[str]:
    if kind == "mix":
        return mix
    by_kind = {"discovery": [mix[0]], "collections": [mix[1]], "page": [mix[2]],
               "by_id": [p for p in mix if p.count("/") == 7],
               "type_intrusion_set": [mix[-2]], "type_malware_20": [mix[-1]]}
    return by_kind[kind]


def measure(port: int, server: int, db: str, paths: list[str], token: str, connections: int,
            seconds: int) -> dict[str, float]:
    run_wrk([port], paths, token, 1, connections, 1)  # warm up (and open the pool)
    mine = children_of({server})
    pg = backends(db)
    start = {pid: cpu_seconds(pid) for pid in mine | pg}
    loop_start = main_thread_seconds(server)
    load = os.getloadavg()[0]
    summary, wrk_cpu = run_wrk([port], paths, token, 1, connections, seconds)
    # Backends opened during the run (the pool growing) count from zero.
    pg |= backends(db)
    server_cpu = sum(cpu_seconds(pid) - start.get(pid, 0.0) for pid in mine)
    loop_cpu = main_thread_seconds(server) - loop_start
    pg_cpu = sum(cpu_seconds(pid) - start.get(pid, 0.0) for pid in pg)
    requests = summary["requests"]
    errors = int(summary["not_200"] + summary["connect"] + summary["read"]
                 + summary["write"] + summary["timeout"])
    return {"requests": int(requests), "errors": errors,
            "requests_per_s": round(requests / summary["seconds"]),
            "ms_cpu_server": round(1000 * server_cpu / requests, 3),
            "ms_cpu_server_loop": round(1000 * loop_cpu / requests, 3),
            "ms_cpu_postgres": round(1000 * pg_cpu / requests, 3),
            "ms_cpu_wrk": round(1000 * wrk_cpu / requests, 3),
            "p50_ms": summary["p50_ms"], "p99_ms": summary["p99_ms"],
            "load_average": round(load, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--label", default="")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    if unknown := set(kinds) - set(KINDS):
        sys.exit(f"unknown kinds {sorted(unknown)}: choose among {', '.join(KINDS)}")
    port = free_port()
    db = with_application(args.db)
    with tempfile.TemporaryDirectory(prefix="accord-cpu.") as tmp:
        log = Path(tmp) / "serve.log"
        with log.open("wb") as sink:
            server = subprocess.Popen([str(ACCORD), "serve", "--db", db, "--port", str(port),
                                       "--sync-every", "0"], stdout=sink, stderr=sink)
        try:
            wait_serving(port, args.token)
            mix = the_mix(port, args.token)
            httpx.get(f"http://127.0.0.1:{port}/taxii2/", headers={
                "Authorization": f"Bearer {args.token}", "Accept": TAXII})
            rows = []
            for _ in range(args.repeat):
                for kind in kinds:
                    row = {"label": args.label, "kind": kind, "backend":
                           "sqlite" if db == args.db else "postgresql",
                           **measure(port, server.pid, db, paths_of(kind, mix), args.token,
                                     args.connections, args.seconds)}
                    print(json.dumps(row), file=sys.stderr)
                    rows.append(row)
                    if args.out:
                        with args.out.open("a") as out:
                            out.write(json.dumps(row) + "\n")
        finally:
            server.terminate()
            server.wait(timeout=30)
        if "Traceback" in log.read_text():
            print(f"the server logged a traceback:\n{log.read_text()[-4000:]}", file=sys.stderr)
    print("| kind | requests | errors | req/s | p50 / p99 ms | CPU ms a request: server (its "
          "event loop) / PostgreSQL / wrk | load average |")
    print("|---|---:|---:|---:|---:|---|---:|")
    for r in rows:
        print(f"| {r['kind']} | {r['requests']:,} | {r['errors']} | {r['requests_per_s']:,} | "
              f"{r['p50_ms']:.2f} / {r['p99_ms']:.2f} | "
              f"{r['ms_cpu_server']} ({r['ms_cpu_server_loop']}) / {r['ms_cpu_postgres']} / "
              f"{r['ms_cpu_wrk']} | {r['load_average']} |")


if __name__ == "__main__":
    main()
