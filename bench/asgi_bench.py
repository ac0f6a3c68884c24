#!/usr/bin/env python3
"""What a TAXII read costs inside the server: the node's ASGI app called in this process, one
request after another, with no HTTP, no socket and no client, so that what is measured is
Accord's own work (routing, the token, the statement, the envelope, the audit record). Wall and
CPU microseconds a request, best of --runs; with --hold-flush, the audit trail's background
flush waits until the timing ends (what the request thread costs alone).

usage: asgi_bench.py --db URL --token TOKEN [--kind by_id|type|discovery|page|manifest]
                     [--requests 5000] [--runs 5] [--hold-flush]

The node needs a collection with alias `load` (as request_cpu.py's): `accord init`, `accord
collection create Load --alias load`, `accord import enterprise-attack-18.1.json --collection
load`. `by_id` cycles through the first 300 objects of its first page; `type` asks
`match[type]=intrusion-set` (187 objects of ATT&CK Enterprise, 556 KB); `page` and
`manifest` walk the whole collection, 1,000 objects a page (the objects or their manifest).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import orjson

from accord.app import create_app
from accord.node import open_node

COLLECTION = "/taxii2/accord/collections/load/objects/"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--kind", choices=("by_id", "type", "discovery", "page", "manifest"),
                        default="by_id")
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--hold-flush", action="store_true")
    args = parser.parse_args()
    node = open_node(args.db, migrate_schema=False)
    if args.hold_flush:
        node.reads.interval = 1e9  # flushed once, when the app stops
    app = create_app(node)
    runs = asyncio.run(_measure(app, args))
    wall = [w for w, _ in runs]
    cpu = [c for _, c in runs]
    print(orjson.dumps({
        "kind": args.kind, "backend": node.engine.dialect.name, "requests": args.requests,
        "hold_flush": args.hold_flush, "wall_us_best": round(min(wall), 1),
        "wall_us_median": round(statistics.median(wall), 1), "cpu_us_best": round(min(cpu), 1),
        "cpu_us_median": round(statistics.median(cpu), 1)}).decode())


async def _measure(app: Any, args: argparse.Namespace) -> list[tuple[float, float]]:
    started: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    await started.put({"type": "lifespan.startup"})
    said: list[dict[str, Any]] = []

    async def lifespan_receive() -> dict[str, str]:
        return await started.get()

    async def lifespan_send(message: dict[str, Any]) -> None:
        said.append(message)

    lifespan = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}},
                                       lifespan_receive, lifespan_send))
    while not said:
        await asyncio.sleep(0.01)
    try:
        targets = await _targets(app, args)
        for path, query in targets[:100]:  # statements prepared, caches warm
            await _get(app, args.token, path, query)
        runs = []
        for _ in range(args.runs):
            wall, cpu = time.perf_counter(), time.process_time()
            for n in range(args.requests):
                path, query = targets[n % len(targets)]
                status = await _get(app, args.token, path, query)
                if status != 200:
                    raise SystemExit(f"GET {path}?{query.decode()} answered {status}")
            runs.append(((time.perf_counter() - wall) / args.requests * 1e6,
                         (time.process_time() - cpu) / args.requests * 1e6))
        return runs
    finally:
        await started.put({"type": "lifespan.shutdown"})
        await lifespan


async def _targets(app: Any, args: argparse.Namespace) -> list[tuple[str, bytes]]:
    if args.kind == "discovery":
        return [("/taxii2/", b"")]
    if args.kind == "type":
        return [(COLLECTION, b"match[type]=intrusion-set")]
    if args.kind in ("page", "manifest"):
        # Every page of the collection, 1,000 objects a page, by the tokens the node issues.
        path = COLLECTION if args.kind == "page" else COLLECTION.replace("objects/", "manifest/")
        pages, query = [], b"limit=1000"
        while True:
            pages.append((path, query))
            body = []
            if await _get(app, args.token, path, query, body) != 200:
                raise SystemExit(f"the collection 'load' answered {query!r}: see the usage")
            said = orjson.loads(b"".join(body))
            if not said.get("more"):
                return pages
            query = b"limit=1000&next=" + said["next"].encode()
    body: list[bytes] = []
    status = await _get(app, args.token, COLLECTION, b"limit=300", body)
    if status != 200:
        raise SystemExit(f"the collection 'load' answered {status}: see the usage")
    return [(f"{COLLECTION}{o['id']}/", b"") for o in orjson.loads(b"".join(body))["objects"]]


async def _get(app: Any, token: str, path: str, query: bytes,
               body: list[bytes] | None = None) -> int:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": query, "root_path": "", "client": ("127.0.0.1", 40000),
             "server": ("127.0.0.1", 8400),
             "headers": [(b"host", b"127.0.0.1:8400"),
                         (b"accept", b"application/taxii+json;version=2.1"),
                         (b"authorization", b"Bearer " + token.encode())]}
    status = [0]

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status[0] = message["status"]
        elif body is not None:
            body.append(message.get("body", b""))

    await app(scope, receive, send)
    return status[0]


if __name__ == "__main__":
    main()
