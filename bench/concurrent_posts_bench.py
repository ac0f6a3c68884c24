#!/usr/bin/env python3
"""Writers at once on PostgreSQL: what announcing each change (migration 0043's triggers,
`NOTIFY accord_changed`, which PostgreSQL serialises at commit) costs concurrent TAXII POSTs.

usage: concurrent_posts_bench.py [--pg URL] [--clients 8] [--seconds 10] [--batch 50]
                                 [--workers 2] [--rounds 2]

A fresh schema of the --pg database (dropped at the end) with a node and a collection;
`accord serve --workers N` on it; --clients threads each POST envelopes of --batch new
indicators (ids of their own) for --seconds, waiting for each envelope's status. Each round
measures with the triggers, then without them (disabled, then enabled again), alternating: objects
stored a second, and the POSTs' p50 and p99 latency.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import orjson
import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from hostile_bench import serve  # noqa: E402
from scale_bench import DEFAULT_PG, accord, schema_url  # noqa: E402

from accord.store.page_memo import TRIGGER_PREFIX, WATCHED  # noqa: E402

TAXII = "application/taxii+json;version=2.1"


def indicator(client: int, n: int) -> dict:
    return {"type": "indicator", "spec_version": "2.1",
            "id": f"indicator--{uuid.UUID(int=(client << 64) | n, version=4)}",
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
            "pattern": f"[ipv4-addr:value = '10.{client}.{n // 256 % 256}.{n % 256}']",
            "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z"}


def measure(port: int, token: str, collection: str, clients: int, seconds: float,
            batch: int, first: int) -> dict:
    url = f"http://127.0.0.1:{port}/taxii2/accord/collections/{collection}/objects/"
    headers = {"Authorization": f"Bearer {token}", "Accept": TAXII, "Content-Type": TAXII}
    stop = time.perf_counter() + seconds
    stored = [0] * clients
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0]

    def post(k: int) -> None:
        n = first
        with httpx.Client(headers=headers, timeout=60) as client:
            while time.perf_counter() < stop:
                body = orjson.dumps({"objects": [indicator(k, n + i) for i in range(batch)]})
                n += batch
                began = time.perf_counter()
                answer = client.post(url, content=body)
                latencies[k].append(time.perf_counter() - began)
                if answer.status_code != 202 or answer.json()["success_count"] != batch:
                    errors[0] += 1
                else:
                    stored[k] += batch

    threads = [threading.Thread(target=post, args=(k,)) for k in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    every = sorted(x for xs in latencies for x in xs)
    return {"objects_per_s": round(sum(stored) / wall), "posts": len(every),
            "p50_ms": round(statistics.median(every) * 1000, 1),
            "p99_ms": round(every[int(len(every) * 0.99) - 1] * 1000, 1),
            "errors": errors[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    schema = f"posts_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(args.pg, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    db = schema_url(args.pg, schema)
    try:
        init = accord("init", "--party", "Bench", db=db)
        token = next(line for line in init.splitlines() if line.startswith("accord_"))
        collection = accord("collection", "create", "Posts", db=db).splitlines()[-1].strip()
        with tempfile.TemporaryDirectory() as work:
            server, port = serve(db, Path(work) / "serve.log", args.workers, False)
            try:
                first = 0
                for round_ in range(args.rounds):
                    for announced in (True, False):
                        switch = "ENABLE" if announced else "DISABLE"
                        with psycopg.connect(db, autocommit=True) as conn:
                            for table in WATCHED:
                                conn.execute(f"ALTER TABLE {table} {switch} TRIGGER "
                                             f"{TRIGGER_PREFIX}{table}")
                        figures = measure(port, token, collection, args.clients, args.seconds,
                                          args.batch, first)
                        first += 10_000_000
                        print(json.dumps({"round": round_ + 1, "announced": announced,
                                          "clients": args.clients, "workers": args.workers,
                                          **figures}), flush=True)
            finally:
                server.terminate()
                server.wait()
    finally:
        with psycopg.connect(args.pg, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()
