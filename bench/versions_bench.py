#!/usr/bin/env python3
"""What one object of many versions costs: the node's ASGI app called in this process, a
fresh node, one indicator given `--versions` versions in one POST, then one more (refused past
accord.store.objects.MOST_VERSIONS), its versions endpoint, `match[version]=all`, its newest
version and its web page, each timed once. Prints one JSON line. `--description N` gives each
version a description of N characters (posted in envelopes of about 5 MB).

usage: versions_bench.py --db URL|PATH [--versions 1000] [--description 0]   (a SQLite path is
replaced; a PostgreSQL URL must name an empty schema)
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import orjson
from starlette.testclient import TestClient

from accord.app import create_app
from accord.node import initialise, open_node

TAXII = "application/taxii+json;version=2.1"
OID = "indicator--00000000-0000-4000-8000-000000000001"


def version(n: int, creator: str, description: int = 0) -> dict[str, Any]:
    padding = {"description": "x" * description} if description else {}
    return {**padding, "type": "indicator", "spec_version": "2.1", "id": OID,
            "created_by_ref": creator,
            "created": "2020-01-01T00:00:00.000Z",
            "modified": f"2020-01-01T{n // 3_600_000:02d}:{n // 60_000 % 60:02d}:"
                        f"{n // 1000 % 60:02d}.{n % 1000:03d}Z",
            "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix",
            "valid_from": "2020-01-01T00:00:00Z"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--description", type=int, default=0)
    args = parser.parse_args()
    if "://" not in args.db:
        Path(args.db).unlink(missing_ok=True)
    node = open_node(args.db)
    own, admin = initialise(node, "Bench")
    evidence = node.directory.collection("evidence")
    client = TestClient(create_app(node), base_url="http://testserver")
    client.headers.update({"Authorization": f"Bearer {admin}", "Accept": TAXII,
                           "Content-Type": TAXII})
    objects = f"/taxii2/accord/collections/{evidence.id}/objects/"
    figures: dict[str, Any] = {"bench": "versions", "versions": args.versions,
                               "description": args.description,
                               "backend": "sqlite" if "://" not in args.db else "postgresql"}

    def timed(label: str, call: Any) -> Any:
        started = time.perf_counter()
        answer = call()
        figures[label + "_s"] = round(time.perf_counter() - started, 3)
        return answer

    per = max(1, 5_000_000 // (args.description + 400))

    def post_all() -> int:
        return sum(client.post(objects, content=orjson.dumps({"objects": [
            version(n, own.id, args.description)
            for n in range(start, min(start + per, args.versions))]})).json()["success_count"]
            for start in range(0, args.versions, per))

    figures["stored"] = timed("post", post_all)
    more = timed("one_more", lambda: client.post(objects, content=orjson.dumps(
        {"objects": [version(args.versions, own.id, args.description)]})))
    figures["one_more_refused"] = more.json()["failure_count"] == 1
    timed("versions", lambda: client.get(f"{objects}{OID}/versions/"))
    timed("all", lambda: client.get(f"{objects}{OID}/", params={"match[version]": "all"}))
    timed("newest", lambda: client.get(f"{objects}{OID}/"))
    client.headers.pop("Content-Type")
    timed("page", lambda: client.get(f"/ui/objects/{OID}"))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
