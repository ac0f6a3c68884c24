#!/usr/bin/env python3
"""Does partitioning pay for Accord's two largest PostgreSQL tables? Measured, not assumed.

Issue 14 asks for partitioning "where it pays (e.g. the audit trail and object versions by
time or collection — measure first)". This builds each table at --rows rows in a scratch
schema, once as Accord has it and once partitioned, and times the statements Accord runs on
it, prepared as Accord prepares them (store.direct), one after another on one connection:

  objects   plain | by month of date_added (RANGE) | by collection (HASH, 8 partitions)
            an object by id · a page of 1,000 after a cursor · match[type] first page ·
            added_after the newest 10,000 · COPY of 100,000 new versions
  audit     plain | by month of `at` (RANGE)
            the head of the chain · one party's newest 50 · a day's records · COPY of
            100,000 records · reading the chain in order (what `accord audit verify` reads)

The tables have Accord's columns and indexes (migrations 0001–0027); a partitioned table
must carry its partition key in every unique index, so `(collection_id, id, version_key)`
becomes `(…, date_added)` when partitioned by time: the index no longer holds one row per
object version, which the store relies on (each version is stored once). The data: 40
collections of which one holds half the rows (a national CERT's feed beside partners' small
ones), types drawn as in an indicator feed, date_added over 36 months, bodies of 600 bytes.

Prints a Markdown table (p50 and p99 in ms per statement, rows/s for COPY) and appends one
JSON line per variant to --out.

usage: partition_bench.py [--pg URL] [--rows 2000000] [--samples 2000] [--out FILE.jsonl]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

HERE = Path(__file__).resolve().parent
SCHEMA = f"partition_bench_{os.getpid()}"  # two runs at once never share their tables
MONTHS = 36
START = (2024, 1)
COLLECTIONS = [f"collection-{n:02d}" for n in range(40)]
TYPES = (["indicator"] * 70 + ["observed-data"] * 10 + ["relationship"] * 8 + ["malware"] * 4
         + ["report"] * 4 + ["intrusion-set"] + ["attack-pattern"] * 2 + ["identity"])

OBJECT_COLUMNS = """seq integer NOT NULL, collection_id varchar(40) NOT NULL,
    id varchar(300) NOT NULL, type varchar(250) NOT NULL, spec_version varchar(10) NOT NULL,
    version varchar(40) NOT NULL, version_key varchar(60) NOT NULL,
    date_added varchar(40) NOT NULL, is_latest boolean NOT NULL, body bytea NOT NULL,
    tlp integer, creator_id varchar(300), poster_id varchar(100)"""
AUDIT_COLUMNS = """seq integer NOT NULL, at varchar(40) NOT NULL, action varchar(60) NOT NULL,
    party_id varchar(100), token_id varchar(40), collection_id varchar(40),
    object_ids bytea NOT NULL, detail bytea NOT NULL, prev_hash varchar(64) NOT NULL,
    hash varchar(64) NOT NULL"""


def month_start(k: int) -> str:
    year, month = START[0] + (START[1] - 1 + k) // 12, (START[1] - 1 + k) % 12 + 1
    return f"{year:04d}-{month:02d}-01T00:00:00.000000Z"


def month_ranges() -> Iterator[tuple[int, str, str]]:
    for k in range(MONTHS + 1):  # one more month: where the new rows of the COPY go
        yield k, month_start(k), month_start(k + 1)


# date_added of row n of `rows`: spread evenly over the 36 months, in seq order, as Accord
# stamps them (one process, strictly increasing). SQL and Python agree on it.
def stamp_sql(rows: int) -> str:
    return (f"to_char(timestamp '2024-01-01' + (n::float8 / {rows}) * interval '1095 days', "
            "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")


def by_month(conn: psycopg.Connection, table: str, columns: str, key: str) -> None:
    """`table` partitioned by RANGE of `key`, one partition a month."""
    conn.execute(f"CREATE TABLE {table} ({columns}) PARTITION BY RANGE ({key})")
    for k, low, high in month_ranges():
        conn.execute(f"CREATE TABLE {table}_m{k:02d} PARTITION OF {table} "
                     f"FOR VALUES FROM ('{low}') TO ('{high}')")


def build_objects(conn: psycopg.Connection, variant: str, rows: int) -> None:
    conn.execute("DROP TABLE IF EXISTS objects")
    if variant == "plain":
        conn.execute(f"CREATE TABLE objects ({OBJECT_COLUMNS})")
    elif variant == "by month":
        by_month(conn, "objects", OBJECT_COLUMNS, "date_added")
    else:
        conn.execute(f"CREATE TABLE objects ({OBJECT_COLUMNS}) PARTITION BY HASH "
                     "(collection_id)")
        for k in range(8):
            conn.execute(f"CREATE TABLE objects_h{k} PARTITION OF objects "
                         f"FOR VALUES WITH (MODULUS 8, REMAINDER {k})")
    # One collection holds half the rows; the other 39 share the rest.
    conn.execute(f"""
        INSERT INTO objects
        SELECT n, CASE WHEN n % 2 = 0 THEN 'collection-00'
                       ELSE 'collection-' || lpad((1 + n % 39)::text, 2, '0') END,
               t.type || '--' || md5(n::text)::uuid, t.type, '2.1', {stamp_sql(rows)},
               {stamp_sql(rows)}, {stamp_sql(rows)}, true,
               convert_to(repeat(md5(n::text), 19), 'UTF8'), NULL, NULL, NULL
        FROM generate_series(1, {rows}) AS n,
             LATERAL (SELECT (ARRAY{TYPES!r})[1 + (n::bigint * 7919) % {len(TYPES)}]
                      AS type) AS t""")
    # Every unique index of a partitioned table holds its partition key.
    key = {"plain": "seq", "by month": "seq, date_added", "by collection": "seq, collection_id"}
    unique_tail = ", date_added" if variant == "by month" else ""
    conn.execute(f"ALTER TABLE objects ADD PRIMARY KEY ({key[variant]})")
    conn.execute("CREATE UNIQUE INDEX ix_objects_paging ON objects (collection_id, date_added)")
    conn.execute("CREATE INDEX ix_objects_type ON objects (collection_id, type, date_added)")
    conn.execute(f"CREATE UNIQUE INDEX uq_object_version ON objects (collection_id, id, "
                 f"version_key{unique_tail})")
    conn.execute("VACUUM ANALYZE objects")


def build_audit(conn: psycopg.Connection, variant: str, rows: int) -> None:
    conn.execute("DROP TABLE IF EXISTS audit")
    if variant == "plain":
        conn.execute(f"CREATE TABLE audit ({AUDIT_COLUMNS})")
    else:
        by_month(conn, "audit", AUDIT_COLUMNS, "at")
    conn.execute(f"""
        INSERT INTO audit
        SELECT n, {stamp_sql(rows)}, 'objects.get', 'identity--party-' || (n % 50),
               'token-' || (n % 200), 'collection-00', '[]'::bytea, '{{}}'::bytea,
               md5((n - 1)::text) || md5((n - 1)::text), md5(n::text) || md5(n::text)
        FROM generate_series(1, {rows}) AS n""")
    conn.execute("ALTER TABLE audit ADD PRIMARY KEY " + ("(seq)" if variant == "plain"
                                                         else "(seq, at)"))
    conn.execute("CREATE INDEX ix_audit_at ON audit (at)")
    conn.execute("CREATE INDEX ix_audit_party ON audit (party_id, seq)")
    conn.execute("VACUUM ANALYZE audit")


def timed(conn: psycopg.Connection, sql: str, params: Callable[[int], tuple[Any, ...]],
          samples: int) -> dict[str, float]:
    """p50 and p99 in ms of `sql`, prepared (as store.direct runs Accord's reads)."""
    for n in range(10):  # prepared, plans chosen, caches warm
        conn.execute(sql, params(n), prepare=True).fetchall()
    took = []
    for n in range(samples):
        started = time.perf_counter()
        conn.execute(sql, params(n), prepare=True).fetchall()
        took.append(time.perf_counter() - started)
    took.sort()
    return {"p50_ms": round(statistics.median(took) * 1000, 3),
            "p99_ms": round(took[int(len(took) * 0.99) - 1] * 1000, 3)}


def copy_rate(conn: psycopg.Connection, table: str, columns: str,
              rows: Iterator[tuple[Any, ...]], count: int) -> float:
    started = time.perf_counter()
    with conn.transaction(), conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    return round(count / (time.perf_counter() - started))


def objects_figures(conn: psycopg.Connection, rows: int, samples: int) -> dict[str, Any]:
    pick = random.Random(7)
    seqs = [pick.randrange(1, rows + 1) for _ in range(samples + 10)]
    ids = {seq: conn.execute("SELECT collection_id, id FROM objects WHERE seq = %s",
                             (seq,)).fetchone() for seq in seqs}
    cursors = [conn.execute("SELECT date_added FROM objects WHERE seq = %s AND "
                            "collection_id = 'collection-00'", (s - s % 2,)).fetchone()
               for s in seqs[:200]]
    starts = [c[0] for c in cursors if c]
    newest = conn.execute("SELECT date_added FROM objects WHERE collection_id = "
                          "'collection-00' ORDER BY date_added DESC OFFSET %s LIMIT 1",
                          (min(10_000, rows // 2 - 1),)).fetchone()[0]
    figures: dict[str, Any] = {
        "by id": timed(conn, "SELECT seq, body FROM objects WHERE collection_id = %s AND id = %s "
                             "AND is_latest", lambda n: ids[seqs[n]], samples),
        "page of 1,000": timed(
            conn, "SELECT seq, id, date_added, body FROM objects WHERE collection_id = "
                  "'collection-00' AND date_added > %s ORDER BY date_added LIMIT 1001",
            lambda n: (starts[n % len(starts)],), max(50, samples // 20)),
        "match[type] first page": timed(
            conn, "SELECT seq, id, date_added, body FROM objects WHERE collection_id = %s AND "
                  "type = %s AND is_latest ORDER BY date_added LIMIT 1001",
            lambda n: (COLLECTIONS[n % 3 * 13], ("malware", "report", "intrusion-set")[n % 3]),
            max(50, samples // 10)),
        "added_after, newest 10,000": timed(
            conn, "SELECT seq, id, date_added, body FROM objects WHERE collection_id = "
                  "'collection-00' AND date_added > %s ORDER BY date_added LIMIT 10001",
            lambda n: (newest,), 20),
    }
    # Random ids, as a feed's are: each lands at a random place of the index on (…, id, …).
    new = ((rows + n, "collection-00", f"indicator--{uuid.UUID(int=pick.getrandbits(128))}",
            "indicator", "2.1", f"2027-01-01T00:00:{n / 1e6:09.6f}Z",
            f"2027-01-01T00:00:{n / 1e6:09.6f}Z", f"2027-01-01T00:00:{n / 1e6:09.6f}Z", True,
            b"x" * 600) for n in range(1, 100_001))
    figures["COPY rows/s"] = copy_rate(
        conn, "objects", "seq, collection_id, id, type, spec_version, version, version_key, "
        "date_added, is_latest, body", new, 100_000)
    return figures


def audit_figures(conn: psycopg.Connection, rows: int, samples: int) -> dict[str, Any]:
    day = "2025-06-01T00:00:00.000000Z", "2025-06-02T00:00:00.000000Z"
    figures: dict[str, Any] = {
        "head of the chain": timed(conn, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
                                   lambda n: (), samples),
        "a party's newest 50": timed(
            conn, "SELECT seq, at, action FROM audit WHERE party_id = %s ORDER BY seq DESC "
                  "LIMIT 50", lambda n: (f"identity--party-{n % 50}",), samples),
        "one day's records": timed(
            conn, "SELECT seq, at, action FROM audit WHERE at >= %s AND at < %s ORDER BY at",
            lambda n: day, max(20, samples // 20)),
    }
    started = time.perf_counter()
    with conn.transaction(), conn.cursor(name="chain") as chain:  # in order, as verify reads
        chain.itersize = 10_000
        chain.execute("SELECT seq, prev_hash, hash FROM audit ORDER BY seq")
        for _ in chain:
            pass
    figures["reading the chain, rows/s"] = round(rows / (time.perf_counter() - started))
    new = ((rows + n, f"2027-01-01T00:00:{n / 1e6:09.6f}Z", "objects.get", "identity--party-1",
            "token-1", "collection-00", b"[]", b"{}", "0" * 64, "0" * 64)
           for n in range(1, 100_001))
    figures["COPY rows/s"] = copy_rate(
        conn, "audit", "seq, at, action, party_id, token_id, collection_id, object_ids, detail, "
        "prev_hash, hash", new, 100_000)
    return figures


@contextmanager
def scratch(pg: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        conn.execute(f"CREATE SCHEMA {SCHEMA}")
        conn.execute(f"SET search_path TO {SCHEMA}")
        try:
            yield conn
        finally:
            conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--only", choices=("objects", "audit"))
    parser.add_argument("--out", type=Path, default=HERE / "partition-results.jsonl")
    args = parser.parse_args()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    results: list[dict[str, Any]] = []
    with scratch(args.pg) as conn:
        plans: list[tuple[str, str, Callable[..., None], Callable[..., dict[str, Any]]]] = []
        if args.only != "audit":
            plans += [("objects", v, build_objects, objects_figures)
                      for v in ("plain", "by month", "by collection")]
        if args.only != "objects":
            plans += [("audit", v, build_audit, audit_figures) for v in ("plain", "by month")]
        for table, variant, build, measure in plans:
            started = time.perf_counter()
            build(conn, variant, args.rows)
            built = round(time.perf_counter() - started, 1)
            result = {"run": stamp, "table": table, "variant": variant, "rows": args.rows,
                      "build_s": built, **measure(conn, args.rows, args.samples)}
            print(json.dumps(result), flush=True)
            results.append(result)
            conn.execute(f"DROP TABLE {table}")
    with args.out.open("a") as out:
        for result in results:
            out.write(json.dumps(result) + "\n")
    print(markdown(results))


def markdown(results: list[dict[str, Any]]) -> str:
    lines = []
    for table in ("objects", "audit"):
        mine = [r for r in results if r["table"] == table]
        if not mine:
            continue
        keys = [k for k in mine[0] if k not in ("run", "table", "variant", "rows", "build_s")]
        lines += ["", f"| {table} ({mine[0]['rows']:,} rows) | "
                  + " | ".join(r["variant"] for r in mine) + " |",
                  "|---|" + "---:|" * len(mine)]
        for key in keys:
            cells = [(f"{r[key]['p50_ms']} / {r[key]['p99_ms']}" if isinstance(r[key], dict)
                      else f"{r[key]:,}") for r in mine]
            unit = " p50 / p99 ms" if isinstance(mine[0][key], dict) else ""
            lines.append(f"| {key}{unit} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
