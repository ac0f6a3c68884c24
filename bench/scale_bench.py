#!/usr/bin/env python3
"""Accord at scale on PostgreSQL: the figures of issue 14's Numbers list at one size.

Loads SIZE objects of bench/synth.py (the bundle is cached in --data-dir) into a fresh schema of
the PostgreSQL server with the whole `accord import` command (timed: ingest objects/s), stores
--requests generated requests with their ledgers (bench/review_store_bench.py, not timed), starts
`accord serve`, and measures each figure with one client on loopback, against the issue's
targets. Each figure is appended as a JSON line to --out (size, figure, value, target, commit).
It runs whatever `accord` is on the path (PYTHONPATH decides), and records that code's commit.

usage: scale_bench.py SIZE [--pg URL] [--schema NAME] [--reuse] [--keep] [--requests N] [--prewarm]
       (SIZE: 100k, 1M, 10M or a number; --reuse measures an already loaded schema again)
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import synth  # noqa: E402
from ui_bench import free_port, signed_in  # noqa: E402

# The pages say how long the server took (web.core.finish), for every viewer here.
os.environ.setdefault("ACCORD_SERVER_TIMING", "1")

ACCORD = Path(sys.executable).parent / "accord"
TAXII = "application/taxii+json;version=2.1"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"

# Issue 14's Numbers, as (figure, unit, target, "le" | "ge").
TARGETS: dict[str, tuple[str, float | None, str]] = {
    "ingest": ("obj/s", 50_000, "ge"),
    "get_by_id_p50": ("ms", None, "le"),
    "get_by_id_p99": ("ms", 20, "le"),
    "paging": ("obj/s", 30_000, "ge"),
    "match_type_rare_p50": ("ms", None, "le"),
    "match_type_rare_p99": ("ms", 50, "le"),
    "match_type_common_p50": ("ms", None, "le"),
    "match_type_common_p99": ("ms", 50, "le"),
    "added_after_10000": ("s", 1, "le"),
    "lookup_p50": ("ms", None, "le"),
    "lookup_p99": ("ms", 5, "le"),
    "search_name_p50": ("ms", None, "le"),
    "search_name_p95": ("ms", 50, "le"),
    "object_graph_p50": ("ms", None, "le"),
    "object_graph_p95": ("ms", 100, "le"),
    "review": ("s", 2, "le"),
    "dashboard_p50": ("ms", None, "le"),
    "dashboard_p95": ("ms", 200, "le"),
}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def commit_of_code() -> str:
    """The commit of the accord package this run imports (+dirty if its tree has changes)."""
    found = subprocess.run([sys.executable, "-c", "import accord; print(accord.__file__)"],
                           capture_output=True, text=True, check=True).stdout.strip()
    where = Path(found).parent
    head = subprocess.run(["git", "-C", str(where), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "-C", str(where), "status", "--porcelain", "--", "."],
                           capture_output=True, text=True).stdout.strip()
    return head + ("+dirty" if dirty else "")


def schema_url(pg: str, schema: str) -> str:
    sep = "&" if "?" in pg else "?"
    return f"{pg}{sep}options={quote(f'-csearch_path={schema}')}"


def accord(*args: str, db: str) -> str:
    done = subprocess.run([str(ACCORD), *args, "--db", db], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"accord {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout.strip()


class Recorder:
    """Prints each figure and appends it as one JSON line to the results file."""

    def __init__(self, out: Path, size: int, commit: str, run: str, prewarm: bool = False
                 ) -> None:
        self.out, self.size, self.commit, self.run = out, size, commit, run
        self.prewarm = prewarm

    def __call__(self, figure: str, value: float, **extra: Any) -> None:
        unit, target, op = TARGETS[figure]
        met = None if target is None else (value <= target if op == "le" else value >= target)
        line = {"run": self.run, "size": self.size, "figure": figure, "value": round(value, 3),
                "unit": unit, "target": target, "target_op": op, "met": met,
                "commit": self.commit, "backend": "postgresql",
                # The machine is shared: its load says how far to trust a figure.
                "load1": round(os.getloadavg()[0], 1),
                **({"prewarm": True} if self.prewarm and figure != "ingest" else {}), **extra}
        print(json.dumps(line), flush=True)
        with self.out.open("a") as f:
            f.write(json.dumps(line) + "\n")


@contextmanager
def client_cpu() -> Iterator[dict[str, float]]:
    """The bench process's own CPU seconds over a block: where the client is the limit."""
    took: dict[str, float] = {}
    before = resource.getrusage(resource.RUSAGE_SELF)
    yield took
    after = resource.getrusage(resource.RUSAGE_SELF)
    took["client_cpu_s"] = round(after.ru_utime - before.ru_utime
                                 + after.ru_stime - before.ru_stime, 3)


