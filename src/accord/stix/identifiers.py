"""Identifiers (§2.9) and the properties that refer to objects by them (§3.3), restricted to
the object types the specification allows there."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from accord.stix.properties import Check, Findings, show, unexpected
from accord.stix.vocabularies import BUNDLE

# §2.9: <object-type>--<RFC 4122 UUID>. The type follows the type-name rule of §3.1.
UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}\Z"
IDENTIFIER = re.compile(rf"^([a-z][a-z0-9]*(?:-[a-z0-9]+)*)--{UUID}")
RFC_4122_UUID = re.compile(UUID)
UUID_LENGTH = 36

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


def _describe(allowed: frozenset[str] | None, denied: frozenset[str]) -> str:
    if allowed is not None:
        return "an identifier of " + " or ".join(sorted(allowed))
    return "an identifier of any type but " + ", ".join(sorted(denied))


def _reference_problem(value: Any, path: str, found: Findings, expected: str) -> None:
    object_type = identifier_type(value)
    if object_type is not None:
        found.add(path, "reference-type",
                  f"'{path}' must be {expected}, not a reference to {object_type}")
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
