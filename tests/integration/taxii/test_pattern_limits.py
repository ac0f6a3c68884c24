"""What the patterns of one POST may cost: each pattern's limits, and a budget for the whole
envelope that follows the objects an envelope may hold."""

from __future__ import annotations

from dataclasses import replace

import orjson

from accord.stix.limits import MAX_PATTERN_COMPARISONS, MAX_PATTERN_TOKENS

TAXII = "application/taxii+json;version=2.1"


def indicator(n: int, pattern: str) -> dict:
    return {"type": "indicator", "spec_version": "2.1",
            "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
            "pattern": pattern, "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z"}


def post(client, world, objects: list[dict]) -> dict:
    r = client.post(f"/taxii2/accord/collections/{world.evidence.id}/objects/",
                    content=orjson.dumps({"objects": objects}),
                    headers={"Content-Type": TAXII})
    assert r.status_code == 202, r.text
    return r.json()


def in_list(values: int) -> str:
    """A pattern of `values` MD5s in one IN list: two tokens a value."""
    return "[file:hashes.MD5 IN (" + ", ".join(f"'{n:032x}'" for n in range(values)) + ")]"


def test_a_pattern_over_a_limit_is_refused_by_name_and_the_rest_is_stored(client, world):
    fine = indicator(1, "[ipv4-addr:value = '198.51.100.7']")
    large = indicator(2, in_list(MAX_PATTERN_COMPARISONS + 1))
    status = post(client, world, [fine, large])
    assert status["success_count"] == 1 and status["failures"][0]["id"] == large["id"]
    message = status["failures"][0]["message"]
    assert "[pattern-limit]" in message and "MAX_PATTERN_COMPARISONS" in message
    assert len(message) < 500


def test_an_envelope_past_its_pattern_budget_stores_what_came_first(client, world):
    world.node.info = replace(world.node.info, max_objects=5)  # budget: one largest pattern
    half = in_list(MAX_PATTERN_TOKENS // 4)  # half the budget, over the comparisons limit
    objects = [indicator(1, half), indicator(2, "[ipv4-addr:value = '198.51.100.7']"),
               indicator(3, half), indicator(4, "[ipv4-addr:value = '198.51.100.8']")]
    status = post(client, world, objects)
    assert [s["id"] for s in status["successes"]] == [objects[1]["id"]]
    rules = {f["id"]: f["message"].rsplit("[", 1)[1] for f in status["failures"]}
    assert rules == {objects[0]["id"]: "pattern-limit]", objects[2]["id"]: "pattern-budget]",
                     objects[3]["id"]: "pattern-budget]"}
    again = post(client, world, objects[3:])  # sent again, alone: taken
    assert again["success_count"] == 1
