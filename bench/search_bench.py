#!/usr/bin/env python3
"""Search by name and an object's relationships at scale: ATT&CK Enterprise plus N generated
indicators, each with a relationship to an ATT&CK group or piece of software, then timed
searches and relationship reads through store.browse (what the web UI's search and object pages
call), as a partner party that may read the collection.

One indicator in ten is TLP:RED (the partner may not read it): every read applies the
entitlement rule. The same script measures any checkout: run it with PYTHONPATH pointing at
the code to measure (before: the LIKE over bodies; after: the search index of migration 0018).

usage: search_bench.py [--count 200000] [--samples 20] [--db URL] [--attack FILE] [--explain]
                       [--reuse]
Prints JSON lines, a markdown table, and with --explain (PostgreSQL) the EXPLAIN (ANALYZE,
BUFFERS) of the statement that a search and a relationship read run. --reuse measures a
database an earlier run filled (--db) instead of filling it again.

The needles span how common a word is and where its names are: a name, an external id, a word
of a few names, one indicator's name, a value PostgreSQL's statistics hold (its histogram: the
planner once took it for a common word and walked every name), words in one indicator's name
in 90 and in 9 (all among the oldest: "generated 12", "generated 1"), every indicator's,
nothing, three letters and two.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event

from accord.node import initialise, open_node
from accord.store.browse import Browse
from accord.store.directory import Grant
from accord.trust.markings import MARKING_FOR, Tlp

BATCH = 10_000
ATTACK = Path(__file__).resolve().parents[2] / "shared/data/attack/enterprise-attack-18.1.json"
T0 = "2020-01-01T00:00:00.000Z"


def generated(n: int, targets: list[str], creator: str, rnd: random.Random
              ) -> list[dict[str, Any]]:
    """Indicator n (one in ten RED) and, for every other one, a relationship to a target."""
    marking = [MARKING_FOR[Tlp.RED]] if n % 10 == 0 else []
    indicator = {"type": "indicator", "spec_version": "2.1",
                 "id": f"indicator--{uuid.UUID(int=rnd.getrandbits(128), version=4)}",
                 "created": T0, "modified": T0, "created_by_ref": creator,
                 "name": f"generated {n}", "pattern": f"[ipv4-addr:value = '10.{n >> 16 & 255}."
                                                      f"{n >> 8 & 255}.{n & 255}']",
                 "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z",
                 "object_marking_refs": marking}
    if n % 2:
        return [indicator]
    link = {"type": "relationship", "spec_version": "2.1",
            "id": f"relationship--{uuid.UUID(int=rnd.getrandbits(128), version=4)}",
            "created": T0, "modified": T0, "created_by_ref": creator,
            "relationship_type": "indicates", "source_ref": indicator["id"],
            "target_ref": rnd.choice(targets), "object_marking_refs": marking}
    return [indicator, link]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(samples: int, read: Any) -> tuple[float, float, int]:
    """p50 and p95 in ms of `read()`, and how many it found."""
    found = read()  # warm
    spans = []
    for _ in range(samples):
        t = time.perf_counter()
        read()
        spans.append(time.perf_counter() - t)
    return (round(statistics.median(spans) * 1000, 2), round(pct(spans, 95) * 1000, 2),
            len(found))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200_000, help="generated indicators")
    parser.add_argument("--samples", type=int, default=20, help="timed runs of each read")
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file in /tmp)")
    parser.add_argument("--attack", type=Path, default=ATTACK, help="ATT&CK bundle to load")
    parser.add_argument("--explain", action="store_true",
                        help="print EXPLAIN (ANALYZE, BUFFERS) of each read (PostgreSQL)")
    parser.add_argument("--reuse", action="store_true",
                        help="measure what an earlier run stored in --db (no loading)")
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory(prefix="accord-search-")
    node = open_node(args.db or str(Path(scratch.name) / "search.db"))
    attack = [o for o in orjson.loads(args.attack.read_bytes())["objects"]
              if not o.get("revoked") and not o.get("x_mitre_deprecated")]
    targets = [o["id"] for o in attack if o["type"] in ("intrusion-set", "malware", "tool")]
    if args.reuse:
        partner = node.directory.party("Partner")
        out = {"bench": "search", "backend": node.engine.dialect.name, "reused": args.db}
    else:
        out = load(node, args.count, attack, targets)
        partner = node.directory.party("Partner")
    print(json.dumps(out), flush=True)
    measure(node, args, partner.id, attack, targets)
    node.engine.dispose()
    scratch.cleanup()


def load(node: Any, count: int, attack: list[dict[str, Any]], targets: list[str]
         ) -> dict[str, Any]:
    """Store ATT&CK and `count` generated indicators, readable by a party "Partner"."""
    own, _ = initialise(node, "Bench")
    partner = node.directory.add_party("Partner")
    collection = node.directory.collection("evidence")
    node.directory.grant(collection.id, partner, Grant(can_read=True, can_write=False))
    rnd = random.Random(7)
    loaded, load_s = 0, 0.0
    batches = [attack[i:i + BATCH] for i in range(0, len(attack), BATCH)]
    for start in range(0, count, BATCH // 2):
        batches.append([o for n in range(start, min(count, start + BATCH // 2))
                        for o in generated(n, targets, own.id, rnd)])
    for batch in batches:
        t = time.perf_counter()
        node.objects.add(collection.id, batch, poster_id=own.id)
        load_s += time.perf_counter() - t
        loaded += len(batch)
    if node.engine.dialect.name == "postgresql":
        with node.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")  # as autovacuum soon would: the reads then plan
    return {"bench": "search", "backend": node.engine.dialect.name, "objects": loaded,
            "load_s": round(load_s, 1), "load_per_s": round(loaded / load_s)}


def in_histogram(node: Any) -> str:
    """An indicator's name PostgreSQL's statistics of the names hold (the middle one of its
    histogram's); on SQLite, one of the same kind."""
    if node.engine.dialect.name != "postgresql":
        return "generated 500001"
    with node.engine.connect() as conn:
        bounds = conn.exec_driver_sql(
            "SELECT histogram_bounds::text::text[] FROM pg_stats WHERE schemaname = "
            "current_schema() AND tablename = 'object_names' AND attname = 'text'").scalar()
    named = [b for b in bounds or [] if b.startswith("generated ")]
    return named[len(named) // 2] if named else "generated 500001"


def measure(node: Any, args: Any, reader: str, attack: list[dict[str, Any]],
            targets: list[str]) -> None:
    by_name = {o.get("name"): o["id"] for o in attack}
    busiest = max(targets, key=lambda t: sum(1 for o in attack if o.get("target_ref") == t))
    browse = Browse(node.engine)
    held = in_histogram(node)
    reads = [
        ("search `APT19` (a group's name)", lambda: browse.search(reader, "APT19")),
        ("search `t1059` (an external id, lower case)", lambda: browse.search(reader, "t1059")),
        ("search `Cobalt` (a word of several names)", lambda: browse.search(reader, "Cobalt")),
        ("search `generated 123457` (one of the indicators)",
         lambda: browse.search(reader, "generated 123457")),
        (f"search `{held}` (one name, in the statistics' histogram)",
         lambda: browse.search(reader, held)),
        ("search `generated 12` (1 indicator in 90, all among the oldest)",
         lambda: browse.search(reader, "generated 12")),
        ("search `generated 1` (1 indicator in 9, all among the oldest)",
         lambda: browse.search(reader, "generated 1")),
        ("search `generated` (every indicator: the worst case)",
         lambda: browse.search(reader, "generated")),
        ("search `zqxj` (nothing)", lambda: browse.search(reader, "zqxj")),
        ("search `apt` (three letters)", lambda: browse.search(reader, "apt")),
        ("search `ap` (two letters: no trigram)", lambda: browse.search(reader, "ap")),
        ("relationships of T1059 (ATT&CK's own)",
         lambda: browse.relationships(reader, by_name["Command and Scripting Interpreter"])),
        ("relationships of the busiest group or software",
         lambda: browse.relationships(reader, busiest)),
    ]
    rows = []
    for label, read in reads:
        p50, p95, found = timed(args.samples, read)
        rows.append((label, p50, p95, found))
        print(json.dumps({"read": label, "p50_ms": p50, "p95_ms": p95, "found": found}),
              flush=True)
    print("\n| read | found | p50 | p95 |\n|---|---|---|---|")
    for label, p50, p95, found in rows:
        print(f"| {label} | {found} | {p50} ms | {p95} ms |")
    if args.explain and node.engine.dialect.name == "postgresql":
        explain(node.engine, [
            ("search `APT19`", lambda: browse.search(reader, "APT19")),
            (f"search `{held}`", lambda: browse.search(reader, held)),
            ("search `generated 12`", lambda: browse.search(reader, "generated 12")),
            ("search `generated`", lambda: browse.search(reader, "generated")),
            ("relationships of the busiest group or software",
             lambda: browse.relationships(reader, busiest))])


def explain(engine: Any, reads: list[tuple[str, Any]]) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the slowest statement each read sends."""
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    for label, read in reads:
        event.listen(engine, "before_cursor_execute", record)
        sent.clear()
        read()
        event.remove(engine, "before_cursor_execute", record)
        plans = []
        with engine.connect() as conn:
            for statement, parameters in sent:
                plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement,
                                            parameters).scalars().all()
                took = float(plan[-1].split(":")[1].split()[0])  # "Execution Time: 1.2 ms"
                plans.append((took, statement, parameters, plan))
        _, statement, parameters, plan = max(plans, key=lambda p: p[0])
        print(f"\n### {label}\n\n```sql\n{statement}\n```\nparameters: {parameters}\n\n```")
        print("\n".join(plan))
        print("```")


if __name__ == "__main__":
    main()
