"""`accord serve --max-objects`: the limit holds over real HTTP and is kept for later runs."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson
from tests.e2e.conftest import NodeDatabases, created, serving

TAXII = "application/taxii+json;version=2.1"


def indicator(n: int) -> dict:
    return {"type": "indicator", "spec_version": "2.1",
            "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
            "pattern": f"[ipv4-addr:value = '198.51.100.{n}']", "pattern_type": "stix",
            "valid_from": "2020-01-01T00:00:00Z"}


def post(url: str, token: str, count: int) -> httpx.Response:
    return httpx.post(f"{url}taxii2/accord/collections/evidence/objects/",
                      content=orjson.dumps({"objects": [indicator(n) for n in range(count)]}),
                      headers={"Authorization": f"Bearer {token}", "Content-Type": TAXII,
                               "Accept": TAXII}, timeout=30)


def test_the_object_limit_is_set_once_and_kept(databases: NodeDatabases, tmp_path: Path):
    db = databases.new("node")
    token = created("init", "--party", "Alpha CERT", db=db)
    with serving(db, tmp_path / "1.log", options=("--tick", "0", "--sync-every", "0",
                                                  "--max-objects", "3")) as url:
        refused = post(url, token, 4)
        assert refused.status_code == 422 and "at most 3" in refused.json()["description"]
        assert post(url, token, 3).status_code == 202
    with serving(db, tmp_path / "2.log") as url:
        assert post(url, token, 4).status_code == 422
