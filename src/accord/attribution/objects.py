"""Claims, positions and designations as STIX 2.1, and back.

Standard objects where STIX has them: a position is an `opinion` (§4.12) on the claim, its
opinion-enum value following the position; each actor a claim names also gets a standard
`relationship` of type `attributed-to` (`relationships`), which tools that know only STIX
(MISP, OpenCTI) read. What STIX lacks is defined by Accord's attribution extension-definition
(§7.3): two new SDOs, `x-accord-claim` and `x-accord-designation`, and a property extension on
the opinion carrying the position's own words, basis, evidence and competing claim.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from accord.attribution.countries import is_state
from accord.attribution.model import (
    ACTOR_TYPES,
    BASES,
    DESIGNATION_KINDS,
    OPINION_OF,
    POSITIONS,
    SUBJECT_TYPES,
    Claim,
    Designation,
    Position,
)
from accord.cooperation.model import MOST_EVIDENCE
from accord.cooperation.objects import define_extension
from accord.cooperation.properties import (
    MOST_LINE,
    Choice,
    Integer,
    Property,
    Ref,
    Refs,
    Text,
    Texts,
    Timestamp,
    Value,
    read_properties,
)
from accord.stix.identifiers import identifier_type
from accord.stix.properties import show
from accord.stix.timestamps import format_timestamp, sort_key

EXTENSION_ID = "extension-definition--9d3b2f61-7c1a-4e55-8f0b-2a6e4c9d1b37"
SCHEMA_URL = "https://accord.example/schemas/attribution-v1.json"
CLAIM = "x-accord-claim"
DESIGNATION = "x-accord-designation"
OPINION = "opinion"
ATTRIBUTION_TYPES: tuple[str, ...] = (CLAIM, DESIGNATION)


class MalformedAttributionObject(ValueError):
    """An attribution object breaks a rule of its type; `problems` names each, path first."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)


@dataclass(frozen=True, slots=True)
class Slugs(Value):
    """A non-empty list of words from a closed vocabulary (e.g. the bases of a claim)."""

    vocabulary: tuple[str, ...]

    def read(self, raw: Any, path: str, problems: list[str]) -> Any:
        if type(raw) is not list or not raw:
            problems.append(f"{path}: {show(raw)} is not a non-empty list of "
                            f"{', '.join(self.vocabulary)}")
            return None
        if len(raw) > len(self.vocabulary):
            # Each word once: a list of half a million was stored, and every reader's listing
            # carried it.
            problems.append(f"{path}: {len(raw):,} items; at most {len(self.vocabulary)}, "
                            "each word once")
            return None
        choice, count = Choice(self.vocabulary), len(problems)
        items = tuple(choice.read(item, f"{path}[{n}]", problems) for n, item in enumerate(raw))
        twice = sorted({i for i in items if i is not None and items.count(i) > 1})
        if twice:
            problems.append(f"{path}: names {', '.join(twice)} more than once")
        return items if len(problems) == count else None

    def write(self, value: Any) -> Any:
        return list(value)


_COUNTRY = re.compile(r"[A-Z]{2}\Z")


class Country(Value):
    """An ISO 3166-1 alpha-2 country code (as STIX 2.1 §4.11 location.country writes it)."""

    def read(self, raw: Any, path: str, problems: list[str]) -> Any:
        if type(raw) is not str or not _COUNTRY.match(raw):
            problems.append(f"{path}: {show(raw)} is not an ISO 3166-1 alpha-2 country code "
                            "such as CN or US")
            return None
        return raw

    def over(self, raw: Any, path: str) -> str | None:
        # Checked as it is taken in, not as it is read: a claim stored before stays readable.
        if type(raw) is str and _COUNTRY.match(raw) and not is_state(raw):
            return f"{path}: {raw} is not the ISO 3166-1 alpha-2 code of a state"
        return None


TEXT, LINE, TEXTS, TIMESTAMP = Text(), Text(MOST_LINE), Texts(), Timestamp()
IDENTITY_REF = Ref(("identity",))
BASIS = Slugs(tuple(BASES))
Rule = Callable[[Mapping[str, Any]], str | None]


