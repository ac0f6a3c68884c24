"""The JSON schema (draft 2020-12) of Accord's attribution objects, built from the tables
`attribution.objects` reads them with, so the two cannot drift apart.

Published at `objects.SCHEMA_URL`; the repository keeps a copy in docs/schemas/, written by
`python -m accord.attribution.schema > docs/schemas/attribution-v1.json`.
"""

from __future__ import annotations

import json
from typing import Any

from accord.attribution.model import OPINION_OF
from accord.attribution.objects import (
    EXTENSION_ID,
    POSITION_PROPERTIES,
    SCHEMA_URL,
    TYPES,
    AttributionType,
    Country,
    Slugs,
)
from accord.cooperation.properties import Property, Value
from accord.cooperation.schema import COMMON_OPTIONAL_SCHEMAS, DEFS, UUID, value_schema


def _value(value: Value) -> dict[str, Any]:
    match value:
        case Slugs(vocabulary=vocabulary):
            return {"type": "array", "items": {"enum": list(vocabulary)}, "minItems": 1,
                    "maxItems": len(vocabulary), "uniqueItems": True}
        case Country():
            return {"type": "string", "pattern": "^[A-Z]{2}$",
                    "description": "ISO 3166-1 alpha-2"}
    return value_schema(value)


def _properties(properties: tuple[Property, ...]) -> dict[str, Any]:
    return {p.name: _value(p.value) for p in properties}


def _new_sdo(spec: AttributionType) -> dict[str, Any]:
    return {
        "description": spec.description,
        "type": "object",
        "required": ["type", "id", "spec_version", "modified", "extensions",
                     *(p.name for p in spec.properties if p.required)],
        "properties": {
            "type": {"const": spec.name},
            "id": {"type": "string", "pattern": f"^{spec.name}--{UUID}$"},
            "spec_version": {"const": "2.1"},
            "modified": {"$ref": "#/$defs/timestamp"},
            "extensions": {"type": "object", "required": [EXTENSION_ID], "properties": {
                EXTENSION_ID: {"type": "object", "required": ["extension_type"],
                               "properties": {"extension_type": {"const": "new-sdo"}},
                               "additionalProperties": False}}},
            **{k: v for k, v in COMMON_OPTIONAL_SCHEMAS.items() if k != "revoked"},
            **_properties(spec.properties),
        },
        "patternProperties": {"^x_[a-z0-9_]+$": {}},
        "unevaluatedProperties": False,
    }


# A position: a STIX opinion carrying the property extension; the opinion's own properties are
# checked by any STIX 2.1 validator, so only what the extension adds is spelt out here.
_POSITION: dict[str, Any] = {
    "description": "A party's position on a claim: a STIX 2.1 opinion whose object_refs name "
                   "the claim, whose opinion follows the position (" + ", ".join(
                       f"{k} → {v}" for k, v in OPINION_OF.items()) + ") and whose "
                   "explanation holds the party's words.",
    "type": "object",
    "required": ["type", "object_refs", "opinion", "created_by_ref", "extensions"],
    "properties": {
        "type": {"const": "opinion"},
        "object_refs": {"type": "array", "minItems": 1, "maxItems": 1,
                        "items": {"type": "string", "pattern": f"^x-accord-claim--{UUID}$"}},
        "opinion": {"enum": list(OPINION_OF.values())},
        "extensions": {"type": "object", "required": [EXTENSION_ID], "properties": {
            EXTENSION_ID: {
                "type": "object",
                "required": ["extension_type",
                             *(p.name for p in POSITION_PROPERTIES if p.required)],
                "properties": {"extension_type": {"const": "property-extension"},
                               **_properties(POSITION_PROPERTIES)},
                "additionalProperties": False,
            }}},
    },
}


def json_schema() -> dict[str, Any]:
    """The schema any attribution object (a claim, a designation, a position) satisfies."""
    names = [spec.name for spec in TYPES]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_URL,
        "title": "Accord attribution objects",
        "description": f"STIX 2.1 objects of the extension {EXTENSION_ID}: the new SDOs "
                       f"{' and '.join(names)}, and opinions that carry a position. Rules over "
                       "several properties (a claim names attributed_to_refs or a sponsor; "
                       "a claim's modified equals its created; a designation's lifted and "
                       "lift_reason go together; an opinion's value follows its position) are "
                       "checked by Accord on intake.",
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"enum": [*names, "opinion"]}},
        "allOf": [
            *({"if": {"properties": {"type": {"const": spec.name}}},
               "then": {"$ref": f"#/$defs/{spec.name}"}} for spec in TYPES),
            {"if": {"properties": {"type": {"const": "opinion"}}},
             "then": {"$ref": "#/$defs/position"}},
        ],
        "$defs": {**DEFS, **{spec.name: _new_sdo(spec) for spec in TYPES},
                  "position": _POSITION},
    }


def schema_text() -> str:
    """The schema as the published file holds it."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(schema_text(), end="")
