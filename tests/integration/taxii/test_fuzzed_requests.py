"""Hostile TAXII requests, made up by hypothesis: random envelopes and random filters.

Whatever arrives, the node never answers 5xx (the test client raises any server error), every
error is a TAXII error message, and an envelope is stored exactly as its status says: each
version reported a success is there, nothing else is new, no observable outlives its object.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from tests.integration.taxii.test_endpoints import TAXII, assert_taxii_error, indicator

from accord.store.schema import objects, observables

ROOT = "/taxii2/accord/"
# Text a client might send, hostile included: NUL, surrogates as escapes, bidi marks, commas.
texts = st.one_of(st.text(max_size=40), st.sampled_from([
    "\x00", "a\x00b", "\u202e", "\ud800", ",", "", " ", "indicator--" + "0" * 36,
    "2020-02-30T00:00:00Z", "9999-12-31T23:59:60.999999999Z", "%00", "../", "\\", "'",
    "[ipv4-addr:value = '1.1.1.1']",
]))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False)
    | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)


def _mangled(obj: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    return {**obj, key: value}


stix_like = st.one_of(
    st.builds(indicator, st.integers(1, 5)),
    st.builds(_mangled, st.builds(indicator, st.integers(1, 5)),
              st.sampled_from(["pattern", "id", "modified", "created", "type", "spec_version",
                               "valid_from", "object_marking_refs", "created_by_ref", "name",
                               "labels", "x_custom", "external_references", "extensions"]),
              json_values),
    st.dictionaries(texts, json_values, max_size=5),
    json_values,
)
envelopes = st.one_of(
    st.builds(lambda objs: {"objects": objs}, st.lists(stix_like, max_size=4)),
    st.builds(lambda objs, more: {"objects": objs, **more}, st.lists(stix_like, max_size=3),
              st.dictionaries(texts, json_values, max_size=3)),
    json_values,
).map(lambda e: json.dumps(e).encode())  # big integers and lone surrogates as escapes
bodies = envelopes | st.binary(max_size=64) | envelopes.map(lambda b: b.replace(b"1", b"\xff"))


def _stored(node: Any, collection_id: str) -> set[tuple[str, str]]:
    with node.engine.connect() as conn:
        return {(r.id, r.version) for r in conn.execute(
            select(objects.c.id, objects.c.version).where(objects.c.collection_id ==
                                                         collection_id))}


def _orphan_observables(node: Any) -> int:
    with node.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(observables).where(
            observables.c.seq.not_in(select(objects.c.seq)))).scalar_one())


def _escaped(text: str) -> str:
    """Percent-encoded for a path, lone surrogates as the invalid UTF-8 they would be."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _is_taxii_answer(response: Any) -> None:
    assert response.status_code < 500, response.text
    assert response.headers["content-type"] == TAXII
    if response.status_code >= 400:
        assert_taxii_error(response, response.status_code)


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=bodies)
# Found by this test: a refused object whose "type" was a list, beside one that was added (500).
@example(body=json.dumps({"objects": [indicator(3), {**indicator(5), "type": ["x"]}]}).encode())
def test_a_random_envelope_is_stored_exactly_as_its_status_says(client, world, body):
    collection = world.evidence.id
    before = _stored(world.node, collection)
    r = client.post(f"{ROOT}collections/{collection}/objects/", content=body,
                    headers={"Content-Type": TAXII})
    _is_taxii_answer(r)
    new = _stored(world.node, collection) - before
    if r.status_code != 202:
        assert new == set(), "a refused envelope stored something"
        return
    status = r.json()
    said = {(s["id"], s["version"]) for s in status.get("successes", [])}
    assert new <= said, f"stored without saying so: {new - said}"
    assert said - before <= new, "said stored, but is not"
    assert status["total_count"] == status["success_count"] + status["failure_count"]
    assert _orphan_observables(world.node) == 0


filter_keys = st.sampled_from(["match[id]", "match[type]", "match[version]",
                               "match[spec_version]", "added_after", "limit", "next",
                               "match[]", "match[pattern]", "match[id"]) | texts
filters = st.lists(st.tuples(filter_keys, texts | st.sampled_from(
    ["all", "first", "last", "indicator", "2.1", "1", "0", "-1", "99999999999999999999",
     "indicator--00000000-0000-4000-8000-000000000001"])), max_size=5)


@settings(max_examples=80, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(query=filters, object_id=texts, collection_id=st.one_of(st.none(), texts),
       endpoint=st.sampled_from(["objects/", "manifest/", "objects/{id}/",
                                 "objects/{id}/versions/"]),
       method=st.sampled_from(["GET", "GET", "DELETE"]))
# Found by this test: a NUL in a filter or an id was a 500 on PostgreSQL.
@example(query=[("match[id]", "\x00")], object_id="x", collection_id=None,
         endpoint="objects/", method="GET")
@example(query=[], object_id="a\x00", collection_id=None, endpoint="objects/{id}/",
         method="DELETE")
def test_random_filters_and_ids_never_fail_the_server(client, world, query, object_id,
                                                      collection_id, endpoint, method):
    if not world.node.objects.exists(world.evidence.id, indicator(1)["id"], None):
        world.node.objects.add(world.evidence.id, [indicator(1)], poster_id=world.own.id)
    collection = world.evidence.id if collection_id is None else _escaped(collection_id)
    path = endpoint.replace("{id}", _escaped(object_id) or "x")
    if method == "DELETE" and "{id}" not in endpoint:
        method = "GET"
    encoded = "&".join(f"{_escaped(key)}={_escaped(value)}" for key, value in query)
    r = client.request(method, f"{ROOT}collections/{collection}/{path}?{encoded}")
    _is_taxii_answer(r)
