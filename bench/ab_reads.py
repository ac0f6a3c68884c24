#!/usr/bin/env python3
"""Hot TAXII reads against several running servers in turn, round after round: GET by id and
`match[type]=intrusion-set`, one client, each request after the last; p50 and p99 latency, and
the CPU a request of the server process and of every PostgreSQL process on the machine (from
/proc, so run it on a machine that does little else). Rounds alternate between the servers,
so a machine that slows down or speeds up does so for all of them alike.

usage: ab_reads.py --token TOKEN [--rounds 3] [--by-id 1500] [--type 300] NAME=URL=PID ...

URL is a collection's URL (…/collections/ID/); PID the server's process (`accord serve` with
one worker, or bench/taxii_floor.py --workers 1, whose collection is `floor`). By id cycles
through the collection's first 300 objects. A server with another token: `NAME=URL=PID=TOKEN`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_bench import cpu_seconds  # noqa: E402

TAXII = "application/taxii+json;version=2.1"


def postgres_cpu() -> float:
    """CPU seconds of every PostgreSQL process on the machine (its backends come and go)."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (proc / "comm").read_text().strip() == "postgres":
                total += cpu_seconds(int(proc.name))
        except OSError:  # ended meanwhile
            pass
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--token", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--by-id", type=int, default=1500)
    parser.add_argument("--type", type=int, default=300)
    parser.add_argument("servers", nargs="+")
    args = parser.parse_args()
    servers = []
    for given in args.servers:
        name, url, pid, *token = given.split("=")
        client = httpx.Client(base_url=url, headers={
            "Authorization": f"Bearer {token[0] if token else args.token}", "Accept": TAXII})
        ids = [o["id"] for o in client.get("objects/", params={"limit": "300"}).json()["objects"]]
        servers.append((name, pid, client, ids))
    print("| round | server | read | p50 ms | p99 ms | server CPU µs a request | "
          "PostgreSQL CPU µs a request |")
    print("|---|---|---|---:|---:|---:|---:|")
    for n in range(args.rounds):
        for name, pid, client, ids in servers:
            for kind, count in (("by id", args.by_id), ("match[type]", args.type)):
                took = []
                cpu, pg = cpu_seconds(int(pid)), postgres_cpu()
                for i in range(count):
                    start = time.perf_counter()
                    said = client.get(f"objects/{ids[i % len(ids)]}/") if kind == "by id" \
                        else client.get("objects/", params={"match[type]": "intrusion-set"})
                    took.append(time.perf_counter() - start)
                    if said.status_code != 200:
                        raise SystemExit(f"{name} answered {said.status_code}: {said.text}")
                cpu, pg = cpu_seconds(int(pid)) - cpu, postgres_cpu() - pg
                took.sort()
                print(f"| {n + 1} | {name} | {kind} | {took[count // 2] * 1e3:.2f} | "
                      f"{took[int(count * 0.99)] * 1e3:.2f} | {cpu / count * 1e6:.0f} | "
                      f"{pg / count * 1e6:.0f} |", flush=True)


if __name__ == "__main__":
    main()
