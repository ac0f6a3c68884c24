"""The common pattern shapes read without the grammar: the same answers as the grammar, on
generated patterns in and around those shapes."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.stix import patterns
from accord.stix.pattern_shapes import simple_comparisons
from accord.stix.patterns import comparisons_of, over_limits, pattern_errors, size_of

# Near the shapes and just outside them: other types, properties, operators and hash names,
# keywords in the wrong case, whitespace the grammar skips and some it does not.
_TYPES = ["ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "file", "x-custom",
          "ipv4_addr", "IPV4-addr", "a"]
_PATHS = ["value", "value", "name", "hashes.'SHA-256'", "hashes.'SHA-1'", "hashes.'MD5'",
          "hashes.MD5", "hashes.'SHA-512'", "hashes.SHA256", "hashes.'TLSH'", "hashes.'sha-256'",
          "hashes.'SHA3-256'", "value.x", "hashes"]
_OPERATORS = ["=", "=", "ISSUBSET", "!=", "LIKE", "==", "issubset", "ISSUPERSET", "IN"]
_SPACES = ["", " ", " ", "  ", "\t", "\n", "\r\n", "\x0b", "\u00a0", "\u2003", "/**/"]
_JOINS = ["OR", "OR", "or", "AND", "FOLLOWEDBY", "Or"]
_HEX = "0123456789abcdefABCDEF"
_TEXT = st.lists(st.sampled_from(list("abc.-/:_ 1'\\é\n\t[]=") + ["\\'", "\\\\"]),
                 max_size=12).map("".join)


@st.composite
def literals(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["hex", "hex", "text", "escaped", "broken"]))
    if kind == "hex":  # the right length for some hash, or near it
        length = draw(st.sampled_from([32, 40, 64, 128, 31, 63, 65, 0, 56]))
        rnd = random.Random(draw(st.integers(0, 1000)))
        return "'" + "".join(rnd.choice(_HEX) for _ in range(length)) + "'"
    text = draw(_TEXT)
    if kind == "escaped":
        text = text.replace("\\", "\\\\").replace("'", "\\'")
    elif kind == "broken":
        return draw(st.sampled_from(["", "1", "h'00'", "t'2020-01-01T00:00:00Z'", "\"a\""]))
    return f"'{text}'"


@st.composite
def comparisons(draw: st.DrawFn) -> str:
    space = st.sampled_from(_SPACES)
    return (draw(st.sampled_from(_TYPES)) + ":" + draw(st.sampled_from(_PATHS))
            + draw(space) + draw(st.sampled_from(_OPERATORS)) + draw(space)
            + draw(literals()))


@st.composite
def near_common_shapes(draw: st.DrawFn) -> str:
    space = st.sampled_from(_SPACES)

    def joined(parts: list[str]) -> str:
        text = parts[0]
        for part in parts[1:]:
            text += draw(space) + draw(st.sampled_from(_JOINS)) + draw(space) + part
        return text

    observations = [
        draw(st.sampled_from(["[", "[", "(["])) + draw(space)
        + joined(draw(st.lists(comparisons(), min_size=1, max_size=3))) + draw(space)
        + draw(st.sampled_from(["]", "]", "])", ""]))
        for _ in range(draw(st.integers(1, 3)))]
    return draw(space) + joined(observations) + draw(space)


@settings(max_examples=400, deadline=None)
@given(near_common_shapes())
def test_the_fast_path_answers_as_the_grammar_does(pattern: str) -> None:
    fast = simple_comparisons(pattern)
    grammar_errors = patterns._parsed_errors(pattern, "2.1")
    if fast is not None:  # then valid, with the grammar's comparisons in the grammar's order
        assert grammar_errors == ()
        assert fast == patterns._comparisons(pattern)
    size = size_of(pattern)
    if size.unclosed_at is None and over_limits(size) is None:  # else refused before either
        patterns._cached_errors.cache_clear()
        patterns._cached_comparisons.cache_clear()
        assert pattern_errors(pattern) == grammar_errors
        assert comparisons_of(pattern) == patterns._comparisons(pattern)


COMMON = [
    "[ipv4-addr:value = '198.51.100.1']",
    "[ipv6-addr:value = '2001:db8::1']",
    "[domain-name:value = 'example.com']",
    "[url:value = 'http://example.com/a?b=\\'c\\'']",
    "[email-addr:value = 'a@example.com']",
    "[ipv4-addr:value ISSUBSET '10.0.0.0/24']",
    "[file:hashes.'SHA-256' = '" + "ab" * 32 + "']",
    "[file:hashes.MD5 = '" + "0F" * 16 + "']",
    "[file:hashes.'SHA-1' = '" + "1" * 40 + "' OR file:hashes.'SHA-512' = '" + "e" * 128 + "']",
    "[domain-name:value = 'a.example' OR ipv4-addr:value = '192.0.2.1' OR "
    "domain-name:value = 'b.example']",
    "[ipv4-addr:value = '192.0.2.1'] OR [url:value = 'https://example.org/']",
    " [ipv4-addr:value='192.0.2.1']\n",
]


def test_the_common_shapes_never_reach_the_grammar(monkeypatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(patterns, "_parsed_errors", lambda p, v: calls.append(p) or ("no",))
    monkeypatch.setattr(patterns, "_comparisons", lambda p: calls.append(p) or ())
    patterns._cached_errors.cache_clear()
    patterns._cached_comparisons.cache_clear()
    for pattern in COMMON:
        assert pattern_errors(pattern) == ()
        assert comparisons_of(pattern)
    assert calls == []


def test_the_common_shapes_are_read_as_the_grammar_reads_them() -> None:
    for pattern in COMMON:
        assert patterns._parsed_errors(pattern, "2.1") == ()
        assert simple_comparisons(pattern) == patterns._comparisons(pattern)


def test_a_hash_of_the_wrong_length_is_left_to_the_grammar_and_refused() -> None:
    short = "[file:hashes.'SHA-256' = 'abc']"
    assert simple_comparisons(short) is None
    assert pattern_errors(short) == ("FAIL: 'abc' is not a valid SHA-256 hash",)


def test_other_shapes_are_left_to_the_grammar() -> None:
    for pattern in ["[ipv4-addr:value = '1.2.3.4' AND ipv4-addr:value = '5.6.7.8']",
                    "[ipv4-addr:value = '1.2.3.4'] WITHIN 5 SECONDS",
                    "[file:name = 'a.exe']", "[ipv4-addr:value = '1.2.3.4' or url:value = 'a']",
                    "ipv4-addr:value = '1.2.3.4'", "[ipv4-addr:value IN ('a', 'b')]"]:
        assert simple_comparisons(pattern) is None
