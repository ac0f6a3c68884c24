"""Accord's cooperation objects as STIX 2.1 SDOs of a new-sdo extension (STIX 2.1 §7.3), and
their exact translation to and from the domain types of `cooperation.model`.

A node runs `check` on intake after the STIX validator, so a malformed cooperation object is
refused with a message naming the property and what is wrong with it.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from accord.cooperation.arrivals import ACT_TYPES
from accord.cooperation.model import (
    CATEGORIES,
    ESCALATION_REASONS,
    KINDS,
    MOST_EVIDENCE,
    OUTCOMES,
    URGENCIES,
    Acknowledgement,
    ActReceipt,
    DeEscalation,
    Entry,
    Escalation,
    Rating,
    Receipt,
    Request,
    Response,
    StatusReport,
    Withdrawal,
)
from accord.cooperation.properties import (
    MOST_LINE,
    MOST_SHARED,
    Choice,
    Flag,
    Integer,
    Property,
    Ref,
    Refs,
    Text,
    Texts,
    Timestamp,
    read_properties,
)
from accord.stix.identifiers import identifier_type
from accord.stix.properties import LANGUAGE_CODE, show
from accord.stix.timestamps import format_timestamp, is_timestamp, sort_key

EXTENSION_ID = "extension-definition--5f8b9c1e-3a44-4d8e-9f0a-6c2d1b7e4a90"
EXTENSION_VERSION = "1.0.0"
SCHEMA_URL = "https://accord.example/schemas/cooperation-v1.json"
# The Accord project itself, creator of its extension definitions (§7.3: created_by_ref is
# required on an extension-definition).
ACCORD_IDENTITY_ID = "identity--430b6345-3109-40e9-8c6e-a3cc238ab483"
# Fixed, so the definition is the same object, byte for byte, on every node.
DEFINED = "2025-01-01T00:00:00.000Z"

PREFIX = "x-accord-"
REQUEST = "x-accord-request"
IDENTITY = "identity"

# Read apart from each type's properties: the same on every cooperation object.
_ENVELOPE = frozenset({"type", "spec_version", "id", "modified", "extensions"})
# STIX 2.1 §3.2 common properties an SDO may carry besides those every cooperation object has.
COMMON_OPTIONAL = frozenset({"revoked", "labels", "confidence", "lang", "external_references",
                             "object_marking_refs", "granular_markings"})


class NotACooperationObject(ValueError):
    """The object is not one of Accord's (its type does not start with x-accord-)."""


