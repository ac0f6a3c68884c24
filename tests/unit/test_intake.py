"""Screening a request's objects: the patterns it may parse are bounded (the rest refused
unparsed), and a full envelope of single-value indicators fits the bound."""

from __future__ import annotations

import uuid
from typing import Any

from accord import intake
from accord.intake import screen


def identity(n: int, **changes: Any) -> dict[str, Any]:
    return {"type": "identity", "spec_version": "2.1", "id": f"identity--{uuid.uuid4()}",
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
            "name": f"Party {n}", **changes}


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
