"""What an object type is made of: its kind, the check of each property, what it requires, and
the rules that tie its properties together; plus small factories for those rules.

The tables themselves are in `domain_objects` (SDOs, SROs, meta objects) and `observables` (SCOs).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from accord.stix.identifiers import reference, references
from accord.stix.properties import (
    EXTERNAL_REFERENCES,
    LANGUAGE,
    Check,
    Findings,
    boolean,
    integer,
    strings,
    timestamp_in_milliseconds,
)
from accord.stix.timestamps import is_timestamp, sort_key

Rule = Callable[[Mapping[str, Any], Findings], None]

SDO, SRO, SCO, SMO = "SDO", "SRO", "SCO", "SMO"

# §3.2: the common properties, checked wherever they appear. `type`, `id`, `spec_version`,
# `granular_markings` and `extensions` need the whole object and are checked in `validation`.
COMMON_PROPERTIES: dict[str, Check] = {
    "created_by_ref": reference({"identity"}),
    "created": timestamp_in_milliseconds,
    "modified": timestamp_in_milliseconds,
    "revoked": boolean,
    "labels": strings,
    "confidence": integer(0, 100),
    "lang": LANGUAGE,
    "external_references": EXTERNAL_REFERENCES,
    "object_marking_refs": references({"marking-definition"}),
    "defanged": boolean,
}

# §3.2 table: what every object of a kind must carry.
REQUIRED_BY_KIND = {
    SDO: ("spec_version", "id", "created", "modified"),
    SRO: ("spec_version", "id", "created", "modified"),
    SMO: ("spec_version", "id", "created", "modified"),
    SCO: ("id",),
}


@dataclass(frozen=True, slots=True)
class ObjectType:
    name: str
    kind: str  # SDO, SRO, SCO or SMO
    properties: Mapping[str, Check]  # every property with a known type, common ones included
    required: tuple[str, ...]
    rules: tuple[Rule, ...] = ()


def object_type(name: str, kind: str, properties: Mapping[str, Check] | None = None,
                required: tuple[str, ...] = (), rules: tuple[Rule, ...] = (),
                common_required: tuple[str, ...] | None = None) -> ObjectType:
    checks = dict(COMMON_PROPERTIES)
    checks.update(properties or {})
    base = REQUIRED_BY_KIND[kind] if common_required is None else common_required
    return ObjectType(name, kind, checks, base + required, (MODIFIED_AFTER_CREATED, *rules))


# --- rule factories -----------------------------------------------------------------------------


def ordered(later: str, earlier: str, strictly: bool = False, section: str = "",
            rule_code: str = "timestamp-order") -> Rule:
    """`later` must not be before `earlier` (or must be after it, when `strictly`)."""
    relation = "later than" if strictly else "later than or equal to"
    cite = f" ({section})" if section else ""

    def rule(obj: Mapping[str, Any], found: Findings) -> None:
        last = obj.get(later)
        if type(last) is not str:
            return  # absent or not a timestamp: nothing to order (a bad value is reported)
        first = obj.get(earlier)
        if type(first) is not str:
            return
        # Same length, same precision: valid timestamps order like their strings. Only an
        # apparent disorder is worth the full parse.
        if len(last) == len(first) and (last > first or (last == first and not strictly)):
            return
        if not (is_timestamp(last) and is_timestamp(first)):
            return
        last_key, first_key = sort_key(last), sort_key(first)
        if last_key < first_key or (strictly and last_key == first_key):
            found.add(later, rule_code,
                      f"'{later}' ({last}) must be {relation} '{earlier}' ({first}){cite}")

    return rule


# §3.2, §3.6.1: a version is never modified before the object was created.
MODIFIED_AFTER_CREATED = ordered("modified", "created", section="§3.6.1",
                                 rule_code="modified-before-created")


def at_least_one(*names: str, section: str = "") -> Rule:
    cite = f" ({section})" if section else ""

    def rule(obj: Mapping[str, Any], found: Findings) -> None:
        if not any(name in obj for name in names):
            found.add(None, "required-property",
                      f"type '{obj.get('type')}' requires at least one of "
                      f"{', '.join(names)}{cite}")

    return rule


def not_together(first: str, second: str, section: str = "") -> Rule:
    cite = f" ({section})" if section else ""

    def rule(obj: Mapping[str, Any], found: Findings) -> None:
        if first in obj and second in obj:
            found.add(second, "exclusive-properties",
                      f"'{second}' must not be present together with '{first}'{cite}")

    return rule


def requires(name: str, needed: str, section: str = "") -> Rule:
    """When `name` is present, `needed` must be too."""
    cite = f" ({section})" if section else ""

    def rule(obj: Mapping[str, Any], found: Findings) -> None:
        if name in obj and needed not in obj:
            found.add(needed, "required-property",
                      f"'{needed}' is required when '{name}' is present{cite}")

    return rule


def any_property(*ignored: str, section: str = "") -> Rule:
    """The object must carry at least one property beyond `type`, `id` and the `ignored` ones."""
    skip = {"type", "id", "spec_version", "defanged", "object_marking_refs",
            "granular_markings", *ignored}
    cite = f" ({section})" if section else ""

    def rule(obj: Mapping[str, Any], found: Findings) -> None:
        if all(name in skip for name in obj):
            found.add(None, "required-property",
                      f"type '{obj.get('type')}' must carry at least one of its own "
                      f"properties{cite}")

    return rule
