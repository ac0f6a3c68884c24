"""Validate one STIX 2.1 object against the MUST rules of the specification, fast.

`validate(obj)` returns the list of `Violation`s, empty for a valid object, and never raises.
It makes one pass over the object's properties, looking each up in a table built at import
(`domain_objects`, `observables`); custom object types and custom properties are accepted with
the common rules applied, as the specification allows (§11).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from accord.stix import domain_objects, observables
from accord.stix.extensions import extensions
from accord.stix.granular_markings import granular_markings
from accord.stix.identifiers import (
    RFC_4122_UUID,
    UUID_LENGTH,
    custom_reference,
    identifier_type,
    is_uppercase_identifier,
    uppercase_problem,
)
from accord.stix.object_types import SCO, SDO, ObjectType, object_type
from accord.stix.properties import (
    BINARY,
    HEX,
    PROPERTY_NAME,
    Check,
    Findings,
    custom_value,
    is_type_name,
    json_type,
    show,
    string,
    unexpected,
)
from accord.stix.violations import Violation
from accord.stix.vocabularies import BUNDLE, RESERVED_PROPERTY_NAMES, RESERVED_TYPE_NAMES

SPEC_VERSION = "2.1"


def _checked_by_validate(value: Any, path: str, found: Findings) -> None:
    """`id` and `spec_version` are checked before the property loop."""


# Properties whose check needs the whole object, the same for every type.
OBJECT_LEVEL: dict[str, Check] = {
    "type": string,  # a known type name, or reported by `_custom_plan`: cheap either way
    "id": _checked_by_validate,
    "spec_version": _checked_by_validate,
    "granular_markings": granular_markings,
    "extensions": extensions,
}

# A custom object type that is versioned (has created/modified) is checked as an SDO, one that
# is not as an SCO — the same reading the OASIS validator makes.
CUSTOM_OBJECT = object_type("custom object", SDO)
CUSTOM_OBSERVABLE = object_type("custom observable", SCO)

OBJECT_TYPES: dict[str, ObjectType] = {
    spec.name: spec for spec in (*domain_objects.TYPES, *observables.TYPES)
}
SCALARS = frozenset({str, bool, int, float})
CONTAINERS = frozenset({list, dict})


class _Plan(NamedTuple):
    """What `validate` needs of a type, in one lookup."""

    spec: ObjectType
    checks: dict[str, Check]  # every known property, object-level ones included
    is_observable: bool


def _plan(spec: ObjectType) -> _Plan:
    return _Plan(spec, {**spec.properties, **OBJECT_LEVEL}, spec.kind == SCO)


_PLANS = {name: _plan(spec) for name, spec in OBJECT_TYPES.items()}
_CUSTOM_OBJECT_PLAN = _plan(CUSTOM_OBJECT)
_CUSTOM_OBSERVABLE_PLAN = _plan(CUSTOM_OBSERVABLE)


def validate(obj: object) -> list[Violation]:
    """The MUST rules of STIX 2.1 that `obj` breaks; [] when it is a valid STIX object."""
    try:
        return _validate(obj)
    except Exception as error:  # a validator bug must refuse the object, not crash intake
        object_id = obj.get("id") if isinstance(obj, dict) else None
        return [Violation(object_id if isinstance(object_id, str) else None, None,
                          "unvalidatable", f"the object could not be validated ({error!r})")]


def _validate(obj: object) -> list[Violation]:
    if type(obj) is not dict:
        if not isinstance(obj, Mapping):
            return [Violation(None, None, "not-an-object",
                              f"a STIX object must be a JSON object, not {json_type(obj)}")]
        obj = dict(obj)
    raw_id = obj.get("id")
    found = Findings(raw_id if type(raw_id) is str else None, obj)
    kind = obj.get("type")
    plan = _PLANS.get(kind) if type(kind) is str else None
    if plan is None:
        plan = _custom_plan(kind, obj, found)
        if plan is None:  # no usable type: check what does not depend on it
            plan, kind = _CUSTOM_OBSERVABLE_PLAN, None
    spec, checks = plan.spec, plan.checks
    if not _has_identifier_of(raw_id, kind):
        _check_id(raw_id, kind, found)
    spec_version = obj.get("spec_version", SPEC_VERSION)
    if spec_version != SPEC_VERSION:
        found.add("spec_version", "spec-version",
                  f"'spec_version' must be '2.1', not {show(spec_version)} (§3.2)")
    for name in spec.required:
        if name not in obj:
            whose = f"for type '{kind}'" if kind is not None else "on every STIX object"
            found.add(name, "required-property", f"'{name}' is required {whose}")
    for name, value in obj.items():
        check = checks.get(name)
        if check is None:
            _custom_property(name, value, found, checks)
            continue
        # The two commonest checks, inlined: a string, and a custom value.
        if check is string:
            if type(value) is not str:
                unexpected(found, name, value, "a string")
        elif check is custom_value:
            value_type = type(value)
            if value_type not in SCALARS and not (value and value_type in CONTAINERS):
                custom_value(value, name, found)
        else:
            check(value, name, found)
    if "defanged" in obj and not plan.is_observable:
        found.add("defanged", "property-not-allowed",
                  "'defanged' must not be used on objects other than SCOs (§3.2)")
    for rule in spec.rules:
        rule(obj, found)
    return found.violations


def _custom_plan(kind: Any, obj: Mapping[str, Any], found: Findings) -> _Plan | None:
    """The plan for a type no table describes, or None (and why) when `kind` is no type name."""
    if "type" not in obj:
        found.add("type", "required-property", "'type' is required on every STIX object")
        return None
    if type(kind) is not str:
        unexpected(found, "type", kind, "a string")
        return None
    if kind == BUNDLE:
        found.add("type", "not-a-stix-object",
                  "a bundle is a container, not a STIX object: send the objects it holds (§8)")
        return None
    if kind in RESERVED_TYPE_NAMES:
        found.add("type", "reserved-name", f"type name {show(kind)} is reserved (§3.8)")
        return None
    if not is_type_name(kind):
        found.add("type", "type-syntax",
                  f"'type' must be 3 to 250 characters of a-z, 0-9 and single hyphens, "
                  f"starting with a letter (§3.1), not {show(kind)}")
        return None
    # §11.2 custom objects: versioned ones follow the SDO common rules, the others the SCO ones.
    if "created" in obj or "modified" in obj:
        return _CUSTOM_OBJECT_PLAN
    return _CUSTOM_OBSERVABLE_PLAN


def _has_identifier_of(identifier: Any, kind: str | None) -> bool:
    """The common case, checked without the identifier cache: `identifier` is kind--UUID."""
    if kind is None or type(identifier) is not str:
        return False
    prefix = len(kind) + 2
    return (len(identifier) == prefix + UUID_LENGTH and identifier.startswith(kind)
            and identifier[prefix - 2:prefix] == "--"
            and RFC_4122_UUID.match(identifier, prefix) is not None)


def _check_id(identifier: Any, kind: str | None, found: Findings) -> None:
    if identifier is None and "id" not in found.obj:
        return  # reported as a missing required property
    prefix = identifier_type(identifier)
    if prefix is None:
        if is_uppercase_identifier(identifier):
            uppercase_problem("id", identifier, found)
        elif type(identifier) is str:
            found.add("id", "id-syntax",
                      f"'id' must be <type>--<RFC 4122 UUID> (§2.9), not {show(identifier)}")
        else:
            unexpected(found, "id", identifier, "an identifier string")
    elif kind is not None and prefix != kind:
        found.add("id", "id-type-mismatch",
                  f"'id' must start with the object's type '{kind}--', not '{prefix}--' (§2.9)")


def _custom_property(name: Any, value: Any, found: Findings, checks: dict[str, Check]) -> None:
    """A property no table describes: a custom property (§11.1) or a misspelt one.

    A well-formed custom name is added to the type's `checks`, so the next object of the type
    finds it with one lookup (ATT&CK puts the same x_mitre_* names on every object)."""
    if type(name) is not str or PROPERTY_NAME.match(name) is None:
        found.add(str(name), "property-name",
                  f"property name {show(name)} must be 3 to 250 characters of a-z, 0-9 and '_', "
                  "starting with a letter (§3.1)")
        custom_value(value, str(name), found)
        return
    if name in RESERVED_PROPERTY_NAMES:
        found.add(name, "reserved-name", f"property name '{name}' is reserved (§3.8)")
        return
    # §2.1, §2.8: the OASIS schemas read the _bin and _hex suffixes as fixing the value's type,
    # and so do we. §3.1 makes the _ref/_refs suffixes a MUST only the other way round (an id
    # reference MUST be named *_ref), and ATT&CK ships custom *_ref properties holding "", so a
    # custom *_ref is not required to hold an identifier; one that does holds it in lowercase,
    # as every reference the specification defines (custom_reference).
    check = (BINARY if name.endswith("_bin") else HEX if name.endswith("_hex")
             else custom_reference if name.endswith(("_ref", "_refs")) else custom_value)
    if len(checks) < 1_000:
        checks[name] = check
    check(value, name, found)
