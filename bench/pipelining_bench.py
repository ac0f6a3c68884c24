#!/usr/bin/env python3
"""Pipelined requests sent without reading an answer: what they cost the server.

One real `accord serve --workers 1` on a fresh SQLite node. CONNECTIONS connections from
127.0.2.x (30 an address, under the per-source cap) each write one read's worth (256 KiB) of
`GET /taxii2/ HTTP/1.1` requests at once (about 7,000 a connection) and read nothing. Reported:
the server process's resident memory before and at its peak (from /proc), its CPU seconds
while the connections are held, and how long a legitimate client from 127.0.0.1 waits for one
answer meanwhile. `--baseline` runs the same against uvicorn's own protocol (what `accord serve`
ran before its listener had limits).

usage: pipelining_bench.py [--connections 30] [--hold 6] [--baseline]
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hostile_bench import accord, serve  # noqa: E402
from load_bench import cpu_seconds  # noqa: E402

READ = 256 * 1024  # what the event loop reads from a socket at once


def resident_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def serving_pid(server_pid: int) -> int:
    """The process that answers: the server itself, or its one worker."""
    children = Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()
    return int(children[-1]) if children else server_pid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=30)
    parser.add_argument("--hold", type=float, default=6.0, help="seconds the attack is held")
    parser.add_argument("--baseline", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="accord-pipelining-") as folder:
        work = Path(folder)
        db = str(work / "node.db")
        accord("init", "--party", "Bench", db=db)
        server, port = serve(db, work / "serve.log", 1, args.baseline)
        try:
            time.sleep(1)
            pid = serving_pid(server.pid)
            request = b"GET /taxii2/ HTTP/1.1\r\nHost: node\r\n\r\n"
            blob = request * (READ // len(request))
            before, cpu = resident_kb(pid), cpu_seconds(pid)
            held = []
            for n in range(args.connections):
                sock = socket.socket()
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                sock.bind((f"127.0.2.{n // 30 + 1}", 0))
                sock.connect(("127.0.0.1", port))
                sock.sendall(blob)
                held.append(sock)
            peak, waited = before, 0.0
            ends = time.monotonic() + args.hold
            while time.monotonic() < ends:
                started = time.monotonic()
                httpx.get(f"http://127.0.0.1:{port}/taxii2/", timeout=60)
                waited = max(waited, time.monotonic() - started)
                peak = max(peak, resident_kb(pid))
                time.sleep(0.25)
            used = cpu_seconds(pid) - cpu
            for sock in held:
                sock.close()
        finally:
            server.terminate()
            server.wait()
    print(f"{'uvicorn protocol' if args.baseline else 'accord serve'}: {args.connections} "
          f"connections x {len(blob) // len(request):,} pipelined requests: resident "
          f"{before:,} -> peak {peak:,} kB; server CPU {used:.1f} s; a legitimate client "
          f"waited {waited * 1000:.0f} ms at most")


if __name__ == "__main__":
    main()
