"""The few shapes most STIX patterns take, read without the grammar.

Indicator feeds are mostly one observable per indicator — `[ipv4-addr:value = '198.51.100.1']`,
`[domain-name:value = '…']`, `[url:value = '…']`, `[file:hashes.'SHA-256' = '…']` — or an OR of
a few. The ANTLR grammar takes about 2 ms for each of them; this reads them in microseconds and
answers exactly what the grammar would (stix.patterns): valid, with the same comparisons in the
same order. Anything else, or anything in doubt, is left to the grammar (`None`).
"""

from __future__ import annotations

import re

Comparison = tuple[str, tuple[str, ...], str, str]  # object type, path, operator, literal

# Only what the grammar skips between tokens (its WS rule includes these), no comments.
_SPACE = r"[ \t\r\n]"
# A string literal as the grammar's lexer reads it (§9.3: only ' and \ are escaped).
_LITERAL = r"'(?:[^'\\]++|\\['\\])*+'"
_VALUE = re.compile(
    rf"{_SPACE}*+(ipv4-addr|ipv6-addr|domain-name|url|email-addr):value"
    rf"(?:{_SPACE}*+(=)|{_SPACE}++(ISSUBSET){_SPACE})"
    rf"{_SPACE}*+({_LITERAL})"
)
# Hash names whose literal the grammar's validator checks, with the length it wants; a literal
# of other characters or another length is the grammar's to refuse, in its words.
_HASH_LENGTHS = {"MD5": 32, "SHA-1": 40, "SHA-256": 64, "SHA-512": 128}
_HASH = re.compile(
    rf"{_SPACE}*+file:hashes\.(?:'(MD5|SHA-1|SHA-256|SHA-512)'|(MD5))"
    rf"{_SPACE}*+={_SPACE}*+'([0-9A-Fa-f]++)'"
)
_OPEN = re.compile(rf"{_SPACE}*+\[")
_CLOSE = re.compile(rf"{_SPACE}*+\]")
# OR between comparisons or observations: a space after it, so that it is not read as the
# start of a name (ORfile), and before it unless a literal's quote or a bracket ends there.
_OR = re.compile(rf"{_SPACE}*+OR{_SPACE}++")
_END = re.compile(rf"{_SPACE}*+")


def simple_comparisons(pattern: str) -> tuple[Comparison, ...] | None:
    """The comparisons of `pattern` as the grammar's inspector lists them (grouped by object
    type, in the order each type first appears), if it is one of the common shapes: one or
    more observations in brackets joined by OR, each one or more comparisons joined by OR, each
    an `=` (or ISSUBSET) of a string literal to ipv4-addr, ipv6-addr, domain-name, url or
    email-addr :value, or of a hexadecimal hash of the right length to file:hashes. MD5, SHA-1,
    SHA-256 or SHA-512. Such a pattern is a valid STIX 2.1 pattern. None: any other pattern."""
    by_type: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
    position = 0
    while True:  # observations: [ comparison (OR comparison)* ] (OR [ … ])*
        opened = _OPEN.match(pattern, position)
        if opened is None:
            return None
        position = opened.end()
        while True:
            found = _comparison(pattern, position)
            if found is None:
                return None
            object_type, comparison, position = found
            by_type.setdefault(object_type, []).append(comparison)
            joined = _OR.match(pattern, position)
            if joined is None:
                break
            position = joined.end()
        closed = _CLOSE.match(pattern, position)
        if closed is None:
            return None
        position = closed.end()
        joined = _OR.match(pattern, position)
        if joined is None:
            break
        position = joined.end()
    if _END.match(pattern, position).end() != len(pattern):  # type: ignore[union-attr]
        return None
    return tuple((object_type, path, operator, literal)
                 for object_type, found in by_type.items() for path, operator, literal in found)


def _comparison(pattern: str, position: int
                ) -> tuple[str, tuple[tuple[str, ...], str, str], int] | None:
    value = _VALUE.match(pattern, position)
    if value is not None:
        object_type, equals, subset, literal = value.groups()
        return object_type, (("value",), equals or subset, literal), value.end()
    hashed = _HASH.match(pattern, position)
    if hashed is None:
        return None
    quoted, bare, digits = hashed.groups()
    name = quoted or bare
    if len(digits) != _HASH_LENGTHS[name]:
        return None
    return "file", (("hashes", name), "=", f"'{digits}'"), hashed.end()