class MalformedCooperationObject(ValueError):
    """A cooperation object breaks a rule of its type; `problems` names each, path first."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)


# A rule over several properties: given the type name and the fields read without a problem,
# a problem or None.
Rule = Callable[[str, Mapping[str, Any]], str | None]


@dataclass(frozen=True, slots=True)
class CooperationType:
    name: str
    model: type[Request] | type[Entry]
    description: str
    properties: tuple[Property, ...]  # every property but type, spec_version, id, modified
    rules: tuple[Rule, ...] = ()


TEXT, LINE, TEXTS, TIMESTAMP, FLAG = Text(), Text(MOST_LINE), Texts(), Timestamp(), Flag()
IDENTITY_REF = Ref((IDENTITY,))


def _activity_in_order(kind: str, fields: Mapping[str, Any]) -> str | None:
    start, end = fields.get("activity_start"), fields.get("activity_end")
    if start is not None and end is not None and end < start:
        return f"{kind}.activity_end: {format_timestamp(end)} is before activity_start"
    return None


def _deadlines_in_order(kind: str, fields: Mapping[str, Any]) -> str | None:
    received, acknowledge_by = fields.get("received"), fields.get("acknowledge_by")
    respond_by = fields.get("respond_by")
    if received is not None and acknowledge_by is not None and acknowledge_by <= received:
        return f"{kind}.acknowledge_by: {format_timestamp(acknowledge_by)} is not after received"
    if acknowledge_by is not None and respond_by is not None and respond_by < acknowledge_by:
        return f"{kind}.respond_by: {format_timestamp(respond_by)} is before acknowledge_by"
    return None


def _entry(name: str, model: type[Entry], description: str, *properties: Property,
           rules: tuple[Rule, ...] = ()) -> CooperationType:
    return CooperationType(name, model, description, (
        Property("created_by_ref", "party", IDENTITY_REF, required=True),
        Property("created", "time", TIMESTAMP, required=True),
        Property("request_ref", "request_id", Ref((REQUEST,)), required=True),
        *properties,
    ), rules)


TYPES: tuple[CooperationType, ...] = (
    CooperationType(REQUEST, Request,
                    "A request for information or assistance about malicious cyber activity, "
                    "from its requester (created_by_ref) to the addressed party.", (
        Property("created_by_ref", "requester", IDENTITY_REF, required=True),
        Property("created", "created", TIMESTAMP, required=True),
        Property("addressee_ref", "addressee", IDENTITY_REF, required=True),
        Property("kind", "kind", Choice(KINDS), required=True),
        Property("category", "category", Choice(CATEGORIES), required=True),
        Property("urgency", "urgency", Choice(URGENCIES), required=True),
        Property("summary", "summary", LINE, required=True),
        Property("description", "description", TEXT),
        Property("activity_start", "activity_start", TIMESTAMP),
        Property("activity_end", "activity_end", TIMESTAMP),
        Property("victims", "victims", TEXTS),
        Property("impact", "impact", TEXT),
        Property("legal_basis", "legal_basis", TEXT),
        Property("point_of_contact", "point_of_contact", LINE),
        Property("object_refs", "evidence", Refs(most=MOST_EVIDENCE)),
        Property("shared_with_refs", "shared_with", Refs((IDENTITY,), most=MOST_SHARED,
                                                         distinct=True)),
        Property("exercise", "is_exercise", FLAG),
    ), (_activity_in_order,)),
    _entry("x-accord-receipt", Receipt,
           "Made by the addressee's node when it first stores the request: fixes the deadlines "
           "from the guidelines in force at that moment.",
           Property("received", "received", TIMESTAMP, required=True),
           Property("acknowledge_by", "acknowledge_by", TIMESTAMP, required=True),
           Property("respond_by", "respond_by", TIMESTAMP, required=True),
           Property("guidelines_version", "guidelines_version", Integer(0), required=True),
           rules=(_deadlines_in_order,)),
    _entry("x-accord-act-receipt", ActReceipt,
           "Made by the node hosting the party an act is addressed to (the requester for an "
           "acknowledgement, status report or response; the addressee for a withdrawal) when "
           "it first stores the act: the review times the act by this, not by its created.",
           Property("act_ref", "act_id", Ref(ACT_TYPES), required=True),
           Property("received", "received", TIMESTAMP, required=True)),
    _entry("x-accord-acknowledgement", Acknowledgement,
           "The addressee acknowledges the request.",
           Property("note", "note", TEXT)),
    _entry("x-accord-status-report", StatusReport,
           "An interim report from the addressee on the work in progress.",
           Property("text", "text", TEXT, required=True)),
    _entry("x-accord-response", Response,
           "The addressee's final response, with its outcome.",
           Property("outcome", "outcome", Choice(OUTCOMES), required=True),
           Property("text", "text", TEXT),
           Property("reason", "reason", TEXT),
           Property("object_refs", "evidence", Refs(most=MOST_EVIDENCE))),
    _entry("x-accord-escalation", Escalation,
           "The request raised to a level of the hotline's escalation ladder (1 is the first).",
           Property("reason", "reason", Choice(ESCALATION_REASONS), required=True),
           Property("level", "level", Integer(1), required=True),
           Property("note", "note", TEXT)),
    _entry("x-accord-de-escalation", DeEscalation,
           "Ends an escalation of the request.",
           Property("escalation_ref", "escalation_id", Ref(("x-accord-escalation",)),
                    required=True),
           Property("reason", "reason", TEXT, required=True)),
    _entry("x-accord-rating", Rating,
           "The requester's judgement of a response's quality, from 1 (useless) to 5 "
           "(complete and timely).",
           Property("response_ref", "response_id", Ref(("x-accord-response",)), required=True),
           Property("score", "score", Integer(1, 5), required=True),
           Property("comment", "comment", TEXT)),
    _entry("x-accord-withdrawal", Withdrawal,
           "The requester withdraws the request.",
           Property("reason", "reason", TEXT)),
)
# The properties of each type that hold what a party wrote: the type records their language
# (`lang`, STIX 2.1 §3.2) and a party may translate them (`cooperation.translations`).
TRANSLATABLE: Mapping[str, tuple[str, ...]] = {
    REQUEST: ("summary", "description", "impact"),
    "x-accord-acknowledgement": ("note",),
    "x-accord-status-report": ("text",),
    "x-accord-response": ("text", "reason"),
    "x-accord-escalation": ("note",),
    "x-accord-de-escalation": ("reason",),
    "x-accord-rating": ("comment",),
    "x-accord-withdrawal": ("reason",),
}
BY_NAME: Mapping[str, CooperationType] = {t.name: t for t in TYPES}
_BY_MODEL: Mapping[type, CooperationType] = {t.model: t for t in TYPES}
COOPERATION_TYPES: tuple[str, ...] = tuple(t.name for t in TYPES)
# Every property name each type may carry, besides custom ones.
_KNOWN: Mapping[str, frozenset[str]] = {
    t.name: frozenset(p.name for p in t.properties) | _ENVELOPE | COMMON_OPTIONAL for t in TYPES
}


def define_extension(extension_id: str, name: str, description: str, schema: str,
                     extension_types: list[str]) -> dict[str, Any]:
    """One of Accord's extension-definitions (STIX 2.1 §7.3): fixed, so it is the same object,
    byte for byte, on every node."""
    return {
        "type": "extension-definition", "spec_version": "2.1", "id": extension_id,
        "created_by_ref": ACCORD_IDENTITY_ID, "created": DEFINED, "modified": DEFINED,
        "name": name, "description": description, "schema": schema,
        "version": EXTENSION_VERSION, "extension_types": extension_types,
    }


def extension_definition() -> dict[str, Any]:
    """The extension-definition (STIX 2.1 §7.3) that makes Accord's objects new SDOs."""
    return define_extension(
        EXTENSION_ID, "Accord cooperation objects",
        "Requests for information and assistance about malicious cyber activity between "
        "parties, and what follows them: receipts fixing the deadlines, acknowledgements, "
        "status reports, responses, escalations to the hotline and their end, ratings of "
        "responses, withdrawals.", SCHEMA_URL, ["new-sdo"])


