#!/usr/bin/env python3
"""A collection walked whole, again and again, as a client syncing it does: objects a second
seen by the client, and the CPU the server spent a page (every thread of the server's process
and of its children: the request's own thread, the audit trail's background appends and
index), wall time a page.

The client is one httpx connection, pages of --limit objects followed by their `next`; the
first walk warms the server and is not counted. Run it against any running TAXII server (the
floor too: bench/taxii_floor.py, `--token -`).

usage: walk_cpu.py URL TOKEN PID [--walks 5] [--limit 1000]
  URL: the collection's URL, ending in '/' (…/collections/ID/)
"""

from __future__ import annotations

import argparse
import os
import time

import httpx
import orjson


def cpu_seconds(pid: int) -> float:
    """User and system CPU of `pid` and its children so far."""
    total = 0
    try:
        children = open(f"/proc/{pid}/task/{pid}/children").read().split()  # noqa: SIM115
    except OSError:
        children = []
    for each in [pid, *map(int, children)]:
        fields = open(f"/proc/{each}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("pid", type=int)
    parser.add_argument("--walks", type=int, default=5)
    parser.add_argument("--limit", type=int, default=1000)
    args = parser.parse_args()
    headers = {"Accept": "application/taxii+json;version=2.1"}
    if args.token != "-":
        headers["Authorization"] = f"Bearer {args.token}"
    client = httpx.Client(headers=headers, timeout=60)

    def walk() -> tuple[int, int]:
        objects = pages = 0
        params: dict[str, str | int] = {"limit": args.limit}
        while True:
            answer = client.get(args.url + "objects/", params=params)
            answer.raise_for_status()
            page = orjson.loads(answer.content)
            objects += len(page.get("objects", []))
            pages += 1
            if not page.get("more"):
                return objects, pages
            params = {"limit": args.limit, "next": page["next"]}

    walk()
    cpu, wall = cpu_seconds(args.pid), time.perf_counter()
    objects = pages = 0
    for _ in range(args.walks):
        n, p = walk()
        objects, pages = objects + n, pages + p
    wall = time.perf_counter() - wall
    cpu = cpu_seconds(args.pid) - cpu
    print(orjson.dumps({"objects_per_s": round(objects / wall), "pages": pages,
                        "server_cpu_ms_a_page": round(cpu / pages * 1e3, 2),
                        "wall_ms_a_page": round(wall / pages * 1e3, 2)}).decode())


if __name__ == "__main__":
    main()
