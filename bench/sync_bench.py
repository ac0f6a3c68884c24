#!/usr/bin/env python3
"""Sync between two nodes: how fast one node pulls ATT&CK Enterprise from another, and how
long it takes to catch up after an outage.

Two real `accord serve` processes on loopback (fresh SQLite nodes, "United States" and
"China"), meeting as an operator would (tokens, `accord peer add` both ways). The US node
imports the bundle into a collection China may read; China runs `accord sync --peer us`, timed
as a whole command (start-up included). Then, while China is away, the US takes in a second
bundle; China's next `accord sync` is the catch-up, timed the same way.

usage: sync_bench.py [ENTERPRISE.json] [CATCH_UP.json]
(defaults: ../shared/data/attack/enterprise-attack-18.1.json and ics-attack-18.1.json)
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ACCORD = Path(sys.executable).parent / "accord"
DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "attack"


def accord(*args: str, db: str, allowed: tuple[int, ...] = (0,)) -> str:
    done = subprocess.run([str(ACCORD), *args, "--db", db], capture_output=True, text=True)
    if done.returncode not in allowed:
        raise SystemExit(f"accord {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout.strip()


def serve(db: str, log: Path, *options: str) -> tuple[subprocess.Popen[bytes], str]:
    """`accord serve` on a free port (with `options`; by default two workers, no sync), once
    it answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with log.open("wb") as sink:
        server = subprocess.Popen([str(ACCORD), "serve", "--db", db, "--port", str(port),
                                   "--tick", "0",
                                   *(options or ("--sync-every", "0", "--workers", "2"))],
                                  stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(300):
        try:
            httpx.get(url + "taxii2/", timeout=1)
            return server, url
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(log.read_text())


def timed_sync(db: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([str(ACCORD), "sync", "--peer", "us", "--db", db],
                          capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return took, done.stderr.strip()


def main() -> None:
    first = Path(sys.argv[1]) if len(sys.argv) > 1 else DATA / "enterprise-attack-18.1.json"
    then = Path(sys.argv[2]) if len(sys.argv) > 2 else DATA / "ics-attack-18.1.json"
    work = Path(tempfile.mkdtemp(prefix="accord-sync-"))
    us, cn = str(work / "us.db"), str(work / "cn.db")
    accord("init", "--party", "United States", db=us)
    accord("init", "--party", "China", db=cn)
    servers = []
    try:
        us_server, us_url = serve(us, work / "us.log")
        cn_server, cn_url = serve(cn, work / "cn.log")
        servers = [us_server, cn_server]
        accord("party", "add", "China", db=us)
        token = accord("token", "create", "--party", "China", "--role", "liaison", db=us)
        accord("party", "add", "United States", db=cn)
        back = accord("token", "create", "--party", "United States", "--role", "liaison", db=cn)
        accord("peer", "add", "china", "--url", cn_url, "--token", back, "--party", "China",
               "--insecure", db=us)
        accord("peer", "add", "us", "--url", us_url, "--token", token, "--party",
               "United States", "--insecure", db=cn)
        accord("peer", "trust", "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5", db=cn)  # MITRE
        shared = accord("collection", "create", "Shared with China", "--read", "China", db=us)
        count = len(json.loads(first.read_text())["objects"])
        accord("import", str(first), "--collection", shared, db=us)
        took, said = timed_sync(cn)
        result = {"bench": "sync", "objects": count, "seconds": round(took, 2),
                  "objects_per_s": round(count / took), "said": said}
        print(json.dumps(result), flush=True)
        later = len(json.loads(then.read_text())["objects"])
        # ATT&CK's matrices share some objects, a few with different content under one version:
        # those are refused (exit 1), and the rest is what China catches up on.
        accord("import", str(then), "--collection", shared, db=us, allowed=(0, 1))
        caught, said = timed_sync(cn)
        result = {"bench": "catch-up", "objects": later, "seconds": round(caught, 2),
                  "objects_per_s": round(later / caught), "said": said}
        print(json.dumps(result), flush=True)
        print(f"\n| figure | measured |\n|---|---|\n"
              f"| first sync of {first.name} ({count:,} objects), whole command | "
              f"{took:.2f} s ({count / took:,.0f} objects/s) |\n"
              f"| catch-up after an outage: {then.name} ({later:,} objects) | "
              f"{caught:.2f} s ({later / caught:,.0f} objects/s) |")
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