def accord_identity() -> dict[str, Any]:
    """The Accord project's identity, creator of `extension_definition()`."""
    return {
        "type": "identity", "spec_version": "2.1", "id": ACCORD_IDENTITY_ID,
        "created": DEFINED, "modified": DEFINED, "name": "Accord project",
        "description": "The authors of Accord, who define its STIX extensions.",
        "identity_class": "organization",
    }


def is_cooperation_object(obj: object) -> bool:
    """True for an object whose type is Accord's (x-accord-*), known or misspelt alike, so
    that a misspelt one is refused by `check` instead of stored as a custom object."""
    if not isinstance(obj, Mapping):
        return False
    kind = obj.get("type")
    return isinstance(kind, str) and kind.startswith(PREFIX)


def to_stix(item: Request | Entry) -> dict[str, Any]:
    """`item` as a new STIX object; `from_stix` reads it back equal."""
    spec = _BY_MODEL.get(type(item))
    if spec is None:
        raise TypeError(f"{type(item).__name__} is not a cooperation object type")
    obj: dict[str, Any] = {"type": spec.name, "spec_version": "2.1", "id": item.id}
    for prop in spec.properties:
        value = getattr(item, prop.field)
        if prop.required or not prop.value.is_empty(value):
            obj[prop.name] = prop.value.write(value)
        if prop.name == "created":
            obj["modified"] = obj["created"]  # never revised: each object is one version
    if spec.name in TRANSLATABLE:
        obj["lang"] = item.lang
    obj["extensions"] = {EXTENSION_ID: {"extension_type": "new-sdo"}}
    return obj


def from_stix(obj: Mapping[str, Any]) -> Request | Entry:
    """The request or ledger entry `obj` is; raises `NotACooperationObject` for another
    object, `MalformedCooperationObject` naming every problem for a malformed one."""
    if not is_cooperation_object(obj):
        kind = obj.get("type") if isinstance(obj, Mapping) else None
        raise NotACooperationObject(f"{show(kind)} is not a cooperation object type "
                                    f"(one of {', '.join(COOPERATION_TYPES)})")
    spec, fields, problems = _read(obj)
    if spec is None or problems:
        raise MalformedCooperationObject(problems)
    return spec.model(**fields)


