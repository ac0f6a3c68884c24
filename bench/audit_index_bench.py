#!/usr/bin/env python3
"""What the audit trail's index of objects costs PostgreSQL, in three layouts of `audit_objects`
(one row per object served, per record): keyed by (object id, seq), the layout before migration
0026; keyed by (hashtextextended(object id, 0), seq), migration 0026's; and a hash index on the
object id, for comparison. For each: a table of EXISTING rows (ids of indicators, each served
five times), then batches of 5,000 rows (five records of 1,000 objects, as the audit flush
appends a collection's pages) by COPY, in turn with the others; PostgreSQL's backend CPU (from
/proc) and the wall time per 1,000 rows, the index's size; and what reading back the newest 10
records of one object served in every batch reads (rows, by EXPLAIN ANALYZE) in each layout.

usage: audit_index_bench.py [--pg URL] [--existing 1000000] [--batches 40]

Works in a schema of its own, dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

TICK = os.sysconf("SC_CLK_TCK")
HOT = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"

LAYOUTS = {
    "(object id, seq), before 0026": (
        "CREATE TABLE {t} (object_id varchar(300), seq int, PRIMARY KEY (object_id, seq))",
        "SELECT seq FROM {t} WHERE object_id = %s ORDER BY seq DESC LIMIT 10"),
    "(hash of the id, seq), 0026": (
        "CREATE TABLE {t} (object_id varchar(300), seq int); "
        "CREATE INDEX ON {t} ((hashtextextended(object_id, 0)), seq); "
        "CREATE STATISTICS {t}_dependency (dependencies) ON (hashtextextended(object_id, 0)), "
        "object_id FROM {t}",
        "SELECT seq FROM {t} WHERE hashtextextended(object_id, 0) = hashtextextended(%s, 0) "
        "AND object_id = %s ORDER BY seq DESC LIMIT 10"),
    "hash index on the id": (
        "CREATE TABLE {t} (object_id varchar(300), seq int); "
        "CREATE INDEX ON {t} USING hash (object_id)",
        "SELECT seq FROM {t} WHERE object_id = %s ORDER BY seq DESC LIMIT 10"),
}


def backend_cpu(conn: psycopg.Connection[Any]) -> float:
    stat = Path(f"/proc/{conn.info.backend_pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rows_read(plan: dict[str, Any]) -> int:
    own = 0
    if "Scan" in plan["Node Type"]:
        own = (plan["Actual Rows"] + plan.get("Rows Removed by Filter", 0)) * plan["Actual Loops"]
    return own + sum(rows_read(child) for child in plan.get("Plans", []))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--existing", type=int, default=1_000_000)
    parser.add_argument("--batches", type=int, default=40)
    args = parser.parse_args()
    schema = f"audit_index_{uuid.uuid4().hex[:8]}"
    ids = [f"indicator--{uuid.uuid4()}" for _ in range(max(args.existing // 5, 1000))]
    conn = psycopg.connect(args.pg, autocommit=True)
    conn.execute(f'CREATE SCHEMA "{schema}"')
    conn.execute(f'SET search_path = "{schema}"')
    try:
        tables = {}
        for n, (name, (ddl, _)) in enumerate(LAYOUTS.items()):
            table = tables[name] = f"t{n}"
            conn.execute(ddl.format(t=table))
            with conn.cursor().copy(f"COPY {table} (object_id, seq) FROM STDIN") as copy:
                for seq in range(5):
                    for oid in ids:
                        copy.write_row((oid, seq))
            conn.execute(f"ANALYZE {table}")
        conn.execute("CHECKPOINT")
        spent = {name: [0.0, 0.0] for name in LAYOUTS}
        seq = 10
        for _ in range(args.batches):
            rows = []
            for _ in range(5):
                seq += 1
                rows += [(oid, seq) for oid in random.sample(ids, 999)] + [(HOT, seq)]
            for name in random.sample(list(LAYOUTS), len(LAYOUTS)):  # in turn, in any order
                cpu, wall = backend_cpu(conn), time.perf_counter()
                with conn.transaction(), conn.cursor().copy(
                        f"COPY {tables[name]} (object_id, seq) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                spent[name][0] += backend_cpu(conn) - cpu
                spent[name][1] += time.perf_counter() - wall
        for table in tables.values():
            conn.execute(f"ANALYZE {table}")
        per = args.batches * 5  # thousands of rows
        print(f"{args.existing:,} rows before, {args.batches} batches of 5,000 rows appended")
        print("| layout | PostgreSQL CPU ms / 1,000 rows | wall ms / 1,000 rows | index size | "
              "rows read for the newest 10 of an object in every batch |")
        print("|---|---:|---:|---:|---:|")
        for name, (_, query) in LAYOUTS.items():
            table = tables[name]
            size = conn.execute(
                "SELECT pg_size_pretty(sum(pg_relation_size(indexrelid))) FROM pg_index "
                "WHERE indrelid = %s::regclass", (table,)).fetchone()[0]  # type: ignore[index]
            values = (HOT,) * query.count("%s")
            found = conn.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query.format(t=table),
                                 values).fetchone()[0]  # type: ignore[index]
            plan = json.loads(found) if isinstance(found, str) else found
            print(f"| {name} | {1000 * spent[name][0] / per:.2f} | "
                  f"{1000 * spent[name][1] / per:.2f} | {size} | {rows_read(plan[0]['Plan'])} |")
    finally:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()
