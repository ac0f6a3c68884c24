#!/usr/bin/env python3
"""The floor for TAXII reads: a minimal ASGI app answering the URLs taxii_bench.py asks, with
the same bytes held in memory — no database, no authentication, no audit — served by the same
stack as `accord serve` (uvicorn, httptools, the same number of workers).

Each worker loads DATA (the bundle the bench will POST) at start, so that reads find every
object in any worker; a POST parses its envelope and puts its objects in that worker's memory,
answering a complete status. Pages are cut in file order with `limit` and `next` (an offset).

usage: taxii_floor.py DATA.json [--port 8500] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
from typing import Any
from urllib.parse import parse_qs

import orjson

TAXII = b"application/taxii+json;version=2.1"
PREFIX = "/taxii2/accord/collections/floor/"


class Floor:
    def __init__(self, data: str) -> None:
        objects = orjson.loads(open(data, "rb").read())["objects"]  # noqa: SIM115
        self.ordered: list[bytes] = []
        self.by_id: dict[str, bytes] = {}
        self.by_type: dict[str, list[bytes]] = {}
        self.add(objects)

    def add(self, objects: list[dict[str, Any]]) -> None:
        for obj in objects:
            raw = orjson.dumps(obj)
            if obj["id"] not in self.by_id:
                self.ordered.append(raw)
                self.by_type.setdefault(obj["type"], []).append(raw)
            self.by_id[obj["id"]] = raw

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        path: str = scope["path"]
        query = parse_qs(scope["query_string"].decode())
        if scope["method"] == "POST" and path == PREFIX + "objects/":
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            objects = orjson.loads(body)["objects"]
            self.add(objects)
            await self.answer(send, b'{"id":"floor","status":"complete","total_count":%d,'
                                    b'"success_count":%d,"failure_count":0,"pending_count":0}'
                              % (len(objects), len(objects)), 202)
        elif path == PREFIX + "objects/":
            kind = query.get("match[type]", [None])[0]
            rows = self.by_type.get(kind, []) if kind else self.ordered
            limit = int(query.get("limit", ["1000"])[0])
            start = int(query.get("next", ["0"])[0])
            page = rows[start:start + limit]
            more = start + limit < len(rows)
            tail = b',"more":true,"next":"%d"}' % (start + limit) if more else b',"more":false}'
            await self.answer(send, b'{"objects":[' + b",".join(page) + b"]" + tail)
        elif path.startswith(PREFIX + "objects/") and path.endswith("/"):
            raw = self.by_id.get(path[len(PREFIX) + 8:-1])
            if raw is None:
                await self.answer(send, b'{"title":"not found"}', 404)
            else:
                await self.answer(send, b'{"objects":[' + raw + b'],"more":false}')
        else:
            await self.answer(send, b'{"title":"not found"}', 404)

    @staticmethod
    async def answer(send: Any, body: bytes, status: int = 200) -> None:
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", TAXII),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def app() -> Floor:
    """For uvicorn's workers (factory): the data file comes from the environment."""
    return Floor(os.environ["TAXII_FLOOR_DATA"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data")
    parser.add_argument("--port", type=int, default=8500)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    import uvicorn

    os.environ["TAXII_FLOOR_DATA"] = os.path.abspath(args.data)
    uvicorn.run("taxii_floor:app", factory=True, host="127.0.0.1", port=args.port,
                workers=args.workers, http="httptools", log_level="warning",
                access_log=False, app_dir=os.path.dirname(os.path.abspath(__file__)))


if __name__ == "__main__":
    main()