LOOKUP_WARM = 50
BUDGET_S = 90  # a figure's calls stop after this long (at least MIN_ROUNDS): runs stay bounded
MIN_ROUNDS = 20


def timed(call: Callable[[], httpx.Response], rounds: int, server_timing: bool = False,
          warm: int = 1) -> list[float]:
    """Milliseconds of `rounds` calls after `warm` calls not timed: the client's wait, or with
    server_timing the page's own Server-Timing (the web UI sets it). Slow paths get fewer
    rounds: no more than BUDGET_S seconds once MIN_ROUNDS are done."""
    for _ in range(warm):
        call()
    out: list[float] = []
    ends = time.perf_counter() + BUDGET_S
    for _ in range(rounds):
        if len(out) >= MIN_ROUNDS and time.perf_counter() > ends:
            break
        t = time.perf_counter()
        response = call()
        waited = (time.perf_counter() - t) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{response.request.url}: {response.status_code} "
                             f"{response.text[:300]}")
        out.append(float(response.headers["server-timing"].split("dur=")[1]) if server_timing
                   else waited)
    return out


def load(args: argparse.Namespace, db: str, bundle: Path, record: Recorder) -> dict[str, str]:
    """A fresh node in the schema: the bundle imported (timed), the requests stored."""
    token = accord("init", "--party", "Bench", db=db).splitlines()[-1]
    collection = accord("collection", "create", "Scale", db=db).splitlines()[-1]
    print(f"importing {bundle} ({bundle.stat().st_size / 1e6:,.0f} MB) …", file=sys.stderr)
    started = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "%M", str(ACCORD), "import", str(bundle),
                           "--collection", collection, "--db", db],
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"accord import failed: {done.stderr[-2000:]}")
    summary = [line for line in done.stderr.splitlines() if "accepted" in line]
    peak_mb = round(int(done.stderr.strip().splitlines()[-1]) / 1024)
    record("ingest", args.size / seconds, seconds=round(seconds, 1), peak_rss_mb=peak_mb,
           summary=summary[-1][-160:] if summary else "")
    liaison = ""
    if args.requests:
        print(f"storing {args.requests:,} requests with their ledgers …", file=sys.stderr)
        started = time.perf_counter()
        code = (
            "import sys; sys.path.insert(0, sys.argv[1]);"
            "from review_store_bench import store_ledgers;"
            "from review_bench import PARTIES;"
            "from accord.node import open_node;"
            "from accord.cooperation.desk import Desk;"
            "node = open_node(sys.argv[2]);"
            "collection, stored = store_ledgers(node, int(sys.argv[3]));"
            "Desk(node).admit(collection, list(PARTIES));"
            "print(stored)")
        stored = subprocess.run([sys.executable, "-c", code, str(HERE), db, str(args.requests)],
                                capture_output=True, text=True)
        if stored.returncode:
            raise SystemExit(f"storing requests failed: {stored.stderr[-2000:]}")
        print(json.dumps({"phase": "requests stored", "requests": args.requests,
                          "objects": int(stored.stdout.split()[-1]),
                          "seconds": round(time.perf_counter() - started, 1)}), file=sys.stderr)
        liaison = accord("token", "create", "--party", "US-CERT", "--role", "liaison",
                         "--name", "Officer Scale", db=db).splitlines()[-1]
    return {"token": token, "collection": collection, "liaison": liaison}


