#!/usr/bin/env python3
"""The disputed-attribution view of one subject with 50 claims and 500 positions: server time
of the web page (its Server-Timing header) and of the REST view, against the issue's bar of
100 ms.

Builds a node in a temporary SQLite file (or --db URL): ten parties, the subject, ten actors,
then 50 claims spread over the parties and 500 positions on them, all through the attribution
record as the CLI and the web UI make them. Then serves the node's app in-process and fetches
`/ui/attribution/SUBJECT` and `/api/v1/attribution/SUBJECT` ROUNDS times each.

usage: attribution_bench.py [--db URL] [--rounds N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from starlette.testclient import TestClient

from accord.app import create_app
from accord.attribution.model import POSITIONS
from accord.attribution.record import AttributionRecord, ClaimDraft
from accord.cooperation.desk import Actor
from accord.intake import Screened, store
from accord.node import initialise, open_node
from accord.trust.access import Grant

SUBJECT = "campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2015, 9, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def build(db: str) -> tuple[object, str]:
    node = open_node(db)
    own, admin = initialise(node, "Party 0")
    parties = [own] + [node.directory.add_party(f"Party {n}") for n in range(1, 10)]
    actors = [f"intrusion-set--00000000-0000-4000-8000-{n:012d}" for n in range(10)]
    store(node.engine, node.directory.collection("evidence"), Screened([
        {"type": "campaign", "spec_version": "2.1", "id": SUBJECT, "name": "The subject",
         "created": "2015-06-01T00:00:00.000Z", "modified": "2015-06-01T00:00:00.000Z"},
        *({"type": "intrusion-set", "spec_version": "2.1", "id": a, "name": f"Group {n}",
           "created": "2015-06-01T00:00:00.000Z", "modified": "2015-06-01T00:00:00.000Z"}
          for n, a in enumerate(actors))], []), party_id=own.id, operator=True)
    for party in parties:
        node.directory.grant(node.directory.collection("evidence").id, party, Grant(True, False))
    record = AttributionRecord(node, Clock())
    pick = random.Random(2015)
    claims = []
    for n in range(50):
        party = parties[n % len(parties)]
        made = record.claim(Actor(party), ClaimDraft(
            SUBJECT, (pick.choice(actors),), ("technical-forensics",), pick.randint(10, 95),
            f"Claim {n}: the subject is this group's work.", "CN" if n % 3 else None))
        claims.append(made.claim.id)
    for n in range(500):
        party = parties[pick.randrange(len(parties))]
        record.respond(Actor(party), pick.choice(claims), pick.choice(POSITIONS),
                       f"Position {n}.")
    return node, admin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default=None)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--profile", action="store_true", help="profile one view first")
    args = parser.parse_args()
    db = args.db or str(Path(tempfile.mkdtemp(prefix="accord-attribution-bench-")) / "a.db")
    started = time.perf_counter()
    node, admin = build(db)
    if args.profile:
        import cProfile

        actor = Actor(node.directory.party("Party 3"))
        cProfile.runctx("AttributionRecord(node).subject(actor, SUBJECT); "
                        "AttributionRecord(node).names(actor)", globals(), locals(),
                        sort="cumulative")
    print(f"built 50 claims and 500 positions in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    with TestClient(create_app(node), base_url="http://testserver") as client:
        form = client.get("/ui/sign-in")
        csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
        client.post("/ui/sign-in", data={"token": admin, "next": "/ui/", "csrf": csrf})
        for path, auth in ((f"/ui/attribution/{SUBJECT}", {}),
                           (f"/api/v1/attribution/{SUBJECT}",
                            {"Authorization": f"Bearer {admin}"})):
            client.get(path, headers=auth)  # warm-up
            times = []
            for _ in range(args.rounds):
                begun = time.perf_counter()
                response = client.get(path, headers=auth)
                assert response.status_code == 200, response.text[:300]
                timing = response.headers.get("server-timing")
                times.append(float(timing.split("dur=")[1]) if timing
                             else (time.perf_counter() - begun) * 1000)
            p95 = statistics.quantiles(times, n=20)[-1]
            print(f"{path.split('/attribution/')[0] + '/attribution/…':28} "
                  f"p50 {statistics.median(times):6.1f} ms  p95 {p95:6.1f} ms  "
                  f"max {max(times):6.1f} ms  (bar: 100 ms)")


if __name__ == "__main__":
    main()
