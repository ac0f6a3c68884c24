"""What a STIX pattern may cost: counted in one pass before the grammar, refused past the limits
of accord.stix.limits, and the real patterns well inside them."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from accord.stix import patterns
from accord.stix.limits import (
    MAX_PATTERN_COMPARISONS,
    MAX_PATTERN_LENGTH,
    MAX_PATTERN_NESTING,
    MAX_PATTERN_TOKENS,
)
from accord.stix.patterns import comparisons_of, pattern_errors, size_of
from accord.stix.validation import validate

OASIS = Path(__file__).parents[2] / "fixtures" / "oasis"


def hashes_or(count: int, seed: int = 1) -> str:
    rnd = random.Random(seed)
    return "[" + " OR ".join(f"file:hashes.'SHA-256' = '{rnd.getrandbits(256):064x}'"
                             for _ in range(count)) + "]"


def indicator(pattern: str) -> dict[str, Any]:
    return {"type": "indicator", "spec_version": "2.1",
            "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
            "pattern": pattern, "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z"}


@pytest.fixture
def grammar_calls(monkeypatch) -> list[str]:
    """The patterns that reached the grammar (which is still run)."""
    calls: list[str] = []
    parse = patterns._parsed_errors

    def counted(pattern: str, version: str) -> tuple[str, ...]:
        calls.append(pattern)
        return parse(pattern, version)

    monkeypatch.setattr(patterns, "_parsed_errors", counted)
    patterns._cached_errors.cache_clear()
    return calls


def test_a_pattern_is_measured_in_tokens_comparisons_and_nesting():
    size = size_of("([file:hashes.'SHA-256' = 'ab' AND file:size > 5]) WITHIN 5 SECONDS")
    assert (size.tokens, size.comparisons, size.nesting) == (20, 2, 2)
    assert size_of("[file:name IN ('a', 'b,c', 'd')]").comparisons == 3  # IN: one per value
    assert size_of("[file:name = 'a\\'b\\\\']").tokens == 7  # escapes stay in their literal
    assert size_of("[file:name LIKE 'x' OR file:name != 'y']").comparisons == 2


def test_every_real_pattern_is_well_inside_the_limits():
    found = []
    for path in OASIS.glob("*.json"):
        found += [o["pattern"] for o in json.loads(path.read_text()).get("objects", [])
                  if o.get("type") == "indicator"]
    assert len(found) > 10
    sizes = [size_of(p) for p in found]
    assert max(s.tokens for s in sizes) * 20 < MAX_PATTERN_TOKENS
    assert max(s.comparisons for s in sizes) * 20 < MAX_PATTERN_COMPARISONS
    assert all(patterns.over_limits(s) is None for s in sizes)


def test_an_or_of_five_hundred_hashes_is_a_valid_pattern():
    assert validate(indicator(hashes_or(MAX_PATTERN_COMPARISONS))) == []


@pytest.mark.parametrize(("pattern", "limit"), [
    (hashes_or(MAX_PATTERN_COMPARISONS + 1), "MAX_PATTERN_COMPARISONS"),
    ("[file:name = '" + "a" * MAX_PATTERN_LENGTH + "']", "MAX_PATTERN_LENGTH"),
    ("[file:" + ".".join(["a"] * MAX_PATTERN_TOKENS) + " = 'x']", "MAX_PATTERN_TOKENS"),
    ("(" * MAX_PATTERN_NESTING + "[file:name = 'x']" + ")" * MAX_PATTERN_NESTING,
     "MAX_PATTERN_NESTING"),
    ("[file:name IN (" + ", ".join(["'x'"] * (MAX_PATTERN_COMPARISONS + 1)) + ")]",
     "MAX_PATTERN_COMPARISONS"),
])
def test_a_pattern_over_a_limit_is_refused_naming_it_without_being_parsed(
        pattern, limit, grammar_calls):
    violations = validate(indicator(pattern))
    assert [(v.rule, v.property) for v in violations] == [("pattern-limit", "pattern")]
    assert limit in violations[0].message
    assert grammar_calls == []
    assert pattern_errors(pattern)[0].endswith(violations[0].message.split(": ", 1)[1])
    assert comparisons_of(pattern) == ()


def test_a_literal_that_never_ends_is_a_syntax_error_found_before_the_grammar(grammar_calls):
    # The grammar's lexer retries such a literal from each quote after it: 4,000 characters
    # of escaped quotes took it 9 s, 16,000 took 105 s.
    pattern = "[file:name = '" + "a\\'" * 15_000
    violations = validate(indicator(pattern))
    assert [v.rule for v in violations] == ["pattern-syntax"]
    assert "character 14 does not end" in violations[0].message
    assert size_of("[file:name = 'a\\b']").unclosed_at == 13  # only \' and \\ escape
    assert grammar_calls == []


def test_the_grammar_still_judges_every_pattern_within_the_limits_but_the_common_shapes(
        grammar_calls):
    assert pattern_errors("[file:name = 'a'] WITHIN 5 SECONDS WITHIN 6 SECONDS")
    assert pattern_errors("[file:name = ]")
    assert len(grammar_calls) == 2


def test_a_grammar_message_that_quotes_a_long_pattern_is_shortened():
    # The grammar's hash check reads an IN list as one value, and quotes it whole.
    values = ", ".join(f"'{n:032x}'" for n in range(400))
    message = pattern_errors(f"[file:hashes.MD5 IN ({values})]")[0]
    assert "is not a valid MD5 hash" not in message and len(message) < 400
    assert message.endswith("characters)")


def test_only_small_patterns_are_kept_in_the_cache():
    patterns._cached_errors.cache_clear()
    # ANDs, not ORs: an OR of hashes is a common shape, not parsed at all (stix.pattern_shapes).
    pattern_errors(hashes_or(3).replace(" OR ", " AND "))
    pattern_errors(hashes_or(40).replace(" OR ", " AND "))  # 3,700 characters
    assert patterns._cached_errors.cache_info().currsize == 1