def added_after_threshold(pg: str, schema: str, collection: str, newest: int) -> str:
    """The date_added just before the newest `newest` objects of the collection (setup, read
    straight from the table, not timed)."""
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute(f'SET search_path = "{schema}"')
        row = conn.execute("SELECT date_added FROM objects WHERE collection_id = %s "
                           "ORDER BY date_added DESC OFFSET %s LIMIT 1",
                           (collection, newest)).fetchone()
    if row is None:
        raise SystemExit(f"the collection holds no more than {newest} objects")
    value = row[0]
    return value if isinstance(value, str) else value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def measure(args: argparse.Namespace, db: str, keys: dict[str, str], probes: dict[str, Any],
            record: Recorder) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(Path(args.data_dir) / f"serve-{args.size}.log", "wb")  # noqa: SIM115
    server = subprocess.Popen([str(ACCORD), "serve", "--db", db, "--port", str(port),
                               "--workers", str(args.workers), "--tick", "0",
                               "--sync-every", "0"], stdout=log, stderr=log)
    rnd = random.Random(14)
    try:
        for _ in range(600):
            try:
                httpx.get(base + "/taxii2/", timeout=1)
                break
            except httpx.TransportError:
                if server.poll() is not None:
                    raise SystemExit(f"accord serve exited; see {log.name}") from None
                time.sleep(0.1)
        taxii = httpx.Client(base_url=base, timeout=120, headers={
            "authorization": f"Bearer {keys['token']}", "accept": TAXII})
        objects = f"/taxii2/accord/collections/{keys['collection']}/objects/"
        rounds = args.rounds

        if measuring(args, "get_by_id"):
            ids = [rnd.choice(probes["ids"]) for _ in range(rounds * 3)]
            it = iter(ids)
            ms = timed(lambda: taxii.get(f"{objects}{next(it)}/"), len(ids) - 1)
            record("get_by_id_p50", statistics.median(ms), requests=len(ms))
            record("get_by_id_p99", pct(ms, 99), requests=len(ms))

        if measuring(args, "paging"):
            limit = min(args.page_objects, args.size)
            got, params = 0, {"limit": "1000"}
            with client_cpu() as cpu:
                started = time.perf_counter()
                while got < limit:
                    page = taxii.get(objects, params=params).json()
                    got += len(page.get("objects", []))
                    if not page.get("more"):
                        break
                    params = {"limit": "1000", "next": page["next"]}
                seconds = time.perf_counter() - started
            record("paging", got / seconds, objects=got, seconds=round(seconds, 2), **cpu)

        if measuring(args, "match_type"):
            for label, kind in (("rare", "intrusion-set"), ("common", "indicator")):
                sizes: list[int] = []

                def first_page(kind: str = kind, sizes: list[int] = sizes) -> httpx.Response:
                    response = taxii.get(objects, params={"match[type]": kind})
                    sizes.append(len(response.json().get("objects", [])))
                    return response

                ms = timed(first_page, rounds)
                extra = {"type": kind, "in_file": probes["types"].get(kind, 0),
                         "page_objects": sizes[-1]}
                record(f"match_type_{label}_p50", statistics.median(ms), **extra)
                record(f"match_type_{label}_p99", pct(ms, 99), **extra)

        if measuring(args, "added_after"):
            newest = min(10_000, args.size - 1)
            after = added_after_threshold(args.pg, args.schema, keys["collection"], newest)
            runs = []
            with client_cpu() as cpu:
                for _ in range(3):
                    got, params = 0, {"added_after": after, "limit": "1000"}
                    started = time.perf_counter()
                    while True:
                        page = taxii.get(objects, params=params).json()
                        got += len(page.get("objects", []))
                        if not page.get("more"):
                            break
                        params = {"added_after": after, "limit": "1000", "next": page["next"]}
                    runs.append(time.perf_counter() - started)
            record("added_after_10000", statistics.median(runs), objects=got,
                   runs=[round(r, 3) for r in runs], **cpu)

        if measuring(args, "lookup"):
            api = httpx.Client(base_url=base, timeout=120, headers={
                "authorization": f"Bearer {keys['token']}"})
            # Two thirds values in the data, a third nowhere; 6 × rounds of them: a p99 of
            # 550 look-ups is the 6th slowest, not the 3rd of 250.
            values = [rnd.choice(probes["values"]) for _ in range(rounds * 4)]
            values += [f"{rnd.getrandbits(256):064x}" for _ in range(rounds)]  # nowhere
            values += [f"10.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}"
                       for _ in range(rounds)]
            rnd.shuffle(values)
            it = iter(values)
            found = []

            def lookup() -> httpx.Response:
                response = api.get("/api/v1/lookup", params={"value": next(it)})
                found.append(response.json().get("count", 0) if response.is_success else 0)
                return response

            # A server that has run a while has planned each shape of the look-up's statement
            # (one per kind of value: a domain is also sought as a file name and a mutex) once
            # on each connection: 6-11 ms the first time at 10 M, then never again. LOOKUP_WARM
            # look-ups first, not timed, meet every kind the probes hold.
            ms = timed(lookup, len(values) - LOOKUP_WARM, warm=LOOKUP_WARM)
            hits = sum(1 for c in found[LOOKUP_WARM:] if c)
            record("lookup_p50", statistics.median(ms), lookups=len(ms), found=hits)
            record("lookup_p99", pct(ms, 99), lookups=len(ms), found=hits)

        web = signed_in(base, keys["token"])
        if measuring(args, "search_name"):
            names = [rnd.choice(probes["names"]) for _ in range(rounds)]
            it = iter(names)
            ms = timed(lambda: web.get("/ui/search", params={"q": next(it)}), len(names) - 1,
                       server_timing=True)
            record("search_name_p50", statistics.median(ms), searches=len(ms))
            record("search_name_p95", pct(ms, 95), searches=len(ms))

        if measuring(args, "object_graph"):
            hubs = [rnd.choice(probes["hubs"]) for _ in range(rounds)]
            it = iter(hubs)
            ms = timed(lambda: web.get(f"/ui/objects/{next(it)}"), len(hubs) - 1,
                       server_timing=True)
            record("object_graph_p50", statistics.median(ms), pages=len(ms),
                   object_type="intrusion-set")
            record("object_graph_p95", pct(ms, 95), pages=len(ms), object_type="intrusion-set")

        if keys.get("liaison") and measuring(args, "dashboard"):
            officer = signed_in(base, keys["liaison"])
            ms = timed(lambda: officer.get("/ui/"), min(rounds, 20), server_timing=True)
            record("dashboard_p50", statistics.median(ms), party="US-CERT",
                   requests=args.requests, pages=len(ms))
            record("dashboard_p95", pct(ms, 95), party="US-CERT", requests=args.requests,
                   pages=len(ms))
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()

    if keys.get("liaison") and measuring(args, "review"):
        # As review_store_bench.py: the whole command, start-up included, best of 3.
        command = [str(ACCORD), "review", "--from", "2026-01-01", "--to", "2026-07-01",
                   "--format", "json", "--db", db]
        runs = []
        for _ in range(3):
            t = time.perf_counter()
            done = subprocess.run(command, capture_output=True)
            runs.append(time.perf_counter() - t)
            if done.returncode:
                raise SystemExit(f"accord review failed: {done.stderr.decode()[-2000:]}")
        counted = sum(d["requests"] for d in json.loads(done.stdout)["directions"].values())
        record("review", min(runs), runs=[round(r, 2) for r in runs],
               requests_stored=args.requests, requests_counted=counted)


