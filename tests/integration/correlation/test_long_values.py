"""A value too long for the index is stored with its object, just not indexed."""

from __future__ import annotations

import random

import orjson

TAXII = "application/taxii+json;version=2.1"


def test_an_object_with_a_value_longer_than_the_index_keeps_is_stored(client, world):
    # 4,500 bytes of UTF-8, not compressible: more than PostgreSQL's B-tree keys may hold.
    name = "".join(chr(0x4E00 + random.Random(n).randrange(20000)) for n in range(1500))
    files = [{"type": "file", "spec_version": "2.1", "name": text,
              "id": f"file--00000000-0000-4000-8000-00000000000{n}"}
             for n, text in enumerate([name, "dropper.exe"])]
    r = client.post(f"/taxii2/accord/collections/{world.evidence.id}/objects/",
                    content=orjson.dumps({"objects": files}), headers={"Content-Type": TAXII})
    assert r.status_code == 202 and r.json()["success_count"] == 2, r.text
    found = client.get("/api/v1/lookup", params={"value": "dropper.exe"}).json()
    assert [m["id"] for m in found["results"]] == [files[1]["id"]]
