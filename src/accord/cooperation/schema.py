"""The JSON schema (draft 2020-12) of Accord's cooperation objects, built from the same table
`cooperation.objects` reads them with, so the two cannot drift apart.

Published at `objects.SCHEMA_URL`; the repository keeps a copy in docs/schemas/, written by
`python -m accord.cooperation.schema > docs/schemas/cooperation-v1.json`.
"""

from __future__ import annotations

import json
from typing import Any

from accord.cooperation.objects import EXTENSION_ID, SCHEMA_URL, TYPES, CooperationType
from accord.cooperation.properties import (
    Choice,
    Flag,
    Integer,
    Ref,
    Refs,
    Text,
    Texts,
    Timestamp,
    Value,
)
from accord.stix.timestamps import TIMESTAMP_SYNTAX

# STIX 2.1 §2.9, spelt for ECMA-262 regular expressions (§3.2 timestamps: stix.timestamps);
# in lowercase, as stix.identifiers holds it.
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
TYPE_NAME = "[a-z][a-z0-9]*(-[a-z0-9]+)*"

DEFS: dict[str, Any] = {
    "timestamp": {"type": "string", "pattern": TIMESTAMP_SYNTAX,
                  "description": "A STIX timestamp (STIX 2.1 §3.2), always UTC."},
    "identifier": {"type": "string", "pattern": f"^{TYPE_NAME}--{UUID}$",
                   "description": "A STIX identifier <type>--<UUID> (STIX 2.1 §2.9)."},
    "text": {"type": "string", "minLength": 1,
             "description": "Not empty: Accord leaves out an optional property instead."},
}

# STIX 2.1 §3.2 common properties a cooperation object may also carry; checked in full by a
# STIX validator, so only their JSON type is given here.
COMMON_OPTIONAL_SCHEMAS: dict[str, Any] = {
    "revoked": {"const": False, "description": "Cooperation objects are never revoked."},
    "labels": {"type": "array", "items": {"type": "string"}, "minItems": 1},
    "confidence": {"type": "integer", "minimum": 0, "maximum": 100},
    "lang": {"type": "string"},
    "external_references": {"type": "array", "items": {"type": "object"}, "minItems": 1},
    "object_marking_refs": {"type": "array", "items": {"$ref": "#/$defs/identifier"},
                            "minItems": 1},
    "granular_markings": {"type": "array", "items": {"type": "object"}, "minItems": 1},
}


def _ref(types: tuple[str, ...] | None) -> dict[str, Any]:
    if types is None:
        return {"$ref": "#/$defs/identifier"}
    return {"type": "string", "pattern": f"^({'|'.join(types)})--{UUID}$"}


def value_schema(value: Value) -> dict[str, Any]:
    """The JSON schema of one kind of property value (also used for the attribution
    objects)."""
    match value:
        case Texts(most=most, each=each):
            return {"type": "array", "items": value_schema(each), "minItems": 1,
                    "maxItems": most}
        case Text(most=most):
            return {"allOf": [{"$ref": "#/$defs/text"}, {"maxLength": most}]}
        case Timestamp():
            return {"$ref": "#/$defs/timestamp"}
        case Refs(types=types, most=most, distinct=distinct):
            bounded = {} if most is None else {"maxItems": most}
            unique = {"uniqueItems": True} if distinct else {}
            return {"type": "array", "items": _ref(types), "minItems": 1, **bounded, **unique}
        case Ref(types=types):
            return _ref(types)
        case Choice(vocabulary=vocabulary):
            return {"enum": list(vocabulary)}
        case Integer(low=low, high=high):
            bounds = {"minimum": low} if high is None else {"minimum": low, "maximum": high}
            return {"type": "integer", **bounds}
        case Flag():
            return {"type": "boolean"}
    raise TypeError(f"no schema for {value!r}")


# What every cooperation object has or may have, whatever its type.
_COMMON: dict[str, Any] = {
    "type": "object",
    "required": ["spec_version", "modified", "extensions"],
    "properties": {
        "spec_version": {"const": "2.1"},
        "modified": {"$ref": "#/$defs/timestamp",
                     "description": "Equal to created: cooperation objects are immutable."},
        "extensions": {
            "type": "object",
            "required": [EXTENSION_ID],
            "properties": {EXTENSION_ID: {
                "type": "object", "required": ["extension_type"],
                "properties": {"extension_type": {"const": "new-sdo"}},
                "additionalProperties": False,
            }},
        },
        **COMMON_OPTIONAL_SCHEMAS,
    },
}


def _object(spec: CooperationType) -> dict[str, Any]:
    return {
        "description": spec.description,
        "type": "object",
        "allOf": [{"$ref": "#/$defs/common"}],
        "required": ["type", "id", *(p.name for p in spec.properties if p.required)],
        "properties": {
            "type": {"const": spec.name},
            "id": {"type": "string", "pattern": f"^{spec.name}--{UUID}$"},
            **{p.name: value_schema(p.value) for p in spec.properties},
        },
        # STIX 2.1 §11.1: custom properties are allowed; Accord's own are all listed.
        "patternProperties": {"^x_[a-z0-9_]+$": {}},
        "unevaluatedProperties": False,
    }


def json_schema() -> dict[str, Any]:
    """The schema any cooperation object (one of `objects.COOPERATION_TYPES`) satisfies."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_URL,
        "title": "Accord cooperation objects",
        "description": "STIX 2.1 objects of the new-sdo extension "
                       f"{EXTENSION_ID}. Rules over several properties (modified equals "
                       "created; activity_end not before activity_start; a receipt's "
                       "acknowledge_by after received and respond_by not before acknowledge_by) "
                       "are not expressible here and are checked by Accord on intake.",
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"enum": [spec.name for spec in TYPES]}},
        "allOf": [
            {"if": {"properties": {"type": {"const": spec.name}}},
             "then": {"$ref": f"#/$defs/{spec.name}"}}
            for spec in TYPES
        ],
        "$defs": {**DEFS, "common": _COMMON, **{spec.name: _object(spec) for spec in TYPES}},
    }


def schema_text() -> str:
    """The schema as the published file holds it."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(schema_text(), end="")
