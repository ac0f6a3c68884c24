"""TAXII 2.1 §1.6 / STIX 2.1 §3.3: no document the node sends holds an empty list.

Property-based: whatever was posted (valid, invalid, marked, repeated) and whatever a client
asks (filters, versions, paging), every TAXII resource and every STIX object in it is walked.
"""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.trust.access import Grant
from accord.trust.markings import MARKING_FOR, Tlp

TAXII = "application/taxii+json;version=2.1"
ROOT = "/taxii2/accord/"


def empty_lists(document: Any, path: str = "$") -> list[str]:
    if isinstance(document, list):
        found = [path] if not document else []
        for n, item in enumerate(document):
            found += empty_lists(item, f"{path}[{n}]")
        return found
    if isinstance(document, dict):
        return [p for key, value in document.items() for p in empty_lists(value, f"{path}.{key}")]
    return []


def indicator(n: int, month: int, level: Tlp | None) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": "indicator", "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
        "created": "2020-01-01T00:00:00.000Z", "modified": f"2020-{month:02d}-01T00:00:00.000Z",
        "pattern": f"[ipv4-addr:value = '198.51.100.{n}']", "pattern_type": "stix",
        "valid_from": "2020-01-01T00:00:00Z",
    }
    if level is not None:
        obj["object_marking_refs"] = [MARKING_FOR[level]]
    return obj


candidates = st.one_of(
    st.builds(indicator, st.integers(1, 6), st.integers(1, 12),
              st.sampled_from([None, *Tlp])),
    st.just({"type": "indicator"}),  # refused
    st.just({"type": "ipv4-addr", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd",
             "value": "198.51.100.3"}),
)
queries = st.fixed_dictionaries({}, optional={
    "limit": st.integers(1, 3).map(str),
    "match[type]": st.sampled_from(["indicator", "ipv4-addr", "malware", "indicator,malware"]),
    "match[version]": st.sampled_from(["all", "first", "last", "2020-03-01T00:00:00.000Z"]),
    "added_after": st.just("2000-01-01T00:00:00Z"),
})


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(posts=st.lists(st.lists(candidates, min_size=1, max_size=4), max_size=3), query=queries,
       reader=st.sampled_from(["own", "other"]))
def test_no_taxii_response_holds_an_empty_list(client, world, posts, query, reader):
    collection = world.evidence.id
    world.node.directory.grant(collection, world.other, Grant(True, True))
    token = world.admin_token if reader == "own" else world.other_token
    auth = {"Authorization": f"Bearer {token}"}
    documents = [client.get("/taxii2/", headers=auth).json(),
                 client.get(ROOT, headers=auth).json(),
                 client.get(f"{ROOT}collections/", headers=auth).json()]
    for objects in posts:
        status = client.post(f"{ROOT}collections/{collection}/objects/",
                             content=orjson.dumps({"objects": objects}),
                             headers={"Content-Type": TAXII, **auth}).json()
        documents += [status, client.get(f"{ROOT}status/{status['id']}/", headers=auth).json()]
    base = f"{ROOT}collections/{collection}/"
    listing = client.get(f"{base}objects/", params=query, headers=auth).json()
    documents += [listing, client.get(f"{base}manifest/", params=query, headers=auth).json()]
    one_query = {k: v for k, v in query.items() if k != "match[type]"}
    for obj in listing.get("objects", []):
        for path, params in ((f"objects/{obj['id']}/", one_query),
                             (f"objects/{obj['id']}/versions/", {})):
            r = client.get(base + path, params=params, headers=auth)
            assert r.status_code in (200, 404), r.text
            documents.append(r.json())
    for document in documents:
        assert empty_lists(document) == [], document
