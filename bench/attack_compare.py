#!/usr/bin/env python3
"""ATT&CK Enterprise in one run, one client: Accord on SQLite and on PostgreSQL against the
floors (bench/floor.py for ingest, bench/taxii_floor.py for TAXII) and OpenTAXII 0.10.0b1
(../shared/bench/opentaxii_run.sh, in its own venv), all measured by ../shared/bench/
taxii_bench.py; prints the ratio table. The client's CPU time is shown for each server: where
it nears the run's wall time, the client, not the server, is the limit.

usage: attack_compare.py [DATA.json] [--pg URL] [--workers 2] [--no-opentaxii]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared"
if not SHARED.exists():
    SHARED = Path("/work/shared")
sys.path.insert(0, str(HERE))
from scale_bench import ACCORD, DEFAULT_PG, schema_url  # noqa: E402
from ui_bench import free_port  # noqa: E402

TAXII_BENCH = SHARED / "bench" / "taxii_bench.py"
FIGURES = (("post_obj_per_s", "POST obj/s", True), ("page_obj_per_s", "paging obj/s", True),
           ("by_id_p50_ms", "GET by id p50 ms", False), ("by_id_p99_ms", "GET by id p99 ms", False),
           ("by_type_p50_ms", "match[type] p50 ms", False),
           ("conc_req_per_s", "8 threads req/s", True))


def whole(command: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr[-2000:]}")
    return time.perf_counter() - started, done.stdout


def client(url: str, api_root: str, collection: str, token: str | None, data: Path,
           label: str) -> dict:
    """taxii_bench.py under GNU time: its figures and its own CPU seconds."""
    command = ["/usr/bin/time", "-f", "CPU %U %S %e", sys.executable, str(TAXII_BENCH),
               "--url", url, "--api-root", api_root, "--collection", collection,
               "--data", str(data), "--label", label]
    if token:
        command += ["--token", token]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"taxii_bench against {label} failed: {done.stderr[-2000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    user, system, wall = (float(x) for x in done.stderr.strip().splitlines()[-1].split()[1:])
    figures.update(client_cpu_s=round(user + system, 2), client_wall_s=wall)
    return figures


def wait_for(url: str, server: subprocess.Popen) -> None:
    for _ in range(600):
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            if server.poll() is not None:
                raise SystemExit(f"the server for {url} exited") from None
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


def accord_run(db: str, data: Path, workers: int, label: str) -> dict:
    token = whole([str(ACCORD), "init", "--party", "Bench", "--db", db])[1].strip()
    collection = whole([str(ACCORD), "collection", "create", "Bench", "--db", db])[1].strip()
    port = free_port()
    server = subprocess.Popen([str(ACCORD), "serve", "--db", db, "--port", str(port),
                               "--workers", str(workers), "--tick", "0", "--sync-every", "0"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{port}/taxii2/", server)
        return client(f"http://127.0.0.1:{port}", "/taxii2/accord/", collection, token, data,
                      label)
    finally:
        stop(server)


def floor_run(data: Path, workers: int) -> dict:
    port = free_port()
    server = subprocess.Popen([sys.executable, str(HERE / "taxii_floor.py"), str(data),
                               "--port", str(port), "--workers", str(workers)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{port}/", server)
        return client(f"http://127.0.0.1:{port}", "/taxii2/accord/", "floor", None, data,
                      "floor")
    finally:
        stop(server)


def opentaxii_run(data: Path, workers: int) -> dict:
    env = {**os.environ, "WORKERS": str(workers)}
    done = subprocess.run(["bash", str(SHARED / "bench" / "opentaxii_run.sh"), str(data)],
                          capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(f"opentaxii_run.sh failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def fresh_schema(pg: str, name: str, drop_only: bool = False) -> None:
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        if not drop_only:
            conn.execute(f'CREATE SCHEMA "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path,
                        default=SHARED / "data" / "attack" / "enterprise-attack-18.1.json")
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-opentaxii", action="store_true")
    parser.add_argument("--out", type=Path, default=HERE / "attack-compare.jsonl")
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory(prefix="accord-compare-")
    schema = f"attack_compare_{os.getpid()}"
    pg_db = schema_url(args.pg, schema)
    results: dict[str, dict] = {}
    # Accord's modules compiled, as an install from a wheel has them: with
    # PYTHONDONTWRITEBYTECODE set (as on the development machines), an editable install
    # compiles every module again at each command (about 0.07 s of `accord import`).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(HERE.parent / "src")],
                   check=True, stdout=subprocess.DEVNULL)
    try:
        # Ingest: the floor and `accord import`, whole commands.
        floor_s, floor_out = whole([sys.executable, str(HERE / "floor.py"), str(args.data)])
        ingest = {"floor": floor_s}
        for label, db in (("sqlite", str(Path(scratch.name) / "import.db")), ("postgresql", pg_db)):
            if label == "postgresql":
                fresh_schema(args.pg, schema)
            whole([str(ACCORD), "init", "--party", "Bench", "--db", db])
            ingest[label] = whole([str(ACCORD), "import", str(args.data), "--db", db])[0]
        fresh_schema(args.pg, schema)
        # TAXII: the same client against each server, one after the other.
        results["floor"] = floor_run(args.data, args.workers)
        results["accord sqlite"] = accord_run(str(Path(scratch.name) / "taxii.db"), args.data,
                                              args.workers, "accord-sqlite")
        results["accord postgresql"] = accord_run(pg_db, args.data, args.workers,
                                                  "accord-postgresql")
        if not args.no_opentaxii:
            results["opentaxii"] = opentaxii_run(args.data, args.workers)
    finally:
        fresh_schema(args.pg, schema, drop_only=True)
        scratch.cleanup()
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    with args.out.open("a") as f:
        f.write(json.dumps({"run": stamp, "ingest_s": ingest, "floor_inprocess":
                            json.loads(floor_out.strip().splitlines()[-1]), **results}) + "\n")
    print(table(ingest, results))


def table(ingest: dict[str, float], results: dict[str, dict]) -> str:
    servers = list(results)
    lines = ["| figure | " + " | ".join(servers) + " | accord sqlite ÷ floor | "
             "accord pg ÷ floor | accord sqlite vs OpenTAXII | accord pg vs OpenTAXII |",
             "|---|" + "---:|" * (len(servers) + 4)]
    for key, words, higher in FIGURES:
        values = {s: results[s].get(key) for s in servers}

        def ratio(a: str, b: str, values: dict = values, higher: bool = higher) -> str:
            x, y = values.get(a), values.get(b)
            if not x or not y:
                return ""
            # "×" reads as how many times better the first is; ÷ floor as its cost.
            return f"{(x / y if higher else y / x):.2f}×"

        def cost(a: str, values: dict = values, higher: bool = higher) -> str:
            x, y = values.get(a), values.get("floor")
            if not x or not y:
                return ""
            return f"{(y / x if higher else x / y):.2f}×"

        lines.append(f"| {words} | " + " | ".join(f"{values[s]:,}" if values[s] is not None
                                                   else "" for s in servers)
                     + f" | {cost('accord sqlite')} | {cost('accord postgresql')} | "
                     f"{ratio('accord sqlite', 'opentaxii')} | "
                     f"{ratio('accord postgresql', 'opentaxii')} |")
    lines.append("| client CPU s / wall s | " + " | ".join(
        f"{results[s]['client_cpu_s']} / {results[s]['client_wall_s']}"
        if "client_cpu_s" in results[s] else "" for s in servers) + " | | | | |")
    lines += ["", "| ingest, whole command | seconds | ÷ floor |", "|---|---:|---:|"]
    for label, seconds in ingest.items():
        lines.append(f"| {label} | {seconds:.2f} | {seconds / ingest['floor']:.2f}× |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