@dataclass(frozen=True, slots=True)
class AttributionType:
    name: str
    description: str
    properties: tuple[Property, ...]  # every property but type, spec_version, id, modified
    rules: tuple[Rule, ...] = ()
    is_versioned: bool = False  # may a later version follow (a designation lifted)?


def _names_someone(fields: Mapping[str, Any]) -> str | None:
    if "attributed_to" not in fields and "sponsor" not in fields:
        return (f"{CLAIM}: names neither attributed_to_refs nor sponsor; a claim attributes "
                "the activity to someone")
    return None


def _lifted_with_reason(fields: Mapping[str, Any]) -> str | None:
    if ("lifted" in fields) != ("lift_reason" in fields):
        return f"{DESIGNATION}: lifted and lift_reason go together (when and why it was lifted)"
    return None


CLAIM_TYPE = AttributionType(
    CLAIM, "A party's attribution of malicious cyber activity to an actor, organisation or "
           "person and/or a sponsoring state, with its basis, confidence and evidence.", (
        Property("created_by_ref", "claimant", IDENTITY_REF, required=True),
        Property("created", "created", TIMESTAMP, required=True),
        Property("subject_ref", "subject", Ref(SUBJECT_TYPES), required=True),
        Property("attributed_to_refs", "attributed_to", Refs(ACTOR_TYPES, most=MOST_EVIDENCE)),
        Property("sponsor", "sponsor", Country()),
        Property("basis", "basis", BASIS, required=True),
        Property("confidence", "confidence", Integer(0, 100), required=True),
        Property("summary", "summary", TEXT, required=True),
        Property("object_refs", "evidence", Refs(most=MOST_EVIDENCE)),
    ), (_names_someone,))
DESIGNATION_TYPE = AttributionType(
    DESIGNATION, "A firm or individual designated by a party for measures (sanctions, "
                 "indictment, export restrictions) under a programme and legal basis; lifted "
                 "or amended by a later version.", (
        Property("created_by_ref", "party", IDENTITY_REF, required=True),
        Property("created", "created", TIMESTAMP, required=True),
        Property("name", "name", LINE, required=True),
        Property("identity_class", "kind", Choice(DESIGNATION_KINDS), required=True),
        Property("aliases", "aliases", TEXTS),
        Property("programme", "programme", LINE),
        Property("legal_basis", "legal_basis", TEXT, required=True),
        Property("designated", "designated", TIMESTAMP, required=True),
        Property("identity_ref", "identity", IDENTITY_REF),
        Property("claim_refs", "claims", Refs((CLAIM,), most=MOST_EVIDENCE)),
        Property("object_refs", "evidence", Refs(most=MOST_EVIDENCE)),
        Property("lifted", "lifted", TIMESTAMP),
        Property("lift_reason", "lift_reason", TEXT),
    ), (_lifted_with_reason,), is_versioned=True)
# The property extension an opinion carries when it is a position on a claim.
POSITION_PROPERTIES: tuple[Property, ...] = (
    Property("position", "position", Choice(POSITIONS), required=True),
    Property("basis", "basis", BASIS),
    Property("evidence_refs", "evidence", Refs(most=MOST_EVIDENCE)),
    Property("competing_claim_ref", "competing_claim", Ref((CLAIM,))),
)
TYPES: tuple[AttributionType, ...] = (CLAIM_TYPE, DESIGNATION_TYPE)
BY_NAME: Mapping[str, AttributionType] = {t.name: t for t in TYPES}
_ENVELOPE = frozenset({"type", "spec_version", "id", "modified", "extensions"})
_COMMON_OPTIONAL = frozenset({"labels", "lang", "external_references", "object_marking_refs",
                              "granular_markings"})


def extension_definition() -> dict[str, Any]:
    """The extension-definition (STIX 2.1 §7.3) of Accord's attribution objects."""
    return define_extension(
        EXTENSION_ID, "Accord attribution objects",
        "Attribution claims (who a party holds responsible for malicious cyber activity, on "
        "what basis), the positions parties take on them (a property extension of opinion), "
        "and designations of firms and individuals for measures.", SCHEMA_URL,
        ["new-sdo", "property-extension"])