def measuring(args: argparse.Namespace, figure: str) -> bool:
    """Whether `figure` is measured; if it is, once the node has settled: the writes the last
    figures set off (the audit trail of every object they read, hint bits on pages read for
    the first time) flushed first, PostgreSQL's (CHECKPOINT) and then the OS's. Otherwise
    a figure pays for the one before it: look-ups right after paging 200,000 objects took
    1.4-1.7 ms at the median, 7-9 ms at p99, inside the server, against 1.1 and 3.1-3.7 on a
    settled node (10 M objects, 2026-12-02)."""
    if not wanted(args, figure):
        return False
    started = time.perf_counter()
    time.sleep(0.5)  # the server appends the reads it audited every 0.2 s
    with psycopg.connect(args.pg, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
    os.sync()
    print(json.dumps({"phase": "settled", "before": figure,
                      "seconds": round(time.perf_counter() - started, 2)}), file=sys.stderr)
    return True


def wanted(args: argparse.Namespace, figure: str) -> bool:
    return not args.only or figure in args.only


def prewarm(pg: str, schema: str) -> None:
    """Every table and index of the schema read once into the OS's page cache (pg_prewarm's
    'read' mode; PostgreSQL's own 128 MB of buffers are left as they are). What a node that has
    served for a while holds in memory, where it fits: the reads then measure the statements,
    not which pages the last run, or the load, happened to leave in memory.

    All but the audit trail's tables and indexes, which a node writes at their end and reads
    when an admin asks: at 10 M the schema (23 GB, 20 GB without them) is about the whole page
    cache of this machine (24 GB), and no read path measured here reads them. Tables (and
    their TOAST) first, then the indexes, where every read path starts: what is read last
    stays."""
    started = time.perf_counter()
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        # Toast tables live in pg_toast: their owners' reltoastrelid names them.
        relations = conn.execute(
            "SELECT r.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "LEFT JOIN pg_index i ON i.indexrelid = c.oid "
            "JOIN pg_class t ON t.oid = coalesce(i.indrelid, c.oid), "
            "LATERAL (VALUES (c.oid, c.relkind), (nullif(c.reltoastrelid, 0), 't')) "
            "AS r(oid, relkind) "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'i', 'm') AND r.oid IS NOT NULL "
            "AND t.relname NOT IN ('audit', 'audit_objects') "
            "ORDER BY r.relkind = 'i', pg_relation_size(r.oid) DESC", (schema,)).fetchall()
        blocks = sum(int(conn.execute("SELECT pg_prewarm(%s, 'read')", (oid,)).fetchall()[0][0])
                     for (oid,) in relations)
    print(json.dumps({"phase": "prewarmed", "schema": schema, "mb": blocks * 8 // 1024,
                      "seconds": round(time.perf_counter() - started, 1)}), file=sys.stderr)


