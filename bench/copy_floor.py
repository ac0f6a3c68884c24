#!/usr/bin/env python3
"""The COPY floor of `accord import` on PostgreSQL: the same rows, COPYed and nothing else.

An import of a bundle writes, per object, a row of `objects` and the rows of the indexes kept
beside it (observables, object_names, relationship_ends, the audit's audit_objects, …). This
takes the rows that one import wrote (a node that imported the bundle: --from), and COPYs them
again, batch by batch as the import does (5,000 objects a transaction), into a fresh schema
with Accord's tables and indexes (--to: made here by opening it as a node). No parsing, no
validation, no look-ups, no Python per row but psycopg's: how fast PostgreSQL itself takes
these rows into these indexes on this machine. `accord import` can approach this figure, not
pass it.

Prints one JSON line: objects, wall seconds, objects/s, and the CPU seconds the PostgreSQL
server process spent (read from /proc: the server must run on this machine).

usage: copy_floor.py --from URL --to URL [--batch 5000]
  both PostgreSQL URLs with a schema of their own, e.g.
  postgresql://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dimported
"""

from __future__ import annotations

import argparse
import io
import json
import os
import time
from pathlib import Path

import psycopg

from accord.node import open_node

# The tables an import of STIX objects fills, each with what ties its rows to an object's seq
# (audit_objects by the audit record, whose seq is not the object's: copied whole at the end
# of each batch's range of records).
BY_OBJECT = {
    "objects": "seq",
    "observables": "seq",
    "object_names": "seq",
    "relationship_ends": "seq",
    "recipients": "seq",
    "sightings": "seq",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", required=True)
    parser.add_argument("--to", dest="target", required=True)
    parser.add_argument("--batch", type=int, default=5000)
    args = parser.parse_args()
    open_node(args.target).engine.dispose()  # the schema: Accord's tables and indexes
    with psycopg.connect(args.source) as source, psycopg.connect(args.target) as target:
        seqs = [s for (s,) in source.execute("SELECT seq FROM objects ORDER BY seq")]
        audits = [s for (s,) in source.execute(
            "SELECT seq FROM audit WHERE action = 'objects.import' ORDER BY seq")]
        batches = [(seqs[i], seqs[min(i + args.batch, len(seqs)) - 1])
                   for i in range(0, len(seqs), args.batch)]
        # Read everything first: the floor is the writing.
        loads = [[(table, _rows(source, table, f"{key} BETWEEN {low} AND {high}"))
                  for table, key in BY_OBJECT.items()] for low, high in batches]
        # The import's audit records, one per batch, and the objects each names.
        audit_loads = [_rows(source, "audit_objects", f"seq = {seq}") for seq in audits]
        with target.transaction():  # what the rows refer to, untimed
            for table in ("parties", "collections"):
                _copy(target, table, _rows(source, table, "true"))
        pid = target.info.backend_pid
        cpu_before = _cpu(pid)
        started = time.perf_counter()
        for index, load in enumerate(loads):
            with target.transaction():
                for table, data in load:
                    _copy(target, table, data)
                if index < len(audit_loads):
                    _copy(target, "audit_objects", audit_loads[index])
        wall = time.perf_counter() - started
        server = _cpu(pid) - cpu_before
    print(json.dumps({"bench": "copy_floor", "objects": len(seqs), "wall_s": round(wall, 2),
                      "objects_per_s": round(len(seqs) / wall),
                      "server_cpu_s": round(server, 2)}))


def _rows(conn: psycopg.Connection, table: str, where: str) -> bytes:
    """The rows of `table` matching `where`, in PostgreSQL's binary COPY format."""
    out = io.BytesIO()
    with conn.cursor().copy(f"COPY (SELECT * FROM {table} WHERE {where}) TO STDOUT "
                            "(FORMAT BINARY)") as copy:
        for chunk in copy:
            out.write(chunk)
    return out.getvalue()


def _copy(conn: psycopg.Connection, table: str, data: bytes) -> None:
    with conn.cursor().copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(data)


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
