"""Screening ahead on the second core: the same verdicts as screening in place."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import pytest

from accord import intake
from accord.intake import screen, screen_ahead
from accord.stix.bundle_stream import Batch, batches_in


def identity(n: int, **changes: Any) -> dict[str, Any]:
    return {"type": "identity", "spec_version": "2.1", "id": f"identity--{uuid.uuid4()}",
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
            "name": f"Party {n}", **changes}


@pytest.fixture
def batches() -> list[Batch]:
    """Seven batches, every third object invalid (and one that is not an object at all)."""
    objs: list[Any] = [identity(n, **({"created": "yesterday"} if n % 3 == 0 else {}))
                       for n in range(40)]
    objs[5] = "not an object"
    return list(batches_in(io.BytesIO(json.dumps(objs).encode()), first=4, size=6,
                           max_bytes=1 << 20))


def verdicts(screened) -> list[tuple[list[str], list[tuple[str | None, str]]]]:
    return [([o["id"] for o in s.valid], [(r.id, r.message) for r in s.rejected])
            for s in screened]


def test_screening_ahead_gives_each_batch_the_verdicts_of_screening_in_place(batches):
    assert len(batches) == 7
    expected = verdicts(screen(b.objects) for b in batches)
    assert sum(len(rejected) for _, rejected in expected) == 15
    assert verdicts(screen_ahead(iter(batches))) == expected


def test_when_the_helper_process_dies_the_rest_is_screened_in_place(batches, monkeypatch):
    monkeypatch.setattr(intake, "_validate_batches", lambda *fds: 1)  # exits at once
    expected = verdicts(screen(b.objects) for b in batches)
    assert verdicts(screen_ahead(iter(batches))) == expected


def indicator(n: int, pattern: str) -> dict[str, Any]:
    return {"type": "indicator", "spec_version": "2.1",
            "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
            "pattern": pattern, "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z"}


def test_patterns_past_a_requests_budget_are_refused_unparsed_and_the_rest_kept(monkeypatch):
    parsed: list[str] = []
    monkeypatch.setattr(intake, "violations_of", lambda o: parsed.append(o["id"]) or [])
    seven = "[ipv4-addr:value = '198.51.100.1']"  # 7 tokens
    objs = [indicator(n, seven) for n in range(4)] + [identity(9)]
    screened = screen(objs, pattern_budget=20)
    assert [o["id"] for o in screened.valid] == [objs[0]["id"], objs[1]["id"], objs[4]["id"]]
    assert [(r.id, r.violations[0].rule) for r in screened.rejected] == [
        (objs[2]["id"], "pattern-budget"), (objs[3]["id"], "pattern-budget")]
    assert "pattern_budget" in screened.rejected[0].message
    assert parsed == [objs[0]["id"], objs[1]["id"], objs[4]["id"]]
    assert len(screen(objs, pattern_budget=None).valid) == 5  # `accord import`: no budget


def test_a_full_envelope_of_single_value_indicators_fits_the_budget():
    from accord.stix.limits import MAX_PATTERN_TOKENS_PER_REQUEST
    from accord.stix.patterns import size_of

    widest = size_of("[network-traffic:dst_ref.value = '2001:db8::1']").tokens
    assert widest * 10_000 <= MAX_PATTERN_TOKENS_PER_REQUEST  # 10,000: objects per envelope
