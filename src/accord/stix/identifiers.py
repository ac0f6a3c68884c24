"""Identifiers (§2.9) and the properties that refer to objects by them (§3.3), restricted to
the object types the specification allows there."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from accord.stix.properties import Check, Findings, custom_value, show, unexpected
from accord.stix.vocabularies import BUNDLE

# §2.9: <object-type>--<RFC 4122 UUID>. The type follows the type-name rule of §3.1. The UUID
# in lowercase only: RFC 4122 §3 outputs UUIDs in lowercase and compares them regardless of
# case, so `indicator--0F60…` and `indicator--0f60…` are one object to any tool that lowercases
# ids, while a node that compares strings (the creator rule, look-ups) would hold two.
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\Z"
_TYPE_NAME = r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*"
IDENTIFIER = re.compile(rf"^({_TYPE_NAME})--{UUID}")
RFC_4122_UUID = re.compile(UUID)
UUID_LENGTH = 36
# The same with hexadecimal digits in either case: what is refused as not written in lowercase,
# rather than as no identifier at all.
_ANY_CASE = re.compile(rf"^{_TYPE_NAME}--(?i:{UUID})")

# References repeat across objects (creators, markings, targets): remember the good ones.
_known_identifiers: dict[str, str] = {}


def identifier_type(value: Any) -> str | None:
    """The object type an identifier names, or None when `value` is not an identifier."""
    if type(value) is not str:
        return None
    known = _known_identifiers.get(value)
    if known is not None:
        return known
    if IDENTIFIER.match(value) is None:
        return None
    if len(_known_identifiers) > 100_000:
        _known_identifiers.clear()
    object_type = value[: -UUID_LENGTH - 2]
    _known_identifiers[value] = object_type
    return object_type


def is_uppercase_identifier(value: Any) -> bool:
    """Whether `value` would be an identifier but for uppercase hexadecimal digits in its UUID."""
    return (type(value) is str and _ANY_CASE.match(value) is not None
            and IDENTIFIER.match(value) is None)


def uppercase_problem(path: str, value: str, found: Findings) -> None:
    """Report `value`, an identifier in `path` with uppercase hexadecimal digits, as such."""
    found.add(path, "id-case",
              f"'{path}' must be written in lowercase, {show(value.lower())}, not "
              f"{show(value)}: UUIDs compare regardless of case (RFC 4122 §3), so the two "
              "name one object (§2.9)")


def custom_reference(value: Any, path: str, found: Findings) -> None:
    """A custom `*_ref` or `*_refs` property: any custom value (ATT&CK ships "" in some), but an
    identifier in it written in lowercase, as in every reference the specification defines."""
    custom_value(value, path, found)
    if type(value) is str:
        if value not in _known_identifiers and is_uppercase_identifier(value):
            uppercase_problem(path, value, found)
    elif type(value) is list:
        for index, item in enumerate(value):
            if type(item) is str and item not in _known_identifiers \
                    and is_uppercase_identifier(item):
                uppercase_problem(f"{path}[{index}]", item, found)


def _describe(allowed: frozenset[str] | None, denied: frozenset[str]) -> str:
    if allowed is not None:
        return "an identifier of " + " or ".join(sorted(allowed))
    return "an identifier of any type but " + ", ".join(sorted(denied))


def _reference_problem(value: Any, path: str, found: Findings, expected: str) -> None:
    object_type = identifier_type(value)
    if object_type is not None:
        found.add(path, "reference-type",
                  f"'{path}' must be {expected}, not a reference to {object_type}")
    elif is_uppercase_identifier(value):
        uppercase_problem(path, value, found)
    elif type(value) is str:
        found.add(path, "id-syntax",
                  f"'{path}' must be an identifier <type>--<UUID> (§2.9), not {show(value)}")
    else:
        unexpected(found, path, value, "an identifier string")


def _acceptance(allowed: Collection[str] | None, denied: Collection[str]
                ) -> tuple[frozenset[str] | None, frozenset[str], str]:
    accepted = frozenset(allowed) if allowed is not None else None
    refused = frozenset(denied) | {BUNDLE}  # §8.2: nothing refers to a bundle
    return accepted, refused, _describe(accepted, refused)


def reference(allowed: Collection[str] | None = None, denied: Collection[str] = ()) -> Check:
    """An identifier property (§3.3) that may name only `allowed` types, or any type but the
    `denied` ones (used where the spec says "an SDO", so custom types stay accepted)."""
    accepted, refused, expected = _acceptance(allowed, denied)

    def check(value: Any, path: str, found: Findings) -> None:
        object_type = _known_identifiers.get(value) if type(value) is str else None
        if object_type is None:
            object_type = identifier_type(value)
        if object_type is None or (
            object_type not in accepted if accepted is not None else object_type in refused
        ):
            _reference_problem(value, path, found, expected)

    return check


def references(allowed: Collection[str] | None = None, denied: Collection[str] = ()) -> Check:
    """A non-empty list of identifiers, each restricted like `reference`."""
    accepted, refused, expected = _acceptance(allowed, denied)

    def check(value: Any, path: str, found: Findings) -> None:
        if type(value) is not list or not value:
            unexpected(found, path, value, "a list of identifiers")
            return
        for index, item in enumerate(value):
            object_type = _known_identifiers.get(item) if type(item) is str else None
            if object_type is None:
                object_type = identifier_type(item)
            if object_type is None or (
                object_type not in accepted if accepted is not None else object_type in refused
            ):
                _reference_problem(item, f"{path}[{index}]", found, expected)

    return check


ANY_REFERENCE = reference()
ANY_REFERENCES = references()
