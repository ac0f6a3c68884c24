"""What one POST may cost: objects per envelope, JSON containers, nesting depth, status size."""

from __future__ import annotations

from dataclasses import replace

import orjson

TAXII = "application/taxii+json;version=2.1"
ROOT = "/taxii2/accord/"


def indicator(n: int):
    return {
        "type": "indicator", "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
        "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
        "pattern": f"[ipv4-addr:value = '198.51.100.{n % 250}']", "pattern_type": "stix",
        "valid_from": "2020-01-01T00:00:00Z",
    }


def nested(levels: int):
    value: object = "bottom"
    for _ in range(levels):
        value = {"down": value}
    return value


def post_raw(client, world, body: bytes):
    return client.post(f"{ROOT}collections/{world.evidence.id}/objects/", content=body,
                       headers={"Content-Type": TAXII})


def stored(world) -> int:
    return world.node.objects.count(world.evidence.id)


def test_a_megabyte_of_empty_objects_is_422_and_stores_nothing(client, world):
    r = post_raw(client, world, b'{"objects":[' + b",".join([b"{}"] * 333_000) + b"]}")
    assert r.status_code == 422 and r.headers["content-type"] == TAXII
    assert "at most 10000" in r.json()["description"]
    assert len(r.content) < 1000
    assert stored(world) == 0


def test_an_envelope_over_the_object_limit_is_422_not_413(client, world):
    world.node.info = replace(world.node.info, max_objects=5)
    r = post_raw(client, world, orjson.dumps({"objects": [indicator(n) for n in range(6)]}))
    # Not 413: the body is within max_content_length (TAXII 2.1 §4.2.1).
    assert r.status_code == 422
    assert "holds 6 objects" in r.json()["description"]
    assert post_raw(client, world, orjson.dumps(
        {"objects": [indicator(n) for n in range(5)]})).status_code == 202


def test_a_body_of_tiny_containers_is_refused_before_it_is_parsed(client, world):
    world.node.info = replace(world.node.info, max_objects=10)
    r = post_raw(client, world, b'{"objects":[{"x":[' + b",".join([b"[]"] * 600) + b"]}]}")
    assert r.status_code == 422
    assert "JSON objects and arrays" in r.json()["description"]


def test_an_object_nested_too_deep_is_refused_alone_and_the_rest_is_stored(client, world):
    for levels in (70, 254, 600):
        deep = dict(indicator(900 + levels), x_deep=nested(levels))
        r = post_raw(client, world, _dump_deep(indicator(levels), deep, levels))
        assert r.status_code == 202, r.text
        status = r.json()
        assert status["success_count"] == 1 and status["failure_count"] == 1
        failure = status["failures"][0]
        assert failure["id"] == deep["id"] and "[too-deep]" in failure["message"]
        assert "'x_deep'" in failure["message"]
    assert stored(world) == 3


def _dump_deep(valid, deep, levels: int) -> bytes:
    """An envelope of `valid` and `deep`, whose x_deep nests `levels` levels (written by hand:
    orjson writes at most 254)."""
    head = orjson.dumps(dict(deep, x_deep=None))[:-len(b',"x_deep":null}')]
    chain = b'{"down":' * levels + b'"bottom"' + b"}" * levels
    return (b'{"objects":[' + orjson.dumps(valid) + b"," + head + b',"x_deep":' + chain
            + b"}]}")


def test_json_nested_past_what_is_parsed_is_a_clear_422(client, world):
    r = post_raw(client, world, b'{"objects":[' + b"[" * 1100 + b"]" * 1100 + b"]}")
    assert r.status_code == 422
    assert "depth" in r.json()["description"]


def test_a_refusal_names_a_bounded_number_of_problems(client, world):
    bad = dict(indicator(1), **{f"X{n}": 1 for n in range(500)})
    r = post_raw(client, world, orjson.dumps({"objects": [bad]}))
    message = r.json()["failures"][0]["message"]
    assert "and 480 more problems" in message and len(message) < 5000


def test_a_status_lists_no_empty_list(client, world):
    r = post_raw(client, world, orjson.dumps({"objects": [indicator(1)]}))
    status = r.json()
    assert "failures" not in status and "pendings" not in status
    assert status["failure_count"] == 0 and status["pending_count"] == 0
    again = client.get(f"{ROOT}status/{status['id']}/").json()
    assert again == status
    refused = post_raw(client, world, orjson.dumps({"objects": [{"type": "indicator"}]})).json()
    assert "successes" not in refused and refused["failure_count"] == 1


def test_delete_answers_with_the_taxii_media_type(client, world):
    post_raw(client, world, orjson.dumps({"objects": [indicator(1)]}))
    r = client.delete(f"{ROOT}collections/{world.evidence.id}/objects/{indicator(1)['id']}/")
    assert r.status_code == 200 and r.headers["content-type"] == TAXII
