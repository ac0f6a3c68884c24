#!/usr/bin/env python3
"""What one poll of large objects costs the server: bytes a page, and the server's memory.

A fresh SQLite node holding OBJECTS reports of MB megabytes each (put there as an operator's
import is, past what one TAXII request may carry), one `accord serve` process, and a client
walking the collection with the default page (`GET …/objects/`, then each `next`). Prints,
per page, its objects and bytes and the time it took; and the server's peak resident memory
(VmHWM) against its memory before the walk. The red team's case (five objects of 60 MB in
one default poll: 300 MB in one answer, 1.3 GB of the server's memory) is the default.

usage: page_bytes_bench.py [--objects 5] [--mb 60]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_bench import ACCORD, TAXII, accord, free_port  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=5)
    parser.add_argument("--mb", type=float, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{tmp}/node.db"
        token = accord("init", "--party", "Bench", db=db).splitlines()[-1]
        _store(db, args.objects, int(args.mb * 2**20))
        port = free_port()
        env = {**os.environ, "ACCORD_DB": db}
        server = subprocess.Popen(
            [str(ACCORD), "serve", "--port", str(port), "--tick", "0", "--sync-every", "0"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}/taxii2/accord/collections/evidence/objects/"
            _wait(base, token)
            before = _memory(server.pid, "VmRSS")
            pages = _walk(base, token)
            peak = _memory(server.pid, "VmHWM")
        finally:
            server.terminate()
            server.wait()
    for n, (count, size, seconds) in enumerate(pages, 1):
        print(f"page {n}: {count} objects, {size / 2**20:.1f} MiB, {seconds:.2f} s")
    print(f"server memory: {before / 2**20:.0f} MiB before the walk, "
          f"{peak / 2**20:.0f} MiB at its peak")


def _store(db: str, objects: int, size: int) -> None:
    from accord.node import open_node

    node = open_node(db)
    try:
        own = node.directory.own_party()
        evidence = node.directory.collection("evidence")
        for n in range(objects):  # one at a time: what is measured is the read
            node.objects.add(evidence.id, [{
                "type": "report", "spec_version": "2.1",
                "id": f"report--00000000-0000-4000-8000-{n:012d}",
                "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
                "name": f"Report {n}", "published": "2020-01-01T00:00:00Z",
                "object_refs": ["identity--00000000-0000-4000-8000-000000000001"],
                "description": "x" * size}], poster_id=own.id if own else None)
    finally:
        node.engine.dispose()


def _wait(url: str, token: str) -> None:
    for _ in range(300):
        try:
            httpx.get(url, headers=_headers(token), timeout=1, params={"limit": "1"})
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def _walk(url: str, token: str) -> list[tuple[int, int, float]]:
    pages, params = [], {}
    with httpx.Client(headers=_headers(token), timeout=600) as client:
        while True:
            started = time.perf_counter()
            r = client.get(url, params=params)
            r.raise_for_status()
            said = r.json()
            pages.append((len(said.get("objects", ())), len(r.content),
                          time.perf_counter() - started))
            if not said["more"]:
                return pages
            params = {"next": said["next"]}


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": TAXII}


def _memory(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


if __name__ == "__main__":
    main()
