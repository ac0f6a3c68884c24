#!/usr/bin/env python3
"""The dashboard of a party with ~20,000 running requests, and the review of 100,000.

Fills a node with `review_bench.generate_ledgers` (N requests and their ledgers, stored as the
desk would: review_store_bench.fill), on SQLite (a file in /tmp) or PostgreSQL (--pg: a fresh
schema, dropped at the end). Then times, for the party with the most requests (US-CERT):
- the dashboard's read before the summaries (every ledger of the party derived: Desk.search),
- the dashboard's reads from the summaries (counts per state, first rows of each list),
- the whole dashboard page and the first and second page of the requests list, served in
  process (Server-Timing: the server's time; the client's wait besides),
- the summaries' check and rebuild against the whole ledger,
- the whole `accord review --format json` command of the generator's period.

usage: dashboard_bench.py [--count 100000] [--pg] [--rounds 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from review_bench import NOW, PARTIES, PERIOD_END, PERIOD_START  # noqa: E402
from review_store_bench import fill  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from accord import clock  # noqa: E402
from accord.app import create_app  # noqa: E402
from accord.cooperation.desk import Actor, Desk  # noqa: E402
from accord.node import open_node  # noqa: E402
from accord.store.summaries import check, rebuild  # noqa: E402
from accord.store.summary_reads import SummaryReads  # noqa: E402

# The pages say how long the server took (web.core.finish), for every viewer here.
os.environ.setdefault("ACCORD_SERVER_TIMING", "1")

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PARTY = next(iter(PARTIES))  # US-CERT: in about half of the requests


@contextmanager
def database(pg: bool) -> Iterator[str]:
    if not pg:
        with tempfile.TemporaryDirectory(prefix="accord-dashboard-") as scratch:
            yield str(Path(scratch) / "bench.db")
        return
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_ADMIN}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def best(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    timings, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        timings.append(time.perf_counter() - started)
    return min(timings), result


def sign_in(client: TestClient, token: str) -> None:
    """Sign the client in to the web UI with `token` (also used by request_search_bench)."""
    form = client.get("/ui/sign-in")
    done = client.post("/ui/sign-in", data={
        "token": token, "next": "/ui/", "csrf": CSRF.search(form.text).group(1)},
        follow_redirects=False)
    assert done.status_code == 303, done.text[:300]


def report(phase: str, **figures: Any) -> None:
    print(json.dumps({"phase": phase, **figures}), flush=True)


def pages(client: TestClient, paths: list[str], rounds: int) -> None:
    for path in paths:
        client.get(path)  # warm-up: templates compiled, statements prepared
        server, waited = [], []
        cpu = time.process_time()  # this process's: the server's Python and the test client
        for _ in range(rounds):
            started = time.perf_counter()
            response = client.get(path)
            waited.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
            server.append(float(response.headers["server-timing"].split("dur=")[1]))
        report(f"page {path}", server_ms_median=round(statistics.median(server), 1),
               server_ms_p95=round(sorted(server)[int(0.95 * (len(server) - 1))], 1),
               waited_ms_median=round(statistics.median(waited), 1),
               process_cpu_ms_mean=round((time.process_time() - cpu) * 1000 / rounds, 1))


def main() -> None:
    # Stopped (SIGTERM), still drop the PostgreSQL schema: the `finally` below runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL at 127.0.0.1:5432/test")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", action="store_true",
                        help="also time the dashboard's read before the summaries (slow)")
    parser.add_argument("--dashboard-only", action="store_true",
                        help="leave out the check, the rebuild and the review")
    args = parser.parse_args()
    with database(args.pg) as db:
        node = open_node(db)
        stored, seconds = fill(node, args.count)
        report("store", backend="postgresql" if args.pg else "sqlite", requests=args.count,
               objects=stored, seconds=round(seconds, 1))
        if args.pg:
            # As autovacuum leaves a table after a bulk load: planner statistics, and the
            # visibility map that lets counts be read from an index alone.
            with node.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                # This schema's tables alone, not the whole database's.
                conn.exec_driver_sql("VACUUM ANALYZE objects, ledger, recipients, "
                                     "request_summaries, request_readers")
        clock.now = lambda: NOW  # the generator's "now": its requests run as of then
        party = node.directory.party(PARTY)
        desk = Desk(node, clock=lambda: NOW)
        desk.admit(desk.collection(), list(PARTIES))
        reads = SummaryReads(node.engine)
        counts = reads.counts(PARTY, NOW)
        report("party", requests=sum(counts.by_state.values()),
               running=counts.incoming + counts.outgoing, by_state=counts.by_state)
        if args.before:
            took, views = best(1, lambda: desk.search(
                Actor(party), without=("x-accord-rating", "x-accord-withdrawal")))
            report("before: the dashboard's read (Desk.search, still running)",
                   ledgers=len(views), seconds=round(took, 3))

        def summary_reads() -> None:
            reads.dashboard(PARTY, NOW, limit=25)

        took, _ = best(args.repeat * 3, summary_reads)
        report("after: the dashboard's reads (counts, needs, incoming, outgoing)",
               ms=round(took * 1000, 1))
        token = node.directory.create_token(party, role="liaison", name="Bench officer")
        with TestClient(create_app(node), base_url="http://testserver") as client:
            sign_in(client, token)
            first = client.get("/ui/requests").text
            following = re.search(r'href="(/ui/requests\?after=[^"]+)" rel="next"', first)
            paths = ["/ui/", "/ui/requests"]
            if following:
                paths.append(following.group(1).replace("&amp;", "&"))
            # The list searched for words: every request's summary says "synthetic request";
            # none says "ransomware".
            paths += ["/ui/requests?q=synthetic", "/ui/requests?q=ransomware"]
            pages(client, paths, args.rounds)
        if args.dashboard_only:
            node.engine.dispose()
            return
        took, problems = best(1, lambda: check(node.engine))
        report("summaries checked against the ledger", seconds=round(took, 2),
               problems=len(problems))
        took, rebuilt = best(1, lambda: rebuild(node.engine))
        report("summaries rebuilt from the ledger", seconds=round(took, 2), requests=rebuilt)
        node.engine.dispose()
        accord = Path(sys.executable).parent / "accord"
        command = [str(accord), "review", "--from", PERIOD_START.date().isoformat(),
                   "--to", PERIOD_END.date().isoformat(), "--format", "json", "--db", db]
        timings = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            done_ = subprocess.run(command, capture_output=True)
            timings.append(time.perf_counter() - started)
            assert done_.returncode == 0, done_.stderr.decode()
        report("accord review --format json (whole command)", best_s=round(min(timings), 3),
               all_s=[round(t, 2) for t in timings])


if __name__ == "__main__":
    main()
