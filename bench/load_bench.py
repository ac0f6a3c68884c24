#!/usr/bin/env python3
"""Four `accord serve` processes on one PostgreSQL database under 32 concurrent clients (wrk),
against the same servers as one `accord serve --workers 4`: requests/s, latency, errors, and
where the CPU went (servers, PostgreSQL, wrk, the rest of the machine).

usage: load_bench.py [--servers 4] [--connections 32] [--seconds 20] [--mode both]
                     [--indicators 5000] [--pg postgresql://postgres@127.0.0.1:5432/test]

The node is made in a fresh schema of the --pg database (dropped at the end): `accord init`,
the ATT&CK sample of src/accord/demo and --indicators generated indicators imported with
`accord import` into a collection `load`. Then, per mode, the servers start on free loopback
ports, wrk warms them up for 3 s and measures for --seconds with bench/load_taxii.lua: a mix
of TAXII GETs (discovery, collections, a page of 50 objects, objects by id, match[type]).
Needs wrk (Debian: wrk).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg

HERE = Path(__file__).resolve().parent
ACCORD = Path(sys.executable).parent / "accord"
SAMPLE = HERE.parent / "src" / "accord" / "demo" / "attack-enterprise-18.1-china-groups.json"
TAXII = "application/taxii+json;version=2.1"
TICK = os.sysconf("SC_CLK_TCK")
APPLICATION = "accord-load-bench"  # names the servers' PostgreSQL sessions, to time them


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def accord(*args: str, db: str) -> str:
    done = subprocess.run([str(ACCORD), *args, "--db", db], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        sys.exit(f"accord {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout.strip()


@contextmanager
def fresh_schema(pg: str) -> Iterator[str]:
    schema = f"load_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{pg}?options=-csearch_path%3D{schema}&application_name={APPLICATION}"
    finally:
        with psycopg.connect(pg, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process (not its children), in seconds; 0 once gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def children_of(pids: set[int]) -> set[int]:
    """Every descendant of `pids` (uvicorn's workers and their spawn helpers)."""
    found = set(pids)
    grew = True
    while grew:
        grew = False
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) in found:
                continue
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if parent in found:
                found.add(int(entry.name))
                grew = True
    return found


def postgres_backends(pg: str) -> set[int]:
    with psycopg.connect(pg, autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                            (APPLICATION,)).fetchall()
    return {int(pid) for (pid,) in rows}


def machine_busy_seconds() -> float:
    """CPU-seconds the whole machine has spent busy (all cores), from /proc/stat."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / TICK


def wait_serving(port: int, token: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            answer = httpx.get(f"http://127.0.0.1:{port}/taxii2/", timeout=2,
                               headers={"Authorization": f"Bearer {token}", "Accept": TAXII})
            if answer.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    sys.exit(f"accord serve on port {port} did not answer within 60 s")


@contextmanager
def servers(mode: str, count: int, db: str, token: str, log: Path) -> Iterator[
        tuple[list[int], list[subprocess.Popen[bytes]]]]:
    """`count` separate processes (mode "processes") or one with `--workers count`."""
    ports = [free_port() for _ in range(count if mode == "processes" else 1)]
    extra = [] if mode == "processes" else ["--workers", str(count)]
    running = []
    try:
        with log.open("ab") as sink:
            for port in ports:
                running.append(subprocess.Popen(
                    [str(ACCORD), "serve", "--db", db, "--port", str(port), "--sync-every",
                     "0", *extra], stdout=sink, stderr=sink))
                wait_serving(port, token)  # one at a time: only the first may set up anything
        yield ports, running
    finally:
        for process in running:
            process.terminate()
        for process in running:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def the_mix(port: int, token: str) -> list[str]:
    """The paths of the load: what a TAXII client's rounds ask for, by ids that exist."""
    headers = {"Authorization": f"Bearer {token}", "Accept": TAXII}
    root = f"http://127.0.0.1:{port}/taxii2/accord/"
    listed = httpx.get(root + "collections/", headers=headers).json()["collections"]
    collection = next(c["id"] for c in listed if c.get("alias") == "load")
    objects = f"/taxii2/accord/collections/{collection}/objects/"
    page = httpx.get(f"http://127.0.0.1:{port}{objects}?limit=200", headers=headers).json()
    ids = [o["id"] for o in page["objects"]][::20]
    return ["/taxii2/", "/taxii2/accord/collections/", f"{objects}?limit=50",
            *(f"{objects}{oid}/" for oid in ids),
            f"{objects}?match[type]=intrusion-set", f"{objects}?match[type]=malware&limit=20"]


