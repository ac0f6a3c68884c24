"""STIX patterns (§9): does an indicator's pattern parse, and does it name well-formed types?

Parsing is slow (an ANTLR grammar, 0.1-0.25 ms a token), so a pattern's size and cost are
counted first, in one linear scan, and a pattern over the limits of `accord.stix.limits` never
reaches the grammar. The same small patterns come back again and again (new versions of an
indicator, re-imports), so their results are cached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from accord.stix.limits import (
    MAX_PATTERN_COMPARISONS,
    MAX_PATTERN_LENGTH,
    MAX_PATTERN_NESTING,
    MAX_PATTERN_TOKENS,
)
from accord.stix.pattern_shapes import Comparison, simple_comparisons
from accord.stix.properties import PROPERTY_NAME, is_type_name

# The grammar's tokens, near enough to count them. A quote opens a literal (string, or the
# t'', h'', b'' ones, or a quoted path step); inside, a backslash escapes only ' and \ (§9.3).
# Possessive: a quote that opens no literal is found in one pass, not once per quote after it.
_TOKEN = re.compile(
    r"(?P<literal>'(?:[^'\\]++|\\['\\])*+')"
    r"|(?P<unclosed>')"
    r"|(?P<word>[A-Za-z0-9_\-]++)"
    r"|(?P<operator>!=|<=|>=|[=<>])"
    r"|(?P<open>[\[(])|(?P<close>[\])])"
    r"|(?P<comma>,)"
    r"|\S"
)
_COMPARING_WORDS = frozenset({"LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET", "EXISTS"})
_CACHED_UP_TO = 2048  # characters: a cache of 4,096 patterns of 64 KiB would hold 256 MiB


@dataclass(frozen=True, slots=True)
class PatternSize:
    """What a pattern would cost the grammar, counted without it. Counting stops past
    MAX_PATTERN_TOKENS: `tokens` is then MAX_PATTERN_TOKENS + 1."""

    length: int
    tokens: int
    comparisons: int  # an IN list counts one for each of its values
    nesting: int
    unclosed_at: int | None = None  # where a quote opens a literal that is never closed


def size_of(pattern: str) -> PatternSize:
    """The size of `pattern`, in one pass (about a microsecond a token); not even that for a
    pattern over MAX_PATTERN_LENGTH."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        return PatternSize(len(pattern), 0, 0, 0)
    tokens = comparisons = depth = deepest = 0
    in_list = False
    for token in _TOKEN.finditer(pattern):
        tokens += 1
        if tokens > MAX_PATTERN_TOKENS:
            break
        kind = token.lastgroup
        if kind == "open":
            depth += 1
            deepest = max(deepest, depth)
        elif kind == "close":
            depth -= 1
            in_list = False
        elif kind == "operator":
            comparisons += 1
        elif kind == "word":
            word = token.group()
            if word == "IN":
                comparisons += 1
                in_list = True
            elif word in _COMPARING_WORDS:
                comparisons += 1
        elif kind == "comma" and in_list:
            comparisons += 1
        elif kind == "unclosed":
            return PatternSize(len(pattern), tokens, comparisons, deepest, token.start())
    return PatternSize(len(pattern), tokens, comparisons, deepest)


def over_limits(size: PatternSize) -> str | None:
    """Which limit of `accord.stix.limits` a pattern of this size is over, in words; or None."""
    for count, limit, name, what in (
        (size.length, MAX_PATTERN_LENGTH, "MAX_PATTERN_LENGTH", "characters"),
        (size.tokens, MAX_PATTERN_TOKENS, "MAX_PATTERN_TOKENS",
         "tokens (words, values and signs)"),
        (size.comparisons, MAX_PATTERN_COMPARISONS, "MAX_PATTERN_COMPARISONS", "comparisons"),
        (size.nesting, MAX_PATTERN_NESTING, "MAX_PATTERN_NESTING",
         "levels of brackets and parentheses inside one another"),
    ):
        if count > limit:
            # Tokens are counted only up to one past the limit.
            held = f"more than {limit:,}" if name == "MAX_PATTERN_TOKENS" else f"{count:,}"
            return (f"the pattern holds {held} {what}; this node parses patterns of at most "
                    f"{limit:,} ({name}): simplify it or split it into several indicators")
    return None