def check(obj: Mapping[str, Any]) -> list[str]:
    """The problems that make `obj` a malformed cooperation object; [] for a well-formed one,
    and for an object that is not Accord's (the STIX validator judges those)."""
    if not is_cooperation_object(obj):
        return []
    return _read(obj, bounded=True)[2]


def _read(obj: Mapping[str, Any], *, bounded: bool = False
          ) -> tuple[CooperationType | None, dict[str, Any], list[str]]:
    kind = obj["type"]
    problems: list[str] = []
    fields: dict[str, Any] = {}
    spec = BY_NAME.get(kind)
    if spec is None:
        return None, fields, [f"{kind}: not a cooperation object type "
                              f"(one of {', '.join(COOPERATION_TYPES)})"]
    _read_envelope(kind, obj, fields, problems)
    read_properties(kind, spec.properties, obj, fields, problems, bounded=bounded)
    _read_modified(kind, obj, problems)
    _read_lang(kind, obj, fields, problems)
    for name in obj:
        # §11.1: custom properties (x_…) are welcome; anything else unknown is a slip.
        if name not in _KNOWN[kind] and not (isinstance(name, str) and name.startswith("x_")):
            problems.append(_unknown_property(spec, name))
    for rule in spec.rules:
        problem = rule(kind, fields)
        if problem is not None:
            problems.append(problem)
    return spec, fields, problems


def _read_envelope(kind: str, obj: Mapping[str, Any], fields: dict[str, Any],
                   problems: list[str]) -> None:
    if obj.get("spec_version") != "2.1":
        problems.append(f"{kind}.spec_version: {show(obj.get('spec_version'))} is not '2.1'")
    if identifier_type(obj.get("id")) != kind:
        problems.append(f"{kind}.id: {show(obj.get('id'))} is not an identifier {kind}--<UUID>")
    else:
        fields["id"] = obj["id"]
    if obj.get("revoked", False) is not False:
        problems.append(f"{kind}.revoked: cooperation objects are immutable and never revoked")
    where = f"{kind}.extensions"
    extensions = obj.get("extensions")
    if not isinstance(extensions, Mapping) or EXTENSION_ID not in extensions:
        # §7.3: an object of a new SDO type names the extension-definition that defines it.
        problems.append(f"{where}: must hold {EXTENSION_ID} (Accord's extension definition, "
                        "STIX 2.1 §7.3)")
        return
    instance = extensions[EXTENSION_ID]
    where = f"{where}.{EXTENSION_ID}"
    if not isinstance(instance, Mapping) or instance.get("extension_type") != "new-sdo":
        got = instance.get("extension_type") if isinstance(instance, Mapping) else instance
        problems.append(f"{where}.extension_type: {show(got)} is not 'new-sdo'")
        return
    for name in instance:
        if name != "extension_type":
            problems.append(f"{where}.{name}: a new-sdo extension holds only extension_type; "
                            "the object's own properties are top-level (STIX 2.1 §7.3)")


def _read_lang(kind: str, obj: Mapping[str, Any], fields: dict[str, Any],
               problems: list[str]) -> None:
    """STIX 2.1 §3.2: `lang` names the language of the text; absent, it is English."""
    if "lang" not in obj:
        return
    lang = obj["lang"]
    if type(lang) is not str or not LANGUAGE_CODE.match(lang):
        problems.append(f"{kind}.lang: {show(lang)} is not an RFC 5646 language code "
                        "(such as en or zh-Hans)")
    elif kind in TRANSLATABLE:
        fields["lang"] = lang


def _read_modified(kind: str, obj: Mapping[str, Any], problems: list[str]) -> None:
    path = f"{kind}.modified"
    if "modified" not in obj:
        problems.append(f"{path}: required but missing")
    elif TIMESTAMP.read(obj["modified"], path, problems) is not None and is_timestamp(
            obj.get("created")) and sort_key(obj["modified"]) != sort_key(obj["created"]):
        problems.append(f"{path}: {show(obj['modified'])} differs from created: cooperation "
                        "objects are immutable, so each has exactly one version")


def _unknown_property(spec: CooperationType, name: Any) -> str:
    known = [p.name for p in spec.properties]
    near = difflib.get_close_matches(name, known, n=1) if isinstance(name, str) else []
    hint = f"did you mean {near[0]}?" if near else "custom properties start with x_"
    return f"{spec.name}.{name}: not a property of {spec.name} ({hint})"
