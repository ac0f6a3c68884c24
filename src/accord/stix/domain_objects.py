"""The STIX 2.1 domain, relationship and meta object types (§4, §5, §7): their properties,
required properties and cross-property MUST rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accord.stix.identifiers import (
    ANY_REFERENCE,
    ANY_REFERENCES,
    reference,
    references,
)
from accord.stix.object_types import (
    SDO,
    SMO,
    SRO,
    ObjectType,
    at_least_one,
    object_type,
    ordered,
)
from accord.stix.observables import observable_container
from accord.stix.patterns import over_limits, pattern_errors, size_of
from accord.stix.properties import (
    KILL_CHAIN_PHASES,
    LANGUAGE_CODE,
    PROPERTY_NAME,
    Check,
    Findings,
    boolean,
    custom_value,
    enum,
    enums,
    integer,
    number,
    pattern,
    show,
    string,
    strings,
    structure,
    timestamp,
    unexpected,
)
from accord.stix.vocabularies import (
    EXTENSION_TYPES,
    OPINIONS,
    SCO_TYPES,
    SDO_TYPES,
    SMO_TYPES,
    SRO_TYPES,
    TLP2_CREATED,
    TLP2_EXTENSION,
    TLP2_MARKINGS,
    TLP_CREATED,
    TLP_MARKINGS,
)

NAMED = {"name": string, "description": string}
SEEN = {"first_seen": timestamp, "last_seen": timestamp}
LAST_SEEN_AFTER_FIRST = ordered("last_seen", "first_seen")
SOFTWARE = reference({"software"})


def _named(name: str, properties: Mapping[str, Check] | None = None, *,
           rules: tuple[Any, ...] = ()) -> ObjectType:
    return object_type(name, SDO, {**NAMED, **(properties or {})}, ("name",), rules)


# --- §4.7 Indicator -----------------------------------------------------------------------------


def _pattern_parses(obj: Mapping[str, Any], found: Findings) -> None:
    """§4.7: a pattern of pattern_type "stix" MUST be a valid STIX pattern (§9)."""
    source = obj.get("pattern")
    if obj.get("pattern_type") != "stix" or type(source) is not str:
        return
    size = size_of(source)
    too_large = over_limits(size)
    if too_large is not None:  # not parsed at all: the grammar's time grows with the pattern
        found.add("pattern", "pattern-limit", f"'pattern' is too large to check: {too_large}")
        return
    errors = pattern_errors(source, "2.0" if obj.get("pattern_version") == "2.0" else "2.1",
                            size)
    if errors:
        found.add("pattern", "pattern-syntax",
                  f"'pattern' is not a valid STIX pattern: {errors[0]}")


# --- §4.10 Location -----------------------------------------------------------------------------


def _location_is_placed(obj: Mapping[str, Any], found: Findings) -> None:
    """§4.10: region, country or latitude+longitude; latitude and longitude go together;
    precision only with both."""
    has_latitude, has_longitude = "latitude" in obj, "longitude" in obj
    if has_latitude != has_longitude:
        missing = "longitude" if has_latitude else "latitude"
        found.add(missing, "required-property",
                  "'latitude' and 'longitude' must be present together (§4.10)")
    if "precision" in obj and not (has_latitude and has_longitude):
        found.add("precision", "required-property",
                  "'precision' requires 'latitude' and 'longitude' (§4.10)")
    if not ("region" in obj or "country" in obj or (has_latitude and has_longitude)):
        found.add(None, "required-property",
                  "a location needs 'region', 'country', or 'latitude' and 'longitude' (§4.10)")


# --- §4.11 Malware ------------------------------------------------------------------------------


def _family_is_named(obj: Mapping[str, Any], found: Findings) -> None:
    if obj.get("is_family") is True and "name" not in obj:
        found.add("name", "required-property", "'name' is required when 'is_family' is true")


# --- §4.14 Observed Data ------------------------------------------------------------------------


def _objects_or_refs(obj: Mapping[str, Any], found: Findings) -> None:
    has_objects, has_refs = "objects" in obj, "object_refs" in obj
    if has_objects and has_refs:
        found.add("objects", "exclusive-properties",
                  "'objects' must not be present together with 'object_refs' (§4.14)")
    elif not (has_objects or has_refs):
        found.add("object_refs", "required-property",
                  "observed-data requires 'object_refs' (or the deprecated 'objects')")


# --- §7.1 Language Content ----------------------------------------------------------------------


def _contents(value: Any, path: str, found: Findings) -> None:
    """Keys are language codes; each value mirrors properties of the translated object."""
    if type(value) is not dict or not value:
        unexpected(found, path, value, "an object keyed by language code")
        return
    for language, translation in value.items():
        where = f"{path}.{language}"
        if type(language) is not str or LANGUAGE_CODE.match(language) is None:
            found.add(where, "value-format",
                      f"key {show(language)} of '{path}' must be an RFC 5646 language code")
        if type(translation) is not dict or not translation:
            unexpected(found, where, translation, "an object of translated properties")
            continue
        for name, text in translation.items():
            if type(name) is not str or (name != "id" and PROPERTY_NAME.match(name) is None):
                found.add(f"{where}.{name}", "property-name",
                          f"{show(name)} in '{where}' must be a property name (§3.1)")
            custom_value(text, f"{where}.{name}", found)


# --- §7.2 Marking Definition --------------------------------------------------------------------

_STATEMENT = structure({"statement": string}, required=("statement",),
                       what="a statement marking")


def _marking_definition(obj: Mapping[str, Any], found: Findings) -> None:
    """§7.2.1: definition_type and definition, unless an extension defines the marking; the
    statement form; only the four standard TLP 1.0 markings; no marking of itself."""
    if "extensions" not in obj:
        for name in ("definition_type", "definition"):
            if name not in obj:
                found.add(name, "required-property",
                          f"'{name}' is required on a marking-definition without 'extensions'")
    definition_type, definition = obj.get("definition_type"), obj.get("definition")
    if "definition" in obj and definition_type != "statement" and type(definition) is not dict:
        unexpected(found, "definition", definition, "an object")
    if definition_type == "statement" and "definition" in obj:
        _STATEMENT(definition, "definition", found)
    own = obj.get("id")
    if type(own) is str and own in TLP_MARKINGS and definition_type != "tlp":
        found.add("definition_type", "tlp-marking",
                  f"{own} is TLP:{TLP_MARKINGS[own].upper()} (§7.2.1.4): its definition_type "
                  "is 'tlp', as defined there, or another id is needed")
    elif type(own) is str and own in TLP2_MARKINGS:
        _tlp2_marking(obj, TLP2_MARKINGS[own], found)
    elif definition_type == "tlp":
        colour = TLP_MARKINGS.get(own) if type(own) is str else None
        if (colour is None or definition != {"tlp": colour}
                or obj.get("name", f"TLP:{colour.upper()}") != f"TLP:{colour.upper()}"
                or obj.get("created") != TLP_CREATED):
            found.add("definition", "tlp-marking",
                      "a TLP marking-definition must be one of the four defined in §7.2.1.4")
    own_id = obj.get("id")
    refs = obj.get("object_marking_refs")
    if type(refs) is list and own_id in refs:
        found.add("object_marking_refs", "circular-marking",
                  "a marking-definition must not mark itself (§3.2)")
    markings = obj.get("granular_markings")
    if type(markings) is list and any(
        type(marking) is dict and marking.get("marking_ref") == own_id for marking in markings
    ):
        found.add("granular_markings", "circular-marking",
                  "a marking-definition must not mark itself (§3.2)")


def _tlp2_marking(obj: Mapping[str, Any], level: str, found: Findings) -> None:
    """One of TLP 2.0's ids holds TLP 2.0's definition, as FIRST published it: a node goes by
    the id, and a reader of the object by its name; the two must not say different things."""
    name = f"TLP:{level.upper()}"
    extension = obj.get("extensions")
    defined = extension.get(TLP2_EXTENSION) if isinstance(extension, Mapping) else None
    if (obj.get("name") != name or obj.get("created") != TLP2_CREATED
            or not isinstance(defined, Mapping) or defined.get("tlp_2_0") != level
            or "definition_type" in obj or "definition" in obj or "created_by_ref" in obj):
        found.add("extensions", "tlp-marking",
                  f"{obj.get('id')} is {name} of TLP 2.0: it must be that marking-definition "
                  f"as published (name '{name}', created {TLP2_CREATED}, extension "
                  f"{TLP2_EXTENSION} with tlp_2_0 '{level}', no creator)")


# --- §7.3 Extension Definition ------------------------------------------------------------------


def _extension_properties_only_toplevel(obj: Mapping[str, Any], found: Findings) -> None:
    types = obj.get("extension_types")
    if "extension_properties" in obj and not (
        type(types) is list and "toplevel-property-extension" in types
    ):
        found.add("extension_properties", "exclusive-properties",
                  "'extension_properties' may only be used with a "
                  "'toplevel-property-extension' (§7.3.1)")


NOT_CORE = SRO_TYPES | SMO_TYPES

TYPES: tuple[ObjectType, ...] = (
    _named("attack-pattern", {"aliases": strings, "kill_chain_phases": KILL_CHAIN_PHASES}),
    _named("campaign", {"aliases": strings, **SEEN, "objective": string},
           rules=(LAST_SEEN_AFTER_FIRST,)),
    _named("course-of-action"),
    object_type("grouping", SDO, {**NAMED, "context": string, "object_refs": ANY_REFERENCES},
                ("context", "object_refs")),
    _named("identity", {"roles": strings, "identity_class": string, "sectors": strings,
                        "contact_information": string}),
    _named("incident", {"kill_chain_phases": KILL_CHAIN_PHASES}),
    object_type("indicator", SDO, {
        **NAMED, "indicator_types": strings, "pattern": string, "pattern_type": string,
        "pattern_version": string, "valid_from": timestamp, "valid_until": timestamp,
        "kill_chain_phases": KILL_CHAIN_PHASES,
    }, ("pattern", "pattern_type", "valid_from"),
        (ordered("valid_until", "valid_from", strictly=True, section="§4.7"), _pattern_parses)),
    _named("infrastructure", {"infrastructure_types": strings, "aliases": strings,
                              "kill_chain_phases": KILL_CHAIN_PHASES, **SEEN},
           rules=(LAST_SEEN_AFTER_FIRST,)),
    _named("intrusion-set", {"aliases": strings, **SEEN, "goals": strings,
                             "resource_level": string, "primary_motivation": string,
                             "secondary_motivations": strings},
           rules=(LAST_SEEN_AFTER_FIRST,)),
    object_type("location", SDO, {
        **NAMED, "latitude": number(-90, 90), "longitude": number(-180, 180),
        "precision": number(0), "region": string, "country": string,
        "administrative_area": string, "city": string, "street_address": string,
        "postal_code": string,
    }, rules=(_location_is_placed,)),
    object_type("malware", SDO, {
        **NAMED, "malware_types": strings, "is_family": boolean, "aliases": strings,
        "kill_chain_phases": KILL_CHAIN_PHASES, **SEEN, "operating_system_refs":
        references({"software"}), "architecture_execution_envs": strings,
        "implementation_languages": strings, "capabilities": strings,
        "sample_refs": references({"artifact", "file"}),
    }, ("is_family",), (LAST_SEEN_AFTER_FIRST, _family_is_named)),
    object_type("malware-analysis", SDO, {
        "product": string, "version": string, "host_vm_ref": SOFTWARE,
        "operating_system_ref": SOFTWARE, "installed_software_refs": references({"software"}),
        "configuration_version": string, "modules": strings, "analysis_engine_version": string,
        "analysis_definition_version": string, "submitted": timestamp,
        "analysis_started": timestamp, "analysis_ended": timestamp, "result_name": string,
        "result": string, "analysis_sco_refs": references(denied=SDO_TYPES | NOT_CORE),
        "sample_ref": reference({"file", "network-traffic", "artifact"}),
    }, ("product",), (at_least_one("result", "analysis_sco_refs", section="§4.12"),)),
    object_type("note", SDO, {"abstract": string, "content": string, "authors": strings,
                              "object_refs": ANY_REFERENCES}, ("content", "object_refs")),
    object_type("observed-data", SDO, {
        "first_observed": timestamp, "last_observed": timestamp,
        "number_observed": integer(1, 999_999_999), "objects": observable_container,
        "object_refs": references(denied=SDO_TYPES | SMO_TYPES),
    }, ("first_observed", "last_observed", "number_observed"),
        (ordered("last_observed", "first_observed", section="§4.14"), _objects_or_refs)),
    object_type("opinion", SDO, {"explanation": string, "authors": strings,
                                 "opinion": enum(OPINIONS), "object_refs": ANY_REFERENCES},
                ("opinion", "object_refs")),
    object_type("report", SDO, {**NAMED, "report_types": strings, "published": timestamp,
                                "object_refs": ANY_REFERENCES},
                ("name", "published", "object_refs")),
    _named("threat-actor", {
        "threat_actor_types": strings, "aliases": strings, **SEEN, "roles": strings,
        "goals": strings, "sophistication": string, "resource_level": string,
        "primary_motivation": string, "secondary_motivations": strings,
        "personal_motivations": strings,
    }, rules=(LAST_SEEN_AFTER_FIRST,)),
    _named("tool", {"tool_types": strings, "aliases": strings,
                    "kill_chain_phases": KILL_CHAIN_PHASES, "tool_version": string}),
    _named("vulnerability"),
    # §5.1: the ends of a relationship are SDOs or SCOs; its type is ASCII a-z, 0-9 and '-'.
    object_type("relationship", SRO, {
        "relationship_type": pattern(r"^[a-z0-9-]+\Z", "lowercase ASCII letters, digits and '-'",
                                     few_values=True),
        "description": string, "source_ref": reference(denied=NOT_CORE),
        "target_ref": reference(denied=NOT_CORE), "start_time": timestamp,
        "stop_time": timestamp,
    }, ("relationship_type", "source_ref", "target_ref"),
        (ordered("stop_time", "start_time", strictly=True, section="§5.1"),)),
    # §5.2: what was sighted is an SDO; where it was sighted, an identity or a location.
    object_type("sighting", SRO, {
        "description": string, **SEEN, "count": integer(0, 999_999_999),
        "sighting_of_ref": reference(denied=SCO_TYPES | NOT_CORE),
        "observed_data_refs": references({"observed-data"}),
        "where_sighted_refs": references({"identity", "location"}), "summary": boolean,
    }, ("sighting_of_ref",), (LAST_SEEN_AFTER_FIRST,)),
    object_type("language-content", SMO, {
        "object_ref": ANY_REFERENCE, "object_modified": timestamp, "contents": _contents,
    }, ("object_ref", "contents")),
    object_type("marking-definition", SMO, {
        "name": string, "definition_type": string,
    }, rules=(_marking_definition,), common_required=("spec_version", "id", "created")),
    object_type("extension-definition", SMO, {
        **NAMED, "schema": string, "version": string,
        "extension_types": enums(EXTENSION_TYPES), "extension_properties": strings,
    }, ("created_by_ref", "name", "schema", "version", "extension_types"),
        (_extension_properties_only_toplevel,)),
)

