"""STIX patterns (§9): does an indicator's pattern parse, and does it name well-formed types?

Parsing is slow (an ANTLR grammar), and the same patterns come back again and again (new versions
of an indicator, re-imports), so results are cached.
"""

from __future__ import annotations

from functools import lru_cache

from accord.stix.properties import PROPERTY_NAME, TYPE_NAME


@lru_cache(maxsize=4096)
def pattern_errors(pattern: str, version: str = "2.1") -> tuple[str, ...]:
    """Why `pattern` is not a valid STIX pattern of the given pattern version; () when it is."""
    # Imported here: the grammar takes ~40 ms to load, wasted on data without indicators.
    from stix2patterns.v21.pattern import Pattern
    from stix2patterns.validator import run_validator

    try:
        errors = run_validator(pattern, stix_version="2.0" if version == "2.0" else "2.1")
    except Exception as error:  # the grammar library raises on some inputs (e.g. "")
        return (f"the pattern cannot be parsed ({type(error).__name__})",)
    if errors:
        return tuple(str(error) for error in errors)
    if version == "2.0":
        return ()
    try:
        comparisons = Pattern(pattern).inspect().comparisons
    except Exception as error:
        return (f"the pattern cannot be inspected ({type(error).__name__})",)
    problems: list[str] = []
    for object_type, expressions in comparisons.items():
        # §9.7: object paths name SCO types and their properties, by the names of §3.1.
        if not (3 <= len(object_type) <= 250 and TYPE_NAME.match(object_type)):
            problems.append(f"'{object_type}' is not a valid object type name")
        for path, _operator, _value in expressions:
            name = path[0] if path else ""
            if name != "id" and (not isinstance(name, str) or PROPERTY_NAME.match(name) is None):
                problems.append(f"'{name}' is not a valid property name of '{object_type}'")
    return tuple(problems)


Comparison = tuple[str, tuple[str, ...], str, str]  # object type, path, operator, literal


@lru_cache(maxsize=4096)
def comparisons_of(pattern: str) -> tuple[Comparison, ...]:
    """Every comparison of a valid STIX 2.1 pattern, as the grammar reads it, e.g.
    ("network-traffic", ("dst_ref", "value"), "=", "'198.51.100.1'"); () if it does not parse.
    Literals keep their pattern spelling (quotes, escapes; `IN` lists in parentheses)."""
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
