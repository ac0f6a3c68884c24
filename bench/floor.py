#!/usr/bin/env python3
"""The floor for `accord import`: the least work any STIX store must do with a bundle.

Read the file, parse it with orjson, and insert one row per object (id, type, JSON text) into a
fresh SQLite file in one transaction. No validation, no versions, no indexes beyond the key.
Prints one JSON line: {"bench": "floor", "objects": N, "seconds": S, "objects_per_s": R}.

usage: floor.py DATA.json [--db PATH]   (default: a temporary file, removed afterwards)
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from pathlib import Path

import orjson


def load_rows(data: Path) -> list[tuple[str, str, str]]:
    document = orjson.loads(data.read_bytes())
    objects = document["objects"] if isinstance(document, dict) else document
    return [(o["id"], o["type"], orjson.dumps(o).decode()) for o in objects]


def store(rows: list[tuple[str, str, str]], db: Path) -> None:
    conn = sqlite3.connect(db)
    try:
        # The same durability settings as accord's SQLite adapter, so the comparison is fair.
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        # `seq` keeps every row even if a bundle repeats an id (several versions of one object).
        conn.execute(
            "CREATE TABLE objects (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, "
            "type TEXT NOT NULL, body TEXT NOT NULL)"
        )
        with conn:
            conn.executemany("INSERT INTO objects (id, type, body) VALUES (?, ?, ?)", rows)
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--db", type=Path, help="SQLite file to create (must not exist)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="accord-floor-") as scratch:
        db = args.db or Path(scratch) / "floor.db"
        if db.exists():
            parser.error(f"{db} exists; the floor is measured on a fresh file")
        started = time.perf_counter()
        rows = load_rows(args.data)
        store(rows, db)
        seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "bench": "floor",
                "data": str(args.data),
                "objects": len(rows),
                "seconds": round(seconds, 3),
                "objects_per_s": round(len(rows) / seconds),
            }
        )
    )


if __name__ == "__main__":
    main()
