#!/usr/bin/env python3
"""A node under a hostile network: does a legitimate client still get its answers?

One real `accord serve --workers 2` on a fresh SQLite node (default limits), holding 1,000
indicators. Then:

(a) A legitimate client (127.0.0.1, one kept connection) reads objects by id, one after the
    other: first alone, then while an attacker process holds SLOW connections open from
    127.0.0.2 onwards (20 an address, under the per-source cap): half send a request head a
    byte a second, half (an insider with a token) POST a 10 MiB body ten bytes a second. Each
    connection the server closes is opened again at once, so SLOW stay open throughout.
    Goal (issue 12): p99 under attack ≤ 2 × p99 alone, and no error.
(b) CLIENTS legitimate clients, each from an address of its own (127.0.1.x), each reading
    objects by id back to back on one kept connection, for SECONDS. Goal: p99 ≤ 1 s, no error.

The clients speak HTTP/1.1 over raw asyncio streams (so that their own cost is small beside
the server's) from processes of their own. An error is anything but a 200 with the object.

usage: hostile_bench.py [--slow 500] [--clients 200] [--seconds 60] [--alone 10]
                        [--attacked 20] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

ACCORD = Path(sys.executable).parent / "accord"
TAXII = "application/taxii+json;version=2.1"
OBJECTS = 1000
TOO_LATE = 30  # seconds: an answer later than this counts as an error


def accord(*args: str, db: str) -> str:
    done = subprocess.run([str(ACCORD), *args, "--db", db], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"accord {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout.strip()


def indicator(n: int) -> dict[str, Any]:
    return {"type": "indicator", "spec_version": "2.1",
            "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
            "pattern": f"[ipv4-addr:value = '198.51.{n // 256}.{n % 256}']",
            "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z"}


class Reader:
    """One legitimate client: GET an object by id on one kept HTTP/1.1 connection."""

    def __init__(self, port: int, token: str, collection: str, source: str) -> None:
        self.port, self.source = port, source
        self.head = (f"Host: node\r\nAuthorization: Bearer {token}\r\nAccept: {TAXII}\r\n\r\n"
                     ).encode()
        self.path = f"/taxii2/accord/collections/{collection}/objects/"
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, n: int) -> bool:
        """Read object N; whether it came (a 200 naming it)."""
        try:
            if self.streams is None:
                self.streams = await asyncio.open_connection(
                    "127.0.0.1", self.port, local_addr=(self.source, 0))
            reader, writer = self.streams
            object_id = indicator(n)["id"]
            writer.write(f"GET {self.path}{object_id}/ HTTP/1.1\r\n".encode() + self.head)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TOO_LATE)
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            body = await asyncio.wait_for(reader.readexactly(length), TOO_LATE)
            if b"connection: close" in head.lower():
                self.close()
            return head.startswith(b"HTTP/1.1 200 ") and object_id.encode() in body
        except (OSError, TimeoutError, asyncio.IncompleteReadError, IndexError, ValueError):
            self.close()
            return False

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


async def read_for(readers: list[Reader], seconds: float) -> tuple[list[float], int]:
    """Each reader reads random objects back to back for SECONDS: latencies, errors."""
    latencies: list[float] = []
    errors = 0
    end = time.perf_counter() + seconds

    async def loop(reader: Reader) -> None:
        nonlocal errors
        while time.perf_counter() < end:
            start = time.perf_counter()
            ok = await reader.get(random.randrange(OBJECTS))
            latencies.append(time.perf_counter() - start)
            errors += not ok
    await asyncio.gather(*(loop(reader) for reader in readers))
    for reader in readers:
        reader.close()
    return latencies, errors


def clients_process(port: int, token: str, collection: str, sources: list[str],
                    seconds: float, results: Any) -> None:
    readers = [Reader(port, token, collection, source) for source in sources]
    results.put(asyncio.run(read_for(readers, seconds)))


# -- the attacker ----------------------------------------------------------------------------

async def hold(port: int, source: str, attack: bytes, drip: bytes, tally: dict[str, int],
               stop: asyncio.Event) -> None:
    """Keep one slow connection open: send ATTACK, then a DRIP a second; when the server
    closes it, note how, and open another."""
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port,
                                                           local_addr=(source, 0))
        except OSError:
            tally["connect failed"] += 1
            await asyncio.sleep(0.5)
            continue
        tally["opened"] += 1
        tally["open"] += 1
        answer = b""
        try:
            writer.write(attack)
            while not stop.is_set():
                try:
                    answer = await asyncio.wait_for(reader.read(200), 1.0)
                    break  # answered or closed
                except TimeoutError:
                    writer.write(drip)
        except OSError:
            pass
        finally:
            tally["open"] -= 1
            writer.close()
        if answer or not stop.is_set():  # ended by the server, not by the bench
            status = answer[9:12].decode(errors="replace") if answer else "closed unanswered"
            tally[status] = tally.get(status, 0) + 1
            if status == "503":
                await asyncio.sleep(1)


async def attack_until(port: int, token: str, slow: int, stop_file: Path,
                       results: Any) -> None:
    tally = {"opened": 0, "open": 0, "connect failed": 0}
    stop = asyncio.Event()
    slow_head = b"GET /taxii2/ HTTP/1.1\r\nHost: node\r\nX-Slow: "
    slow_body = (f"POST /taxii2/accord/collections/evidence/objects/ HTTP/1.1\r\nHost: node\r\n"
                 f"Authorization: Bearer {token}\r\nContent-Type: {TAXII}\r\nAccept: {TAXII}\r\n"
                 f"Content-Length: {10 * 1024 * 1024}\r\n\r\n{{\"objects\": [").encode()
    holders = [asyncio.create_task(hold(port, f"127.0.0.{2 + n // 20}",
                                        *((slow_head, b"a") if n % 2 else (slow_body, b" " * 10)),
                                        tally, stop))
               for n in range(slow)]
    samples: list[int] = []
    await asyncio.sleep(3)  # all opened
    while not stop_file.exists():
        samples.append(tally["open"])
        await asyncio.sleep(0.1)
    stop.set()
    await asyncio.gather(*holders)
    results.put({**tally, "least_open": min(samples), "mean_open": sum(samples) // len(samples)})


def attacker_process(port: int, token: str, slow: int, stop_file: Path, results: Any) -> None:
    asyncio.run(attack_until(port, token, slow, stop_file, results))


# -- the run ---------------------------------------------------------------------------------

def figures(latencies: list[float]) -> tuple[float, float, float]:
    ordered = sorted(latencies)
    return (statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.99)] * 1000,
            ordered[-1] * 1000)


# What `accord serve --workers N` ran before its listener had limits: uvicorn's own
# httptools protocol, the same app, the same workers. The baseline of --baseline.
PLAIN = """import sys, uvicorn
uvicorn.run("accord.app:create_app_from_env", factory=True, host="127.0.0.1",
            port=int(sys.argv[1]), workers=int(sys.argv[2]), log_level="warning")"""


def serve(db: str, log: Path, workers: int, plain: bool) -> tuple[subprocess.Popen[bytes], int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    command = ([sys.executable, "-c", PLAIN, str(port), str(workers)] if plain else
               [str(ACCORD), "serve", "--db", db, "--port", str(port), "--tick", "0",
                "--sync-every", "0", "--workers", str(workers)])
    env = {**os.environ, "ACCORD_DB": db, "ACCORD_TICK": "0", "ACCORD_SYNC_EVERY": "0"}
    with log.open("wb") as sink:
        server = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env)
    for _ in range(600):
        try:
            httpx.get(f"http://127.0.0.1:{port}/taxii2/", timeout=1)
            return server, port
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(log.read_text())


Measured = tuple[list[float], int]  # latencies (s), errors


def read_in_processes(port: int, token: str, sources: list[str], seconds: float) -> Measured:
    """Readers from SOURCES, split over two processes, read for SECONDS."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    processes = [context.Process(target=clients_process,
                                 args=(port, token, "evidence", part, seconds, results))
                 for part in (sources[0::2], sources[1::2]) if part]
    for process in processes:
        process.start()
    latencies: list[float] = []
    errors = 0
    for _ in processes:
        some, wrong = results.get(timeout=seconds + 120)
        latencies += some
        errors += wrong
    for process in processes:
        process.join()
    return latencies, errors


