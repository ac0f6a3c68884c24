#!/usr/bin/env python3
"""Words searched in the requests list of a party in 50,000 requests among 100,000.

`--fill` stores `review_bench.generate_ledgers` (as review_store_bench.fill does) with summaries
that hold a few selective words: each its own host ("beacon to host-000123"), one in 500
"钓鱼邮件" (a phishing mail), one in 1,000 "Hafenstraße"; every one "synthetic request". Then,
filled or not, times `/ui/requests?q=WORDS` served in process for US-CERT (the party in the
most requests), the server's time (Server-Timing), median of --rounds, and the total found.

The same database measures two checkouts: fill it with the code before (PYTHONPATH at that
checkout's src), then run this again without --fill on the code after: opening the node
migrates it (timed), and the same pages are measured.

usage: request_search_bench.py --db URL [--fill] [--count 100000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).parent))
from dashboard_bench import sign_in  # noqa: E402
from review_bench import NOW, PARTIES  # noqa: E402
from review_store_bench import store_ledgers  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from accord import clock  # noqa: E402
from accord.app import create_app  # noqa: E402
from accord.cooperation.desk import Desk  # noqa: E402
from accord.cooperation.model import Request  # noqa: E402
from accord.node import initialise, open_node  # noqa: E402

os.environ.setdefault("ACCORD_SERVER_TIMING", "1")
TOTAL = re.compile(r"([\d,]+) requests?[.,]")
PARTY = next(iter(PARTIES))  # US-CERT
# Needles: one request's host, a rare Chinese word (4 characters: the index; 2: a scan), a
# word folded as Python folds it, every request's word, nothing, the other party's name.
NEEDLES = ("host-01234", "钓鱼邮件", "钓鱼", "STRASSE", "synthetic", "ransomware", "CNCERT")


def worded(number: int, request: Request) -> Request:
    summary = f"synthetic request: beacon to host-{number:06d}"
    if number % 500 == 0:
        summary += ", 冒充部委的钓鱼邮件"
    if number % 1000 == 0:
        summary += ", Hafenstraße 7"
    return replace(request, summary=summary)


def report(phase: str, **figures: object) -> None:
    print(json.dumps({"phase": phase, **figures}, ensure_ascii=False), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--fill", action="store_true")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    node = open_node(args.db)
    report("opened", migrated_from=node.migrated_from,
           seconds=round(time.perf_counter() - started, 1))
    if args.fill:
        started = time.perf_counter()
        initialise(node, "Bench node")
        _, stored = store_ledgers(node, args.count, worded)
        report("store", requests=args.count, objects=stored,
               seconds=round(time.perf_counter() - started, 1))
    if node.engine.dialect.name != "sqlite":
        # As autovacuum leaves the tables after a bulk load; this schema's tables alone.
        with node.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for (name,) in conn.exec_driver_sql(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                    "AND starts_with(tablename, 'request_')").all():
                conn.exec_driver_sql(f'VACUUM ANALYZE "{name}"')
    clock.now = lambda: NOW
    desk = Desk(node, clock=lambda: NOW)
    desk.admit(desk.collection(), list(PARTIES))  # as the desk does when a request names them
    party = node.directory.party(PARTY)
    token = node.directory.create_token(party, role="liaison", name="Bench officer")
    with TestClient(create_app(node), base_url="http://testserver") as client:
        sign_in(client, token)
        for needle in NEEDLES:
            path = f"/ui/requests?q={quote(needle)}"
            first = client.get(path)  # warm-up: templates compiled, statements prepared
            found = TOTAL.search(first.text)
            server = []
            for _ in range(args.rounds):
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
                server.append(float(response.headers["server-timing"].split("dur=")[1]))
            report(f"q={needle}", backend=node.engine.dialect.name,
                   found=found.group(1) if found else "0",
                   server_ms_median=round(statistics.median(server), 1),
                   server_ms_min=round(min(server), 1))
    node.engine.dispose()


if __name__ == "__main__":
    main()