def run_wrk(ports: list[int], paths: list[str], token: str, threads: int, connections: int,
            seconds: int) -> tuple[dict[str, float], float]:
    """One wrk run: its JSON summary, and wrk's own CPU-seconds."""
    env = {**os.environ, "ACCORD_TOKEN": token, "ACCORD_PATHS": " ".join(paths),
           "ACCORD_PORTS": " ".join(map(str, ports))}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
         "--timeout", "10s", "-s", str(HERE / "load_taxii.lua"), f"http://127.0.0.1:{ports[0]}"],
        capture_output=True, text=True, env=env, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if done.returncode != 0 or line is None:
        sys.exit(f"wrk failed:\n{done.stdout}\n{done.stderr}")
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return json.loads(line.removeprefix("WRK_JSON ")), used


def measure(mode: str, args: argparse.Namespace, db: str, token: str, log: Path
            ) -> dict[str, object]:
    with servers(mode, args.servers, db, token, log) as (ports, running):
        paths = the_mix(ports[0], token)
        threads = max(args.servers, 1)
        run_wrk(ports, paths, token, threads, args.connections, 3)  # warm up
        mine = children_of({p.pid for p in running})
        pg = postgres_backends(args.pg)
        start = {pid: cpu_seconds(pid) for pid in mine | pg}
        busy, wall = machine_busy_seconds(), time.monotonic()
        summary, wrk_cpu = run_wrk(ports, paths, token, threads, args.connections,
                                   args.seconds)
        wall, busy = time.monotonic() - wall, machine_busy_seconds() - busy
        server_cpu = sum(cpu_seconds(pid) - start[pid] for pid in mine)
        pg_cpu = sum(cpu_seconds(pid) - start[pid] for pid in pg)
    errors = int(summary["not_200"] + summary["connect"] + summary["read"] + summary["write"]
                 + summary["timeout"])
    return {
        "mode": (f"{args.servers} processes" if mode == "processes"
                 else f"--workers {args.servers}"),
        "requests_per_s": round(summary["requests"] / summary["seconds"]),
        "requests": int(summary["requests"]), "errors": errors,
        "p50_ms": summary["p50_ms"], "p90_ms": summary["p90_ms"],
        "p99_ms": summary["p99_ms"], "max_ms": summary["max_ms"],
        "cpu_servers": round(server_cpu / wall, 2), "cpu_postgres": round(pg_cpu / wall, 2),
        "cpu_wrk": round(wrk_cpu / wall, 2),
        "cpu_other": round(max(0.0, busy - server_cpu - pg_cpu - wrk_cpu) / wall, 2),
        # What one request costs, whatever else the machine does: the ceiling on 2 cores is
        # 2 s / (the three together).
        "ms_cpu_server": round(1000 * server_cpu / summary["requests"], 2),
        "ms_cpu_postgres": round(1000 * pg_cpu / summary["requests"], 2),
        "ms_cpu_wrk": round(1000 * wrk_cpu / summary["requests"], 3),
        "errors_by_kind": {k: int(summary[k]) for k in
                           ("not_200", "connect", "read", "write", "timeout")},
        "seconds": round(wall, 1), "paths": len(paths),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--mode", choices=["processes", "workers", "both"], default="both")
    parser.add_argument("--indicators", type=int, default=5000)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed (Debian: apt-get install wrk)")
    with fresh_schema(args.pg) as db, tempfile.TemporaryDirectory(prefix="accord-load.") as tmp:
        token = accord("init", "--party", "Load CERT", db=db)
        accord("collection", "create", "Load", "--alias", "load", db=db)
        accord("import", str(SAMPLE), "--collection", "load", db=db)
        if args.indicators:
            bundle = Path(tmp) / "indicators.json"
            subprocess.run([sys.executable, str(HERE / "indicator_bundle.py"),
                            str(args.indicators), str(bundle)], check=True, cwd=HERE)
            accord("import", str(bundle), "--collection", "load", db=db)
        log = Path(tmp) / "serve.log"
        modes = ["processes", "workers"] if args.mode == "both" else [args.mode]
        rows = []
        for mode in modes:
            row = measure(mode, args, db, token, log)
            print(json.dumps(row), file=sys.stderr)
            rows.append(row)
        if "Traceback" in log.read_text():
            print(f"the servers logged a traceback:\n{log.read_text()[-4000:]}", file=sys.stderr)
    cores = os.cpu_count()
    print(f"| servers | requests/s | errors | p50 ms | p90 ms | p99 ms | CPU (of {cores}): "
          "servers / PostgreSQL / wrk / other | CPU ms a request: server / PostgreSQL / wrk |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['mode']} | {r['requests_per_s']:,} | {r['errors']} | {r['p50_ms']:.1f} | "
              f"{r['p90_ms']:.1f} | {r['p99_ms']:.1f} | {r['cpu_servers']} / "
              f"{r['cpu_postgres']} / {r['cpu_wrk']} / {r['cpu_other']} | "
              f"{r['ms_cpu_server']} / {r['ms_cpu_postgres']} / {r['ms_cpu_wrk']} |")


if __name__ == "__main__":
    main()
