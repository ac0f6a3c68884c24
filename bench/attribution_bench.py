#!/usr/bin/env python3
"""The disputed-attribution view of one subject with 50 claims and 500 positions: server time
of the web page (its Server-Timing header) and of the REST view, against the issue's bar of
100 ms.

Builds a node in a temporary SQLite file (or --db URL): ten parties, the subject, ten actors,
then 50 claims spread over the parties and 500 positions on them, all through the attribution
record as the CLI and the web UI make them. Then serves the node's app in-process and fetches
`/ui/attribution/SUBJECT` and `/api/v1/attribution/SUBJECT` ROUNDS times each.

With --others N, the record also holds N claims on N other subjects with 10 positions each
(stored in batches, as a node that has kept its record for years would hold them), and the
time to take one more position through the record is measured too.

With --flood N, N more claims (10 positions each) on the subject itself.

usage: attribution_bench.py [--db URL] [--rounds N] [--others N] [--flood N]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
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

# The pages say how long the server took (web.core.finish), for every viewer here.
os.environ.setdefault("ACCORD_SERVER_TIMING", "1")

SUBJECT = "campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2015, 9, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def others(node, parties, actors, count: int,  # type: ignore[no-untyped-def]
           subject: str | None = None) -> None:
    """`count` claims on as many other subjects (or all on `subject`), 10 positions each,
    stored 500 claims at a time as the record stores them (marked for every party)."""
    from accord.attribution.model import Claim, Position
    from accord.attribution.objects import claim_to_stix, position_to_stix
    from accord.attribution.record import _marked
    from accord.intake import screen

    record = AttributionRecord(node)
    collection = record.desk.collection()
    ids = [p.id for p in parties]
    record.desk.admit(collection, ids)
    when = datetime(2014, 1, 1, tzinfo=UTC)
    for start in range(0, count, 500):
        made = []
        for n in range(start, min(count, start + 500)):
            claimant = ids[n % len(ids)]
            claim = Claim(f"x-accord-claim--{uuid.UUID(int=n + 1, version=4)}", claimant,
                          when, subject or f"campaign--{uuid.UUID(int=n + 1, version=4)}",
                          (actors[n % len(actors)],), None, ("technical-forensics",), 50,
                          f"Other claim {n}.", ())
            made.append(_marked(claim_to_stix(claim), claimant,
                                [i for i in ids if i != claimant]))
            for k in range(10):
                party = ids[(n + k + 1) % len(ids)]
                position = Position(f"opinion--{uuid.uuid4()}", party,
                                    when + timedelta(minutes=k + 1), claim.id,
                                    POSITIONS[k % len(POSITIONS)], f"Position {k}.")
                made.append(_marked(position_to_stix(position), party,
                                    [i for i in ids if i != party]))
        screened = screen(made)
        assert not screened.rejected, screened.rejected[:1]
        report = store(node.engine, collection, screened, party_id=None, operator=True)
        assert not report.rejected, report.rejected[:1]


def build(db: str, count: int, flood: int = 0) -> tuple[object, str]:
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
    others(node, parties, actors, count)
    if flood:
        others(node, parties, actors, flood, SUBJECT)
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
    parser.add_argument("--others", type=int, default=0,
                        help="claims on other subjects, 10 positions each")
    parser.add_argument("--flood", type=int, default=0,
                        help="more claims on the subject itself, 10 positions each (a party "
                             "burying the subject's view)")
    args = parser.parse_args()
    db = args.db or str(Path(tempfile.mkdtemp(prefix="accord-attribution-bench-")) / "a.db")
    started = time.perf_counter()
    node, admin = build(db, args.others, args.flood)
    if args.profile:
        import cProfile

        actor = Actor(node.directory.party("Party 3"))
        cProfile.runctx("AttributionRecord(node).subject(actor, SUBJECT); "
                        "AttributionRecord(node).names(actor)", globals(), locals(),
                        sort="cumulative")
    print(f"built 50 claims and 500 positions (and {args.others} claims elsewhere) in "
          f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
    # As `accord serve` does before it serves: what the build left in memory is not walked
    # by every full collection of the views measured below.
    gc.collect()
    gc.freeze()
    record, pick = AttributionRecord(node), random.Random(7)
    claims = [s.claim.id for s in record.subject(Actor(node.directory.party("Party 0")),
                                                  SUBJECT).claims]
    times = []
    for n in range(args.rounds):
        actor = Actor(node.directory.party(f"Party {1 + n % 9}"))
        begun = time.perf_counter()
        record.respond(actor, pick.choice(claims), pick.choice(POSITIONS), f"Later {n}.")
        times.append((time.perf_counter() - begun) * 1000)
    p95 = statistics.quantiles(times, n=20, method="inclusive")[-1]
    print(f"{'one more position':28} p50 {statistics.median(times):6.1f} ms  "
          f"p95 {p95:6.1f} ms  max {max(times):6.1f} ms")
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
            p95 = statistics.quantiles(times, n=20, method="inclusive")[-1]
            print(f"{path.split('/attribution/')[0] + '/attribution/…':28} "
                  f"p50 {statistics.median(times):6.1f} ms  p95 {p95:6.1f} ms  "
                  f"max {max(times):6.1f} ms  (bar: 100 ms)")


if __name__ == "__main__":
    main()
