#!/usr/bin/env python3
"""What a first page's bodies cost PostgreSQL and the serving process, and what the ways of
telling PostgreSQL which bodies are held cost (store.body_cache, store.held_bodies).

On a node's PostgreSQL schema (ATT&CK Enterprise imported, say), for the newest versions of
one type in the fullest collection (`--type`, default intrusion-set) and for a page of the
collection's first 1,001 versions: each statement run `--rounds` times, prepared, on one
connection, in PostgreSQL's custom and generic plan modes; the wall time, this process's CPU
and the PostgreSQL backend's CPU (from /proc: run it on the database's machine), per run.

usage: held_bodies_bench.py --db URL [--type intrusion-set] [--rounds 1000]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

import psycopg

_SELECT = ("SELECT seq, id, date_added, version, spec_version, {body} FROM objects "
           "WHERE collection_id = %(c)s AND is_latest AND {where} "
           "ORDER BY date_added LIMIT 1001")

# The ways to tell PostgreSQL which bodies to leave out, and how each is given.
HELD: dict[str, tuple[str, Callable[[list[int]], Any]]] = {
    "= ANY(list)": ("seq = ANY(%(h)s::INTEGER[])", lambda seqs: seqs),
    "= ANY('{…}')": ("seq = ANY(%(h)s::INTEGER[])", lambda s: "{" + ",".join(map(str, s)) + "}"),
    "= ANY(string_to_array)": ("seq = ANY(string_to_array(%(h)s::TEXT, ',')::INTEGER[])",
                               lambda seqs: ",".join(map(str, seqs))),
    "IN (SELECT unnest('{…}'))": ("seq IN (SELECT unnest(%(h)s::VARCHAR::INTEGER[]))",
                                  lambda s: "{" + ",".join(map(str, s)) + "}"),
}


def cpu_of(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(conn: psycopg.Connection, sql: str, args: dict[str, Any], rounds: int
            ) -> tuple[int, int, float, float, float]:
    """Rows, bodies sent, and per run: wall ms, this process's CPU ms, PostgreSQL's CPU ms."""
    for _ in range(10):  # prepared, and past PostgreSQL's five custom plans
        with conn.cursor(binary=True) as cur:
            cur.execute(sql, args, prepare=True)
            rows = cur.fetchall()
    backend = conn.info.backend_pid
    server, started, own = cpu_of(backend), time.perf_counter(), time.process_time()
    for _ in range(rounds):
        with conn.cursor(binary=True) as cur:
            cur.execute(sql, args, prepare=True)
            cur.fetchall()
    per = 1000 / rounds
    return (len(rows), sum(r[5] is not None for r in rows),
            (time.perf_counter() - started) * per, (time.process_time() - own) * per,
            (cpu_of(backend) - server) * per)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="libpq URL of the node's schema")
    parser.add_argument("--type", default="intrusion-set")
    parser.add_argument("--rounds", type=int, default=1000)
    args = parser.parse_args()

    with psycopg.connect(args.db.replace("postgresql+psycopg://", "postgresql://")) as conn:
        collection = conn.execute("SELECT collection_id FROM objects GROUP BY 1 "
                                  "ORDER BY count(*) DESC LIMIT 1").fetchone()
        if collection is None:
            raise SystemExit("no objects in this schema")
        print("| page | plans | how the held bodies are named | rows | bodies sent | wall ms "
              "| client CPU ms | PostgreSQL CPU ms |\n|---|---|---|---:|---:|---:|---:|---:|")
        for page, where in ((f"type {args.type}", "type = %(t)s"), ("first 1,001", "TRUE")):
            values = {"c": collection[0], "t": args.type}
            seqs = [r[0] for r in conn.execute(
                _SELECT.format(body="body", where=where), values, binary=True)]
            for mode in ("force_custom_plan", "force_generic_plan"):
                conn.execute(f"SET plan_cache_mode = {mode}")
                cases = [("none held (the bodies sent)", _SELECT.format(body="body", where=where),
                          values)]
                for name, (test, given) in HELD.items():
                    body = f"CASE WHEN {test} THEN NULL ELSE body END"
                    cases.append((name, _SELECT.format(body=body, where=where),
                                  {**values, "h": given(seqs)}))
                for name, sql, bound in cases:
                    rows, sent, wall, own, server = measure(conn, sql, bound, args.rounds)
                    print(f"| {page} | {mode.split('_')[1]} | {name} | {rows} | {sent} "
                          f"| {wall:.3f} | {own:.3f} | {server:.3f} |", flush=True)


if __name__ == "__main__":
    main()
