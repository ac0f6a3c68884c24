"""Searching a long audit trail: what each kind of search costs.

`PYTHONPATH=src .venv/bin/python bench/audit_search_bench.py [--records 1000000] [--rounds 5]
[--db URL]`: appends `--records` records to a fresh trail (a busy node's mix: 80 % reads by
twenty machine accounts of two parties, 2 % adds, 17.5 % failed authentications of a
password sprayer, a liaison officer's request actions now and then, ten escalations over the
whole trail), then runs each search of the newest 100 (`AuditLog.query`, the code on the
path: run it with an older checkout's `src` to compare) `--rounds` times and prints the
median, the records found and, where the code has it, whether the search stopped at its
bound (store.audit_search.WALKED).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from accord.store.audit_log import AuditLog, AuditQuery
from accord.store.engine import open_engine, upgrade_in, writing
from accord.store.schema import parties, people, tokens
from accord.trust.audit import Event

BATCH = 20_000
MACHINES = [f"token-machine-{n:02d}" for n in range(20)]
LIAISON = "token-li-wei"
MADE = "2026-01-01T00:00:00.000Z"


def _fill(log: AuditLog, count: int) -> None:
    with writing(log.engine) as conn:
        for party in ("identity--us", "identity--cn", "identity--isac"):
            conn.execute(insert(parties).values(id=party, name=party, created=MADE,
                                                is_self=party == "identity--us",
                                                identity=b"{}"))
        conn.execute(insert(people).values(id="li-wei", party_id="identity--cn", name="Li Wei",
                                           kind="person", created=MADE))
        conn.execute(insert(tokens).values(id=LIAISON, party_id="identity--cn",
                                           digest="digest-li", role="liaison", created=MADE,
                                           person_id="li-wei"))
    rng = random.Random(2015)
    escalations = {count * k // 10 + 5 for k in range(10)}
    for start in range(0, count, BATCH):
        events = []
        for n in range(start, min(count, start + BATCH)):
            second = n * 30  # a record every thirty seconds: a million, eleven months
            at = (f"2026-{1 + second // 2_592_000:02d}-{1 + second // 86_400 % 30:02d}T"
                  f"{second // 3600 % 24:02d}:{second // 60 % 60:02d}:{second % 60:02d}.000Z")
            roll = rng.random()
            if n in escalations:
                events.append(Event(at, "request.escalate", "identity--cn", LIAISON, None,
                                    (f"x-accord-request--{n}",)))
            elif roll < 0.80:
                events.append(Event(at, "objects.read",
                                    "identity--us" if roll < 0.60 else "identity--isac",
                                    rng.choice(MACHINES), "collection-1",
                                    tuple(f"indicator--{rng.randrange(100_000)}"
                                          for _ in range(rng.choice((1, 1, 1, 50))))))
            elif roll < 0.82:
                events.append(Event(at, "objects.add", "identity--us", rng.choice(MACHINES),
                                    "collection-1", (f"indicator--{n}",)))
            elif roll < 0.995:
                events.append(Event(at, "auth.refused", None, None, None, (),
                                    {"address": "203.0.113.9"}))
            else:
                events.append(Event(at, rng.choice(("request.send", "request.answer")),
                                    "identity--cn", LIAISON, None,
                                    (f"x-accord-request--{n}",)))
        log.append(events)


SEARCHES = {
    "the newest": AuditQuery(),
    "a rare action (request.escalate: 10)": AuditQuery(action="request.escalate"),
    "a family of actions (request)": AuditQuery(action="request"),
    "failed authentications (auth)": AuditQuery(action="auth"),
    "a person (a liaison officer)": AuditQuery(person_id="li-wei"),
    "a party (its 0.5 %)": AuditQuery(party_id="identity--cn"),
    "a party reading, which it never does": AuditQuery(party_id="identity--cn",
                                                       action="objects.read"),
    "two large criteria no record meets": AuditQuery(party_id="identity--isac",
                                                     action="auth"),
    "an object": AuditQuery(object_id="indicator--4242"),
    "a day long ago": AuditQuery(since="2026-01-02T00:00:00.000Z",
                                 until="2026-01-02T23:59:59.999Z"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file in /tmp)")
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory(prefix="accord-audit-search-")
    engine = open_engine(args.db or str(Path(scratch.name) / "audit.db"))
    with writing(engine) as conn:
        upgrade_in(conn, "head")
    log = AuditLog(engine)
    began = time.perf_counter()
    _fill(log, args.records)
    log.index_new()  # as a serving node does behind the trail (migration 0035)
    print(f"{args.records:,} records appended and indexed in "
          f"{time.perf_counter() - began:.1f} s")
    for name, query in SEARCHES.items():
        times = []
        for _ in range(args.rounds):
            t = time.perf_counter()
            found = log.query(query)
            times.append((time.perf_counter() - t) * 1000)
        stopped = log.search(query).stopped if hasattr(log, "search") else None
        print(json.dumps({"search": name, "median_ms": round(statistics.median(times), 2),
                          "found": len(found), "stopped": stopped}))
    engine.dispose()


if __name__ == "__main__":
    main()