def pattern_errors(pattern: str, version: str = "2.1", size: PatternSize | None = None
                   ) -> tuple[str, ...]:
    """Why `pattern` is not a valid STIX pattern of the given pattern version; () when it is.
    A pattern over the limits is not parsed: that is its error. `size`: its size_of, when the
    caller has it already (the scan is a third of validating a simple indicator)."""
    size = size_of(pattern) if size is None else size
    too_large = over_limits(size)
    if too_large is not None:
        return (too_large,)
    if size.unclosed_at is not None:
        # The grammar's lexer would retry the literal from every quote after this one: a few
        # thousand escaped quotes took minutes.
        return (f"the quoted literal that starts at character {size.unclosed_at + 1} does not "
                "end: it is never closed, or a backslash in it precedes something other than "
                "' or \\",)
    if version != "2.0" and simple_comparisons(pattern) is not None:
        return ()  # one of the common shapes, valid as the grammar would find it
    if len(pattern) > _CACHED_UP_TO:
        return _parsed_errors(pattern, version)
    return _cached_errors(pattern, version)


@lru_cache(maxsize=4096)
def _cached_errors(pattern: str, version: str) -> tuple[str, ...]:
    return _parsed_errors(pattern, version)


def _parsed_errors(pattern: str, version: str) -> tuple[str, ...]:
    # Imported here: the grammar takes ~40 ms to load, wasted on data without indicators.
    from stix2patterns.v21.pattern import Pattern
    from stix2patterns.validator import run_validator

    try:
        errors = run_validator(pattern, stix_version="2.0" if version == "2.0" else "2.1")
    except Exception as error:  # the grammar library raises on some inputs (e.g. "")
        return (f"the pattern cannot be parsed ({type(error).__name__})",)
    if errors:
        # The grammar's messages may quote the whole pattern (an IN list, for one).
        return tuple(_shortened(str(error)) for error in errors)
    if version == "2.0":
        return ()
    try:
        comparisons = Pattern(pattern).inspect().comparisons
    except Exception as error:
        return (f"the pattern cannot be inspected ({type(error).__name__})",)
    problems: list[str] = []
    for object_type, expressions in comparisons.items():
        # §9.7: object paths name SCO types and their properties, by the names of §3.1.
        if not is_type_name(object_type):
            problems.append(f"'{object_type}' is not a valid object type name")
        for path, _operator, _value in expressions:
            name = path[0] if path else ""
            if name != "id" and (not isinstance(name, str) or PROPERTY_NAME.match(name) is None):
                problems.append(f"'{name}' is not a valid property name of '{object_type}'")
    return tuple(problems)


def _shortened(message: str, most: int = 300) -> str:
    return message if len(message) <= most else f"{message[:most]}… ({len(message):,} characters)"


def comparisons_of(pattern: str) -> tuple[Comparison, ...]:
    """Every comparison of a valid STIX 2.1 pattern, as the grammar reads it, e.g.
    ("network-traffic", ("dst_ref", "value"), "=", "'198.51.100.1'"); () if it does not parse
    or is over the limits. Literals keep their pattern spelling (quotes, escapes; `IN` lists
    in parentheses)."""
    size = size_of(pattern)
    if over_limits(size) is not None or size.unclosed_at is not None:
        return ()
    simple = simple_comparisons(pattern)
    if simple is not None:
        return simple
    if len(pattern) > _CACHED_UP_TO:
        return _comparisons(pattern)
    return _cached_comparisons(pattern)


@lru_cache(maxsize=4096)
def _cached_comparisons(pattern: str) -> tuple[Comparison, ...]:
    return _comparisons(pattern)


def _comparisons(pattern: str) -> tuple[Comparison, ...]:
    from stix2patterns.v21.pattern import Pattern

    try:
        found = Pattern(pattern).inspect().comparisons
    except Exception:  # an invalid pattern mentions nothing
        return ()
    # The grammar spells a `[*]` index as a sentinel object; here it is "*".
    return tuple((object_type, tuple(p if isinstance(p, str) else str(p) if isinstance(p, int)
                                     else "*" for p in path), operator, literal)
                 for object_type, expressions in found.items()
                 for path, operator, literal in expressions)