def read_alone(port: int, token: str, seconds: float) -> Measured:
    return asyncio.run(read_for([Reader(port, token, "evidence", "127.0.0.1")], seconds))


def measure(port: int, token: str, args: argparse.Namespace, work: Path,
            ) -> tuple[Measured, Measured, dict[str, int], Measured]:
    """(a) alone, (a) under attack, what the attack saw, (b)."""
    read_alone(port, token, 2)  # warm up
    print(f"(a) reading alone for {args.alone:g} s, in two halves around the attack",
          file=sys.stderr)
    before = read_alone(port, token, args.alone / 2)
    stop_file = work / f"stop-{port}"
    context = multiprocessing.get_context("fork")
    tally = context.Queue()
    attacker = context.Process(target=attacker_process,
                               args=(port, token, args.slow, stop_file, tally))
    attacker.start()
    time.sleep(3)
    print(f"(a) reading for {args.attacked:g} s while {args.slow} slow connections are held",
          file=sys.stderr)
    attacked = read_alone(port, token, args.attacked)
    stop_file.touch()
    attack = tally.get(timeout=120)
    attacker.join()
    time.sleep(1)
    after = read_alone(port, token, args.alone / 2)
    alone = (before[0] + after[0], before[1] + after[1])
    print(f"(b) {args.clients} clients for {args.seconds:g} s", file=sys.stderr)
    busy = read_in_processes(port, token, [f"127.0.{1 + n // 250}.{1 + n % 250}"
                                           for n in range(args.clients)], args.seconds)
    return alone, attacked, attack, busy


