#!/usr/bin/env python3
"""A legitimate client's GET by id while 10,000 failed authentications arrive from other
addresses: its latency alone, during the failures, and during as many valid requests from the
same addresses (the control: what any 10,000 requests cost on this machine).

A fresh SQLite node holds the ATT&CK sample shipped with accord (635 objects); one `accord
serve` (WORKERS processes) serves it on a loopback port. The legitimate client, in this
process, GETs random objects by id with a valid token from 127.0.0.1, one request every PACE
ms, throughout. The failures come from a second process (asyncio on raw sockets, CONCURRENCY
connections), spread over SOURCES addresses 127.1.x.y (Linux routes all of 127/8 to
loopback), in five forms in turn: an unknown Bearer token on GET by id, an unknown token as
HTTP Basic on the collection list, no Authorization header on discovery, a malformed header
on the REST API's look-up, and a wrong token at the web sign-in. The control sends the same
requests with a valid token (and GETs the sign-in form instead of posting to it). At the end
the server is stopped, the audit records it wrote are counted and `accord audit verify` runs;
the scratch directory under /tmp is removed.

usage: auth_abuse_bench.py [--failures 10000] [--sources 200] [--concurrency 32] [--rate R]
                           [--workers 2] [--pace 5] [--quiet 10] [--accord PATH]
(--accord: another installation's `accord`, e.g. a checkout before this change)
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent / "src" / "accord" / "demo" / "attack-enterprise-18.1-china-groups.json"
TAXII = "application/taxii+json;version=2.1"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
GUESS = "accord_benchGuessNotAToken0123456789abcdefghijklmno"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def accord(binary: str, *args: str) -> str:
    done = subprocess.run([binary, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"accord {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout.strip()


# --- the other addresses: a separate process -------------------------------------------------

def requests_of(port: int, sign_in: tuple[str, str], token: str | None,
                object_id: str) -> list[bytes]:
    """The requests the other addresses send, as bytes on the wire (HTTP/1.1, keep-alive):
    a plain asyncio client costs a few µs a request, so the server, not the client, is what
    limits the rate."""
    host = f"Host: 127.0.0.1:{port}\r\n"
    taxii = f"Accept: {TAXII}\r\n"
    secret = token or GUESS
    basic = base64.b64encode(f"x:{secret}".encode()).decode()
    cookie, nonce = sign_in
    form = f"csrf={nonce}&token={GUESS}"
    return [
        f"GET /taxii2/accord/collections/evidence/objects/{object_id}/ HTTP/1.1\r\n{host}"
        f"{taxii}Authorization: Bearer {secret}\r\n\r\n".encode(),
        f"GET /taxii2/accord/collections/ HTTP/1.1\r\n{host}{taxii}"
        f"Authorization: Basic {basic}\r\n\r\n".encode(),
        f"GET /taxii2/ HTTP/1.1\r\n{host}{taxii}"
        f"{f'Authorization: Bearer {token}' if token else ''}\r\n\r\n".encode(),
        f"GET /api/v1/lookup?value=198.51.100.7 HTTP/1.1\r\n{host}"
        f"Authorization: {f'Bearer {token}' if token else 'Digest nonsense'}\r\n\r\n"
        .encode(),
        f"GET /ui/sign-in HTTP/1.1\r\n{host}\r\n".encode() if token else
        f"POST /ui/sign-in HTTP/1.1\r\n{host}Cookie: accord_sign_in={cookie}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(form)}\r\n\r\n{form}".encode(),
    ]


async def attack(port: int, count: int, sources: int, concurrency: int, token: str | None,
                 object_id: str, rate: float) -> dict[str, object]:
    """COUNT requests over CONCURRENCY connections from SOURCES addresses, in turn through
    the five forms of failure; with `token`, valid requests instead (the control). With a
    `rate`, at most that many a second in all; else as fast as the server answers."""
    # The sign-in form's anti-forgery cookie and token: any address may use them.
    form = httpx.get(f"http://127.0.0.1:{port}/ui/sign-in")
    found = CSRF.search(form.text)
    wire = requests_of(port, (form.cookies.get("accord_sign_in") or "",
                              found.group(1) if found else ""), token, object_id)
    statuses: Counter[str] = Counter()
    taken = iter(range(count))

    begun = time.perf_counter()

    async def connection(slot: int) -> None:
        reader = writer = None
        for n in taken:
            if rate:  # request n is due at n / rate seconds
                await asyncio.sleep(max(0.0, begun + n / rate - time.perf_counter()))
            if writer is None:
                source = f"127.1.{slot % sources // 250}.{slot % sources % 250 + 1}"
                reader, writer = await asyncio.open_connection(
                    "127.0.0.1", port, local_addr=(source, 0))
            assert reader is not None
            writer.write(wire[n // concurrency % len(wire)])
            head = await reader.readuntil(b"\r\n\r\n")
            status = head.split(b" ", 2)[1].decode()
            length = re.search(rb"(?i)content-length: *(\d+)", head)
            await reader.readexactly(int(length.group(1)) if length else 0)
            statuses[status] += 1
            if (n // concurrency) % 50 == 49:  # a new connection, from the next address
                writer.close()
                reader = writer = None
                slot += concurrency
        if writer is not None:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection(slot) for slot in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {"requests": count, "seconds": elapsed, "per_second": count / elapsed,
            "statuses": dict(statuses)}


# --- the legitimate client: this process -----------------------------------------------------

class Legitimate(threading.Thread):
    """GET by id with a valid token, one every `pace` seconds, until stopped."""

    def __init__(self, url: str, token: str, ids: list[str], pace: float) -> None:
        super().__init__(daemon=True)
        self.client = httpx.Client(base_url=url, timeout=60, headers={
            "Authorization": f"Bearer {token}", "Accept": TAXII})
        self.ids, self.pace = ids, pace
        self.samples: list[tuple[float, float, int]] = []  # (started, ms, status)
        self.stopped = threading.Event()

    def run(self) -> None:
        rng = random.Random(2015)
        next_at = time.perf_counter()
        while not self.stopped.is_set():
            started = time.perf_counter()
            answer = self.client.get(f"/taxii2/accord/collections/evidence/objects/"
                                     f"{rng.choice(self.ids)}/")
            self.samples.append((started, (time.perf_counter() - started) * 1000,
                                 answer.status_code))
            # A fixed pace, never a burst to catch up after a slow answer.
            next_at = max(next_at + self.pace, time.perf_counter())
            time.sleep(max(0.0, next_at - time.perf_counter()))

    def window(self, start: float, end: float) -> list[tuple[float, int]]:
        return [(ms, status) for at, ms, status in self.samples if start <= at < end]


def summary(samples: list[tuple[float, int]]) -> dict[str, float]:
    ms = sorted(m for m, _ in samples)
    if not ms:
        return {"requests": 0}
    return {"requests": len(ms), "p50": statistics.median(ms),
            "p99": ms[min(len(ms) - 1, int(len(ms) * 0.99))], "max": ms[-1],
            "errors": sum(1 for _, status in samples if status != 200)}


def in_flight(python: str, url: str, args: argparse.Namespace, token: str | None,
              object_id: str) -> subprocess.Popen[str]:
    port = url.rsplit(":", 1)[1]
    command = [python, __file__, "--attack", port, "--failures", str(args.failures),
               "--sources", str(args.sources), "--concurrency", str(args.concurrency),
               "--rate", str(args.rate),
               "--object", object_id]
    return subprocess.Popen([*command, *(["--token", token] if token else [])],
                            stdout=subprocess.PIPE, text=True)


def server_cpu(root: int) -> float:
    """CPU seconds (user + system) used so far by the server: its process and its workers."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    tree, total, tick = {root}, 0.0, os.sysconf("SC_CLK_TCK")
    for _ in range(3):  # the server, its workers, theirs
        tree |= {pid for pid, parent in parents.items() if parent in tree}
    for pid in tree:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def refusal_cost() -> dict[str, float]:
    """In process: what counting and recording one failure costs (µs), without HTTP."""
    from accord.serving.refusals import Attempt, RefusalLimits, Refusals

    refusals = Refusals(RefusalLimits(), lambda _event: None)
    attempt = Attempt("203.0.113.9", "bearer", "taxii", "GET", "/taxii2/")
    rotating = [Attempt(f"2001:db8:{n:x}::1", "bearer", "taxii", "GET", "/taxii2/")
                for n in range(10_000)]
    started = time.perf_counter()
    for _ in range(100_000):
        refusals.refuse(attempt)  # throttled after the first 20
    throttled = (time.perf_counter() - started) * 10
    started = time.perf_counter()
    for one in rotating:
        refusals.refuse(one)  # a new /64 each time
    fresh = (time.perf_counter() - started) * 100
    return {"throttled_us": throttled, "new_source_us": fresh}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--failures", type=int, default=10_000)
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=0.0,
                        help="failures a second in all (default: as fast as answered)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pace", type=float, default=5.0, help="ms between legitimate GETs")
    parser.add_argument("--quiet", type=float, default=10.0, help="seconds alone, each time")
    parser.add_argument("--accord", default=str(Path(sys.executable).parent / "accord"))
    parser.add_argument("--attack", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--object", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.attack:
        print(json.dumps(asyncio.run(attack(int(args.attack), args.failures, args.sources,
                                            args.concurrency, args.token, args.object,
                                            args.rate))))
        return

    work = Path(tempfile.mkdtemp(prefix="accord-auth-bench-"))
    db = str(work / "node.db")
    admin = accord(args.accord, "init", "--party", "United States (US-CERT)", "--db", db)
    # The control's token: a reader of the node's own party, who may read `evidence`.
    other = accord(args.accord, "token", "create", "--party", "United States (US-CERT)",
                   "--role", "reader", "--db", db)
    accord(args.accord, "import", str(SAMPLE), "--collection", "evidence", "--db", db)
    ids = [o["id"] for o in json.loads(SAMPLE.read_text())["objects"]]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (work / "serve.log").open("w")
    server = subprocess.Popen([args.accord, "serve", "--db", db, "--port", str(port),
                               "--workers", str(args.workers), "--tick", "0",
                               "--sync-every", "0"], stdout=log, stderr=log)
    phases: dict[str, dict[str, object]] = {}
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/taxii2/", headers={"Authorization": f"Bearer {admin}",
                                                          "Accept": TAXII}).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        legit = Legitimate(url, admin, ids, args.pace / 1000)
        legit.start()
        time.sleep(2)  # warm-up: every worker has served, statements are prepared

        quiet_cpu: list[float] = []  # server CPU seconds a second, the legitimate client alone

        def alone(name: str) -> None:
            start, cpu = time.perf_counter(), server_cpu(server.pid)
            time.sleep(args.quiet)
            end = time.perf_counter()
            quiet_cpu.append((server_cpu(server.pid) - cpu) / (end - start))
            phases[name] = {"legitimate": summary(legit.window(start, end)),
                            "server_cpu_per_s": quiet_cpu[-1]}

        def under(name: str, token: str | None) -> None:
            start, cpu = time.perf_counter(), server_cpu(server.pid)
            flood = in_flight(sys.executable, url, args, token, ids[0])
            out, _ = flood.communicate()
            end = time.perf_counter()
            # The server's CPU beyond what the legitimate client alone costs, per request.
            spent = server_cpu(server.pid) - cpu - statistics.mean(quiet_cpu) * (end - start)
            phases[name] = {"legitimate": summary(legit.window(start, end)),
                            "others": json.loads(out),
                            "server_cpu_ms_per_other_request": spent * 1000 / args.failures}
            print(f"{name}: {phases[name]}", file=sys.stderr)

        alone("alone")
        under(f"{args.failures:,} failed authentications", None)
        alone("alone again")
        under(f"{args.failures:,} valid requests (control)", other)
        legit.stopped.set()
        legit.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    trail = accord(args.accord, "audit", "--limit", "1000000", "--json", "--db", db)
    actions = Counter(json.loads(line)["action"] for line in trail.splitlines())
    verified = subprocess.run([args.accord, "audit", "verify", "--db", db],
                              capture_output=True, text=True, check=False)
    result = {
        "at": datetime.now(UTC).isoformat(), "accord": args.accord, "workers": args.workers,
        "failures": args.failures, "sources": args.sources, "concurrency": args.concurrency,
        "rate": args.rate,
        "pace_ms": args.pace, "phases": phases, "audit": {
            "auth.refused": actions.get("auth.refused", 0),
            "auth.throttled": actions.get("auth.throttled", 0),
            "verify": verified.returncode == 0},
        "refuse_in_process": refusal_cost(), "load": os.getloadavg()}
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    with (results / f"auth_abuse-{stamp}.jsonl").open("a") as sink:
        sink.write(json.dumps(result) + "\n")
    print("| phase | legitimate GETs | p50 ms | p99 ms | max ms | errors | others: req/s "
          "| others: answers | server CPU ms per other request |\n"
          "|---|---|---|---|---|---|---|---|---|")
    for name, phase in phases.items():
        mine, theirs = phase["legitimate"], phase.get("others") or {}
        assert isinstance(mine, dict) and isinstance(theirs, dict)
        cost = phase.get("server_cpu_ms_per_other_request")
        print(f"| {name} | {mine.get('requests')} | {mine.get('p50', 0):.2f} | "
              f"{mine.get('p99', 0):.2f} | {mine.get('max', 0):.1f} | {mine.get('errors')} | "
              f"{theirs.get('per_second', 0):.0f} | {theirs.get('statuses', '')} | "
              f"{f'{cost:.3f}' if isinstance(cost, float) else ''} |")
    print(f"\naudit: {result['audit']}; in process, refuse(): "
          f"{result['refuse_in_process']}; load average {result['load']}")
    shutil.rmtree(work)  # the scratch node, as every bench here leaves nothing behind


if __name__ == "__main__":
    main()