def schema_exists(pg: str, schema: str) -> bool:
    with psycopg.connect(pg, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s",
                            (schema,)).fetchone() is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", type=synth.parse_count)
    parser.add_argument("--pg", default=os.environ.get("ACCORD_BENCH_PG", DEFAULT_PG))
    parser.add_argument("--schema", help="default: scale_SIZE")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the schema as an earlier --keep run left it")
    parser.add_argument("--keep", action="store_true", help="keep the schema afterwards")
    parser.add_argument("--data-dir", default="/tmp/accord-scale")
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--page-objects", type=int, default=200_000,
                        help="page through at most this many objects (bounds the run)")
    parser.add_argument("--only", nargs="*", default=[],
                        help="only these figures (get_by_id paging match_type added_after "
                             "lookup search_name object_graph dashboard review)")
    parser.add_argument("--out", type=Path, default=HERE / "scale-results.jsonl")
    parser.add_argument("--prewarm", action="store_true",
                        help="read the schema's tables and indexes into the OS's cache first "
                             "(pg_prewarm): a node's steady state, not the hour after a load")
    args = parser.parse_args()
    args.schema = args.schema or f"scale_{args.size}"
    data = Path(args.data_dir)
    data.mkdir(parents=True, exist_ok=True)
    bundle = data / f"synth-{args.size}.json"
    if not bundle.exists():
        print(f"generating {bundle} …", file=sys.stderr)
        synth.write(args.size, bundle)
    probes = json.loads(synth.probes_path(bundle).read_bytes())
    # What the client holds from here on (the probes: tens of thousands of strings) out of its
    # cyclic collector's sight. Otherwise parsing a page of 1,000 objects now and then set off
    # a full collection that walked them all: 50-75 ms of the client's, timed as the server's
    # (seen at 1 M: match[type] p99 58 ms, p50 13).
    gc.collect()
    gc.freeze()
    db = schema_url(args.pg, args.schema)
    run = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    record = Recorder(args.out, args.size, commit_of_code(), run, args.prewarm)
    keys_file = data / f"{args.schema}.keys.json"
    if args.reuse and schema_exists(args.pg, args.schema) and keys_file.exists():
        keys = json.loads(keys_file.read_text())
    else:
        with psycopg.connect(args.pg, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{args.schema}" CASCADE')
            conn.execute(f'CREATE SCHEMA "{args.schema}"')
        keys = load(args, db, bundle, record)
        keys_file.write_text(json.dumps(keys))
        with psycopg.connect(args.pg, autocommit=True) as conn:
            conn.execute(f'SET search_path = "{args.schema}"')
            conn.execute("ANALYZE")  # as autovacuum would before long: plans on real statistics
            # And the visibility map of the request tables, as autovacuum would within minutes:
            # without it the dashboard's counts scan the table instead of reading the index alone.
            conn.execute("VACUUM request_readers, request_summaries, request_figures, ledger")
    if args.prewarm:
        prewarm(args.pg, args.schema)
    try:
        measure(args, db, keys, probes, record)
    finally:
        if not args.keep:
            with psycopg.connect(args.pg, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{args.schema}" CASCADE')
            keys_file.unlink(missing_ok=True)
            print(f"schema {args.schema} dropped", file=sys.stderr)
        else:
            print(f"schema kept: {db}", file=sys.stderr)


if __name__ == "__main__":
    main()
