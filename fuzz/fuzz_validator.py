"""atheris harness: the STIX validator as intake runs it (`accord.intake.violations_of`).

Input: the bytes of one candidate object, parsed as the TAXII route parses an envelope's
(orjson). Invariants: validation never raises, says the same twice, and what it lets through
can be indexed (`correlation.values.values_in`) and stored (orjson writes it back).
Run: see docs/fuzzing.md.
"""

from __future__ import annotations

from _atheris import fuzz, instrumented

with instrumented(__name__ == "__main__"):
    import orjson

    from accord.correlation.values import values_in
    from accord.intake import violations_of
    from accord.stix.violations import Violation


def test_one_input(data: bytes) -> None:
    try:
        candidate = orjson.loads(data)
    except orjson.JSONDecodeError:
        return
    violations = violations_of(candidate)
    assert isinstance(violations, list)
    assert all(isinstance(v, Violation) for v in violations), violations
    assert violations_of(candidate) == violations, "validation is not deterministic"
    if violations:
        return
    assert isinstance(candidate, dict)
    values_in(candidate)
    assert orjson.loads(orjson.dumps(candidate)) == candidate


if __name__ == "__main__":
    fuzz(test_one_input)