def filed_under(obj: Mapping[str, Any]) -> str | None:
    """Where the attribution record files a version, so that a view reads what it shows and
    nothing else (store.record_index): a claim under its subject, a position under the claim
    it answers; None for anything else (a malformed one included: no view shows it)."""
    kind = obj.get("type")
    if kind != CLAIM and kind != OPINION:
        return None
    try:
        return (claim_from_stix(obj).subject if kind == CLAIM
                else position_from_stix(obj).claim if is_attribution_object(obj) else None)
    except MalformedAttributionObject:
        return None


def is_attribution_object(obj: object) -> bool:
    """A claim, a designation, or an opinion that carries a position (the extension)."""
    if not isinstance(obj, Mapping):
        return False
    kind = obj.get("type")
    if kind in BY_NAME:
        return True
    extensions = obj.get("extensions")
    return kind == OPINION and isinstance(extensions, Mapping) and EXTENSION_ID in extensions


def check(obj: Mapping[str, Any]) -> list[str]:
    """The problems that make `obj` a malformed attribution object; [] for a well-formed one
    and for any other object (the STIX validator judges those)."""
    if not is_attribution_object(obj):
        return []
    if obj.get("type") == OPINION:
        return _read_position(obj, bounded=True)[1]
    return _read(BY_NAME[obj["type"]], obj, bounded=True)[1]


def _read(spec: AttributionType, obj: Mapping[str, Any], *, bounded: bool = False
          ) -> tuple[dict[str, Any], list[str]]:
    kind = spec.name
    problems: list[str] = []
    fields: dict[str, Any] = {}
    if identifier_type(obj.get("id")) != kind:
        problems.append(f"{kind}.id: {show(obj.get('id'))} is not an identifier {kind}--<UUID>")
    else:
        fields["id"] = obj["id"]
    extension = _extension(obj, f"{kind}.extensions", "new-sdo", problems)
    if extension is not None:
        problems += [f"{kind}.extensions.{EXTENSION_ID}.{name}: a new-sdo extension holds only "
                     "extension_type (STIX 2.1 §7.3)" for name in extension
                     if name != "extension_type"]
    read_properties(kind, spec.properties, obj, fields, problems, bounded=bounded)
    modified = TIMESTAMP.read(obj.get("modified"), f"{kind}.modified", problems)
    if modified is not None:
        fields["modified"] = modified
        if "created" in fields and not spec.is_versioned and sort_key(obj["modified"]) != \
                sort_key(obj["created"]):
            problems.append(f"{kind}.modified: differs from created: a claim is never revised "
                            "(a party takes a new position instead)")
    known = {p.name for p in spec.properties} | _ENVELOPE | _COMMON_OPTIONAL
    problems += [f"{kind}.{name}: not a property of {kind} (custom properties start with x_)"
                 for name in obj if name not in known and not str(name).startswith("x_")]
    problems += [p for rule in spec.rules if (p := rule(fields)) is not None]
    return fields, problems


def _extension(obj: Mapping[str, Any], where: str, extension_type: str,
               problems: list[str]) -> Mapping[str, Any] | None:
    extensions = obj.get("extensions")
    if not isinstance(extensions, Mapping) or EXTENSION_ID not in extensions:
        problems.append(f"{where}: must hold {EXTENSION_ID} (Accord's attribution extension "
                        "definition, STIX 2.1 §7.3)")
        return None
    instance = extensions[EXTENSION_ID]
    if not isinstance(instance, Mapping) or instance.get("extension_type") != extension_type:
        got = instance.get("extension_type") if isinstance(instance, Mapping) else instance
        problems.append(f"{where}.{EXTENSION_ID}.extension_type: {show(got)} is not "
                        f"'{extension_type}'")
        return None
    return instance


