"""atheris harness: the STIX pattern scanner (`stix.patterns`) and the correlation index's
reading of the values a pattern names (`correlation.values`).

Input: the UTF-8 bytes of a pattern. Invariants: neither raises; a pattern the validator
accepts has comparisons; the index's fast readings of a pattern (one comparison, or a run of
plain ones, read by regular expression) name exactly what the full grammar names; every value
read is already canonical.
Run: see docs/fuzzing.md.
"""

from __future__ import annotations

import re

from _atheris import fuzz, instrumented

with instrumented(__name__ == "__main__"):
    # Imported by the scanner only when first used: here, so that they are instrumented too.
    import stix2patterns.v21.pattern  # noqa: F401
    import stix2patterns.validator  # noqa: F401

    from accord.correlation.values import _grammar_values, _pattern_values, canonical, values_in
    from accord.stix.patterns import comparisons_of, pattern_errors

NETWORK_FORM = {"ipv4": re.compile(r"[0-9a-f]{8}/(?:[0-9]|[12][0-9]|3[0-2])"),
                "ipv6": re.compile(r"[0-9a-f]{32}/(?:[0-9]|[1-9][0-9]|1[01][0-9]|12[0-8])")}


def test_one_input(data: bytes) -> None:
    try:
        pattern = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    errors = pattern_errors(pattern)
    assert isinstance(errors, tuple) and all(isinstance(e, str) for e in errors)
    comparisons = comparisons_of(pattern)
    found = values_in({"type": "indicator", "pattern_type": "stix", "pattern": pattern})
    if errors:
        return
    assert comparisons, f"a valid pattern with no comparison: {pattern!r}"
    fast = {v for v in _pattern_values(pattern) if v is not None}
    full = {v for v in _grammar_values(pattern) if v is not None}
    assert fast == full, f"{pattern!r}: the fast reading {fast} is not the grammar's {full}"
    for value in found:
        if value.kind in NETWORK_FORM:  # kept as hex network/prefix, the index's own form
            assert NETWORK_FORM[value.kind].fullmatch(value.value), f"{value} is malformed"
        else:
            assert canonical(value.kind, value.value) == value, f"{value} is not canonical"


if __name__ == "__main__":
    fuzz(test_one_input)