def report(title: str, args: argparse.Namespace, alone: Measured, attacked: Measured,
           attack: dict[str, int], busy: Measured) -> None:
    a50, a99, amax = figures(alone[0])
    u50, u99, umax = figures(attacked[0])
    b50, b99, bmax = figures(busy[0])
    ratio = u99 / a99
    print(f"\n**{title}**, load average {os.getloadavg()[0]:.1f} at the end\n")
    print("| figure | requests | p50 | p99 | max | errors | goal | met |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| (a) GET by id, alone | {len(alone[0])} | {a50:.2f} ms | {a99:.2f} ms | "
          f"{amax:.1f} ms | {alone[1]} | | |")
    print(f"| (a) GET by id, {args.slow} slow connections held | {len(attacked[0])} | "
          f"{u50:.2f} ms | {u99:.2f} ms | {umax:.1f} ms | {attacked[1]} | "
          f"p99 ≤ 2× alone, no error | {ratio:.2f}×, "
          f"{'yes' if ratio <= 2 and not attacked[1] else '**no**'} |")
    print(f"| (b) {args.clients} clients, {args.seconds:g} s "
          f"({len(busy[0]) / args.seconds:.0f} req/s) | {len(busy[0])} | {b50:.1f} ms | "
          f"{b99:.1f} ms | {bmax:.1f} ms | {busy[1]} | p99 ≤ 1 s, no error | "
          f"{'yes' if b99 <= 1000 and not busy[1] else '**no**'} |")
    print(f"\nThe attack: {attack['opened']} connections opened; while the client read, "
          f"{attack['mean_open']} held open on average, {attack['least_open']} at least; "
          "ended by the server: " + ", ".join(
              f"{k} {v}" for k, v in sorted(attack.items())
              if k not in ("opened", "open", "least_open", "mean_open")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slow", type=int, default=500, help="slow connections held (a)")
    parser.add_argument("--alone", type=float, default=10, help="seconds read alone (a)")
    parser.add_argument("--attacked", type=float, default=20,
                        help="seconds read under attack (a); two head timeouts by default")
    parser.add_argument("--clients", type=int, default=200, help="concurrent clients (b)")
    parser.add_argument("--seconds", type=float, default=60, help="how long they read (b)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--baseline", action="store_true",
                        help="measure uvicorn's own protocol (no limits) the same way after")
    args = parser.parse_args()
    # Sockets: SLOW for the attacker, CLIENTS for (b), and as many again for the server.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 2 * (args.slow + args.clients) + 1024
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))

    work = Path(tempfile.mkdtemp(prefix="accord-hostile-"))
    db = str(work / "node.db")
    token = accord("init", "--party", "Alpha CERT", db=db)
    kinds = [False, True] if args.baseline else [False]
    for plain in kinds:
        server, port = serve(db, work / f"serve-{plain}.log", args.workers, plain)
        try:
            if not plain:
                answer = httpx.post(
                    f"http://127.0.0.1:{port}/taxii2/accord/collections/evidence/objects/",
                    content=orjson.dumps({"objects": [indicator(n) for n in range(OBJECTS)]}),
                    headers={"Authorization": f"Bearer {token}", "Accept": TAXII,
                             "Content-Type": TAXII}, timeout=60)
                assert answer.status_code == 202, answer.text
            print(f"{'uvicorn alone' if plain else 'accord serve'} on port {port}; load "
                  f"average {os.getloadavg()[0]:.1f}", file=sys.stderr)
            figures_of = measure(port, token, args, work)
        finally:
            server.terminate()
            server.wait(timeout=30)
        title = (f"Baseline: uvicorn's own protocol, no limits, {args.workers} workers" if plain
                 else f"`accord serve --workers {args.workers}`, default limits")
        report(f"{title}, {OBJECTS} indicators", args, *figures_of)


if __name__ == "__main__":
    main()