def _read_position(obj: Mapping[str, Any], *, bounded: bool = False
                   ) -> tuple[dict[str, Any], list[str]]:
    problems: list[str] = []
    fields: dict[str, Any] = {"id": obj.get("id")}
    where = f"{OPINION}.extensions.{EXTENSION_ID}"
    extension = _extension(obj, f"{OPINION}.extensions", "property-extension", problems)
    if extension is None:
        return fields, problems
    read_properties(where, POSITION_PROPERTIES, extension, fields, problems, bounded=bounded)
    known = {p.name for p in POSITION_PROPERTIES} | {"extension_type"}
    problems += [f"{where}.{name}: not a property of a position" for name in extension
                 if name not in known]
    refs = obj.get("object_refs")
    if not (isinstance(refs, list) and len(refs) == 1 and identifier_type(refs[0]) == CLAIM):
        problems.append(f"{OPINION}.object_refs: a position names exactly one claim "
                        f"({CLAIM}--…), not {show(refs)}")
    else:
        fields["claim"] = refs[0]
    stance = fields.get("position")
    if stance is not None and obj.get("opinion") != OPINION_OF[stance]:
        problems.append(f"{OPINION}.opinion: {show(obj.get('opinion'))} does not follow the "
                        f"position '{stance}' (it is '{OPINION_OF[stance]}')")
    party = IDENTITY_REF.read(obj.get("created_by_ref"), f"{OPINION}.created_by_ref", problems)
    when = TIMESTAMP.read(obj.get("modified", obj.get("created")), f"{OPINION}.modified",
                          problems)
    if party is not None and when is not None:
        fields.update(party=party, created=when)
    fields["text"] = obj.get("explanation") if isinstance(obj.get("explanation"), str) else ""
    if bounded and (beyond := TEXT.over(obj.get("explanation"), f"{OPINION}.explanation")):
        problems.append(beyond)
    return fields, problems


def claim_to_stix(claim: Claim) -> dict[str, Any]:
    return _write(CLAIM_TYPE, claim, claim.created)


def designation_to_stix(designation: Designation) -> dict[str, Any]:
    return _write(DESIGNATION_TYPE, designation, designation.modified)


def _write(spec: AttributionType, item: Claim | Designation, modified: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {"type": spec.name, "spec_version": "2.1", "id": item.id}
    for prop in spec.properties:
        value = getattr(item, prop.field)
        if prop.required or not prop.value.is_empty(value):
            obj[prop.name] = prop.value.write(value)
        if prop.name == "created":
            obj["modified"] = format_timestamp(modified)
    obj["extensions"] = {EXTENSION_ID: {"extension_type": "new-sdo"}}
    return obj


def position_to_stix(position: Position) -> dict[str, Any]:
    """A position as a STIX opinion on the claim (its newest words in `explanation`)."""
    extension: dict[str, Any] = {"extension_type": "property-extension"}
    for prop in POSITION_PROPERTIES:
        value = getattr(position, prop.field)
        if prop.required or not prop.value.is_empty(value):
            extension[prop.name] = prop.value.write(value)
    when = format_timestamp(position.created)
    return {"type": OPINION, "spec_version": "2.1", "id": position.id,
            "created_by_ref": position.party, "created": when, "modified": when,
            "explanation": position.text, "opinion": OPINION_OF[position.position],
            "object_refs": [position.claim], "extensions": {EXTENSION_ID: extension}}


def relationships(claim: Claim, make_id: Callable[[], str]) -> list[dict[str, Any]]:
    """The standard `attributed-to` relationships of a claim, one per actor it names."""
    when = format_timestamp(claim.created)
    return [{"type": "relationship", "spec_version": "2.1", "id": make_id(),
             "created_by_ref": claim.claimant, "created": when, "modified": when,
             "relationship_type": "attributed-to", "source_ref": claim.subject,
             "target_ref": actor, "confidence": claim.confidence, "description": claim.summary,
             "x_accord_claim_ref": claim.id}
            for actor in claim.attributed_to]


def claim_from_stix(obj: Mapping[str, Any]) -> Claim:
    fields, problems = _read(CLAIM_TYPE, obj)
    if problems:
        raise MalformedAttributionObject(problems)
    fields.pop("modified")
    fields.setdefault("attributed_to", ())
    fields.setdefault("sponsor", None)
    return Claim(**fields)


def designation_from_stix(obj: Mapping[str, Any]) -> Designation:
    fields, problems = _read(DESIGNATION_TYPE, obj)
    if problems:
        raise MalformedAttributionObject(problems)
    return Designation(**fields)


def position_from_stix(obj: Mapping[str, Any]) -> Position:
    fields, problems = _read_position(obj)
    if problems:
        raise MalformedAttributionObject(problems)
    return Position(**fields)
