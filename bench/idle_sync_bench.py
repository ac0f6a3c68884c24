#!/usr/bin/env python3
"""What the continuous sync costs when nothing changes: two real `accord serve` nodes, the US
sharing ATT&CK Enterprise with China, China pulling every `--sync-every` (5 s) with
`--retract-every` RETRACT (each peer's manifests read whole that often; 0: at every round).

After China's first round has pulled everything, the bench watches for `--seconds` (60): the
audit records and audit-index rows the US node wrote for China's reads (`manifest.read`,
`objects.read`), and the CPU seconds both servers spent. Nothing is added meanwhile: all of it
is the price of staying in sync.

usage: idle_sync_bench.py [--retract-every 0 10m ...] [--seconds 60] [DATA.json]
Prints one JSON line per setting, then a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

from sync_bench import DATA, accord, serve  # the same nodes, met the same way

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def audited(db: str) -> tuple[int, int]:
    """The US node's audit records of reads, and its audit-index rows."""
    with sqlite3.connect(db) as conn:
        records = conn.execute("SELECT count(*) FROM audit WHERE action IN "
                               "('manifest.read', 'objects.read')").fetchone()[0]
        rows = conn.execute("SELECT count(*) FROM audit_objects").fetchone()[0]
    return records, rows


def held(db: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM objects").fetchone()[0]


def one(data: Path, retract: str, seconds: float) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="accord-idle-"))
    us, cn = str(work / "us.db"), str(work / "cn.db")
    accord("init", "--party", "United States", db=us)
    accord("init", "--party", "China", db=cn)
    servers: list[subprocess.Popen[bytes]] = []
    try:
        us_server, us_url = serve(us, work / "us.log", "--sync-every", "0")
        servers.append(us_server)
        accord("party", "add", "China", db=us)
        token = accord("token", "create", "--party", "China", "--role", "liaison", db=us)
        shared = accord("collection", "create", "Shared with China", "--read", "China", db=us)
        accord("import", str(data), "--collection", shared, db=us)
        accord("party", "add", "United States", db=cn)
        accord("peer", "add", "us", "--url", us_url, "--token", token, "--party",
               "United States", "--insecure", db=cn)
        accord("peer", "trust", "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5", db=cn)  # MITRE
        before = held(cn)
        cn_server, _ = serve(cn, work / "cn.log", "--sync-every", "5s",
                             "--retract-every", retract)
        servers.append(cn_server)
        objects = len(json.loads(data.read_text())["objects"])
        deadline = time.monotonic() + 300
        while held(cn) - before < objects * 0.99 and time.monotonic() < deadline:
            time.sleep(1)
        time.sleep(10)  # the first round's manifests, and its reads audited
        records, rows = audited(us)
        cpu = [cpu_seconds(s.pid) for s in servers]
        time.sleep(seconds)
        records_after, rows_after = audited(us)
        cpu_after = [cpu_seconds(s.pid) for s in servers]
        return {"bench": "idle-sync", "retract_every": retract, "seconds": seconds,
                "objects": objects, "audit_records": records_after - records,
                "audit_index_rows": rows_after - rows,
                "us_cpu_s": round(cpu_after[0] - cpu[0], 2),
                "china_cpu_s": round(cpu_after[1] - cpu[1], 2)}
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path,
                        default=DATA / "enterprise-attack-18.1.json")
    parser.add_argument("--retract-every", nargs="+", default=["0", "10m"])
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    results = []
    for retract in args.retract_every:
        results.append(one(args.data, retract, args.seconds))
        print(json.dumps(results[-1]), flush=True)
    print("\n| --retract-every | audit records on the peer | its audit-index rows | "
          "peer's CPU s | puller's CPU s |\n|---|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['retract_every']} | {r['audit_records']:,} | {r['audit_index_rows']:,} | "
              f"{r['us_cpu_s']} | {r['china_cpu_s']} |")


if __name__ == "__main__":
    main()
