"""The STIX 2.1 validator: valid objects pass, and each broken MUST rule is reported with its
rule code and the dotted path of the property that breaks it."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.stix.validation import validate
from accord.stix.violations import Violation
from accord.stix.vocabularies import SCO_TYPES, SDO_TYPES, SMO_TYPES, SRO_TYPES

UUID4 = "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
UUID5 = "28bb3599-77cd-5a82-a950-b5bc3caf07c4"
T0 = "2016-04-29T14:09:00.000Z"
T1 = "2016-05-01T08:00:00.000Z"
TLP_GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"


def ref(object_type: str, uuid: str = UUID4) -> str:
    return f"{object_type}--{uuid}"


def sdo(object_type: str, **properties: Any) -> dict[str, Any]:
    return {"type": object_type, "spec_version": "2.1", "id": ref(object_type),
            "created": T0, "modified": T0, **properties}


def sco(object_type: str, **properties: Any) -> dict[str, Any]:
    return {"type": object_type, "spec_version": "2.1", "id": ref(object_type, UUID5),
            **properties}


VALID: dict[str, dict[str, Any]] = {
    "attack-pattern": sdo(
        "attack-pattern", name="Spear Phishing",
        kill_chain_phases=[{"kill_chain_name": "lockheed-martin", "phase_name": "delivery"}],
        external_references=[{"source_name": "capec", "external_id": "CAPEC-163"}]),
    "campaign": sdo("campaign", name="Bank Attack", first_seen=T0, last_seen=T1,
                    aliases=["Heist"]),
    "course-of-action": sdo("course-of-action", name="Block port 80"),
    "grouping": sdo("grouping", context="suspicious-activity",
                    object_refs=[ref("indicator"), ref("ipv4-addr", UUID5)]),
    "identity": sdo("identity", name="ACME", identity_class="organization",
                    sectors=["technology"]),
    "incident": sdo("incident", name="Breach"),
    "indicator": sdo("indicator", name="C2", pattern="[ipv4-addr:value = '198.51.100.1']",
                     pattern_type="stix", valid_from=T0, valid_until=T1,
                     indicator_types=["malicious-activity"]),
    "infrastructure": sdo("infrastructure", name="Botnet", infrastructure_types=["botnet"]),
    "intrusion-set": sdo("intrusion-set", name="APT1", first_seen=T0,
                         primary_motivation="organizational-gain"),
    "location": sdo("location", latitude=48.8566, longitude=2.3522, precision=1000.0,
                    region="western-europe", country="FR"),
    "malware": sdo("malware", name="Poison Ivy", is_family=True, malware_types=["backdoor"],
                   sample_refs=[ref("file", UUID5)]),
    "malware-analysis": sdo("malware-analysis", product="clamav", result="malicious",
                            sample_ref=ref("file", UUID5), submitted=T0),
    "note": sdo("note", content="Seen twice", object_refs=[ref("campaign")]),
    "observed-data": sdo("observed-data", first_observed=T0, last_observed=T1,
                         number_observed=3, object_refs=[ref("ipv4-addr", UUID5)]),
    "opinion": sdo("opinion", opinion="strongly-agree", object_refs=[ref("report")]),
    "report": sdo("report", name="Q2", published=T1, object_refs=[ref("indicator")]),
    "threat-actor": sdo("threat-actor", name="Evil Org", roles=["director"]),
    "tool": sdo("tool", name="nmap", tool_types=["information-gathering"]),
    "vulnerability": sdo("vulnerability", name="CVE-2016-1234", external_references=[
        {"source_name": "cve", "external_id": "CVE-2016-1234"}]),
    "relationship": sdo("relationship", relationship_type="uses",
                        source_ref=ref("intrusion-set"), target_ref=ref("malware"),
                        start_time=T0, stop_time=T1),
    "sighting": sdo("sighting", sighting_of_ref=ref("indicator"), count=2,
                    where_sighted_refs=[ref("identity"), ref("location")],
                    observed_data_refs=[ref("observed-data")], first_seen=T0, last_seen=T0),
    "language-content": sdo("language-content", object_ref=ref("campaign"),
                            object_modified=T0, contents={"de": {"name": "Bankangriff"}}),
    "marking-definition": {
        "type": "marking-definition", "spec_version": "2.1", "id": ref("marking-definition"),
        "created": T0, "definition_type": "statement",
        "definition": {"statement": "Copyright 2016, Example Corp"}},
    "extension-definition": sdo(
        "extension-definition", created_by_ref=ref("identity"), name="Rank",
        schema="https://example.com/rank.json", version="1.0.0",
        extension_types=["toplevel-property-extension"], extension_properties=["rank"]),
    "artifact": sco("artifact", mime_type="application/zip", payload_bin="aGVsbG8gd29ybGQ=",
                    encryption_algorithm="mime-type-indicated", decryption_key="infected"),
    "autonomous-system": sco("autonomous-system", number=15139, name="Slime Industries"),
    "directory": sco("directory", path="C:\\Windows\\System32", path_enc="cp1252"),
    "domain-name": sco("domain-name", value="example.com",
                       resolves_to_refs=[ref("ipv4-addr", UUID5)]),
    "email-addr": sco("email-addr", value="john@example.com", display_name="John"),
    "email-message": sco("email-message", is_multipart=True,
                         from_ref=ref("email-addr", UUID5), to_refs=[ref("email-addr")],
                         date=T0, subject="Report", body_multipart=[
                             {"content_type": "text/plain", "body": "See attachment"},
                             {"body_raw_ref": ref("artifact")}]),
    "file": sco("file", name="a.exe", size=25536,
                hashes={"SHA-256": "a" * 64, "x_acme_hash": "anything"},
                extensions={"ntfs-ext": {"sid": "1234567"},
                            "windows-pebinary-ext": {"pe_type": "exe",
                                                     "time_date_stamp": "2016-01-22T12:31:12Z"}}),
    "ipv4-addr": sco("ipv4-addr", value="198.51.100.0/24"),
    "ipv6-addr": sco("ipv6-addr", value="2001:0db8::/96"),
    "mac-addr": sco("mac-addr", value="d2:fb:49:24:37:18"),
    "mutex": sco("mutex", name="__CLEANSWEEP__"),
    "network-traffic": sco("network-traffic", src_ref=ref("ipv4-addr", UUID5), dst_port=443,
                           protocols=["ipv4", "tcp"], start=T0, end=T1, is_active=False,
                           extensions={"tcp-ext": {"src_flags_hex": "00000002"}}),
    "process": {"type": "process", "spec_version": "2.1", "id": ref("process"), "pid": 1221,
                "command_line": "./gedit-bin --new-window", "environment_variables": {
                    "HOME": "/home/x"}},
    "software": sco("software", name="Word", cpe="cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*",
                    languages=["en", "de-CH"]),
    "url": sco("url", value="https://example.com/research/index.html"),
    "user-account": sco("user-account", user_id="1001", account_login="jdoe",
                        account_type="unix", extensions={"unix-account-ext": {"gid": 1001}}),
    "windows-registry-key": sco(
        "windows-registry-key", key="HKEY_LOCAL_MACHINE\\System\\Foo",
        values=[{"name": "Foo", "data": "qwerty", "data_type": "REG_SZ"}]),
    "x509-certificate": sco("x509-certificate", issuer="C=ZA, O=Thawte",
                            serial_number="36:f7:d4:32", validity_not_before=T0,
                            validity_not_after=T1),
}

CUSTOM: dict[str, dict[str, Any]] = {
    # ATT&CK's own object types and properties: a versioned custom object.
    "x-mitre-tactic": sdo("x-mitre-tactic", name="Collection", x_mitre_shortname="collection",
                          x_mitre_domains=["enterprise-attack"], x_mitre_version="1.0",
                          object_marking_refs=[TLP_GREEN]),
    "x-mitre-matrix": sdo("x-mitre-matrix", name="Enterprise", tactic_refs=[
        ref("x-mitre-tactic")]),
    # A custom observable: not versioned, so it needs neither created nor spec_version.
    "x-acme-sensor": {"type": "x-acme-sensor", "id": ref("x-acme-sensor"), "serial": "A-1"},
}


def found(obj: Any) -> set[tuple[str, str | None]]:
    return {(violation.rule, violation.property) for violation in validate(obj)}


def broken(object_type: str, **changes: Any) -> dict[str, Any]:
    """A copy of the valid example of `object_type` with `changes` applied (None deletes)."""
    obj = copy.deepcopy(VALID.get(object_type) or CUSTOM[object_type])
    for name, value in changes.items():
        if value is DELETE:
            obj.pop(name, None)
        else:
            obj[name] = value
    return obj


DELETE = object()


# --- valid objects ------------------------------------------------------------------------------


def test_every_specification_type_has_a_valid_example() -> None:
    assert set(VALID) == SDO_TYPES | SRO_TYPES | SCO_TYPES | SMO_TYPES


@pytest.mark.parametrize("object_type", sorted(VALID) + sorted(CUSTOM))
def test_valid_object_has_no_violation(object_type: str) -> None:
    obj = VALID.get(object_type) or CUSTOM[object_type]
    assert validate(obj) == []


def test_the_four_tlp_marking_definitions_are_valid() -> None:
    for identifier, colour in [(TLP_GREEN, "green"), (
            "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "red")]:
        marking = {"type": "marking-definition", "spec_version": "2.1", "id": identifier,
                   "created": "2017-01-20T00:00:00.000Z", "definition_type": "tlp",
                   "name": f"TLP:{colour.upper()}", "definition": {"tlp": colour}}
        assert validate(marking) == []


def test_validate_does_not_change_the_object() -> None:
    obj = broken("indicator", pattern="[bad", created=None)
    before = copy.deepcopy(obj)
    validate(obj)
    assert obj == before


# --- what a STIX object is ----------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, [], [VALID["indicator"]], "indicator", 3, True])
def test_anything_but_a_json_object_is_not_an_object(value: Any) -> None:
    assert validate(value) == [Violation(None, None, "not-an-object", validate(value)[0].message)]
    assert found(value) == {("not-an-object", None)}


def test_violation_names_the_object_and_says_what_is_required() -> None:
    violations = validate(broken("indicator", pattern_type=DELETE))
    assert violations == [Violation(ref("indicator"), "pattern_type", "required-property",
                                    "'pattern_type' is required for type 'indicator'")]


def test_a_bundle_is_not_a_stix_object() -> None:
    bundle = {"type": "bundle", "id": ref("bundle"), "objects": [VALID["indicator"]]}
    assert found(bundle) == {("not-a-stix-object", "type")}


# --- type and id (§2.9, §3.1) -------------------------------------------------------------------


def test_missing_type_is_required() -> None:
    assert ("required-property", "type") in found(broken("malware", type=DELETE))


@pytest.mark.parametrize("name", ["Malware-x", "x--y", "x-", "-xy", "1xy", "ab", "x" * 251,
                                  "x_y_z", "x-y.z"])
def test_malformed_type_name_is_a_type_syntax_violation(name: str) -> None:
    obj = {"type": name, "id": f"{name}--{UUID4}"}
    assert ("type-syntax", "type") in found(obj)


def test_type_action_is_reserved() -> None:
    assert ("reserved-name", "type") in found({"type": "action", "id": ref("action")})


@pytest.mark.parametrize("identifier", [
    "indicator--not-a-uuid",
    "indicator--8e2e2d2b-17d4-4cbf-138f-98ee46b3cd3f",  # RFC 4122 variant bits wrong
    "indicator--8e2e2d2b-17d4-0cbf-938f-98ee46b3cd3f",  # no UUID version
    f"indicator-{UUID4}",
    f"indicator--{UUID4}\n",
])
def test_malformed_id_is_an_id_syntax_violation(identifier: str) -> None:
    assert found(broken("indicator", id=identifier)) == {("id-syntax", "id")}


def test_id_of_another_type_is_a_mismatch() -> None:
    assert found(broken("indicator", id=ref("malware"))) == {("id-type-mismatch", "id")}


# --- identifiers in lowercase (§2.9, RFC 4122 §3) -------------------------------------------

# CNCERT's indicator, and the same id in capitals: one object to every tool that lowercases ids.
LOWER = "0f60cad6-3c2a-4d8e-9b1f-5a7e2c4d6b80"
UPPER = LOWER.upper()


def test_an_id_with_uppercase_hex_is_refused_saying_to_write_it_in_lowercase() -> None:
    violations = validate(broken("indicator", id=ref("indicator", UPPER)))
    assert [(v.rule, v.property) for v in violations] == [("id-case", "id")]
    message = violations[0].message
    assert "'id' must be written in lowercase" in message
    assert f"indicator--{LOWER}" in message
    assert violations[0].object_id == f"indicator--{UPPER}"  # the refusal names its object


@pytest.mark.parametrize("uuid", [
    LOWER[:-1] + "A",  # one digit is enough
    LOWER.replace("cad", "CAD"),
    LOWER.replace("b", "B", 1),  # the variant digit
])
def test_any_uppercase_hex_digit_in_an_id_is_refused(uuid: str) -> None:
    assert found(broken("malware", id=ref("malware", uuid))) == {("id-case", "id")}


@given(st.uuids(version=4), st.data())
@settings(max_examples=60, deadline=None)
def test_an_id_is_valid_in_lowercase_and_refused_with_any_letter_in_capitals(
        uuid: Any, data: st.DataObject) -> None:
    lower = str(uuid)
    assert validate(broken("tool", id=ref("tool", lower))) == []
    letters = [i for i, c in enumerate(lower) if c in "abcdef"]
    if not letters:
        return
    raised = data.draw(st.sets(st.sampled_from(letters), min_size=1))
    upper = "".join(c.upper() if i in raised else c for i, c in enumerate(lower))
    assert found(broken("tool", id=ref("tool", upper))) == {("id-case", "id")}


@pytest.mark.parametrize(("object_type", "changes", "where"), [
    ("tool", {"created_by_ref": ref("identity", UPPER)}, "created_by_ref"),
    ("tool", {"object_marking_refs": [TLP_GREEN, ref("marking-definition", UPPER)]},
     "object_marking_refs[1]"),
    ("relationship", {"target_ref": ref("malware", UPPER)}, "target_ref"),
    ("sighting", {"where_sighted_refs": [ref("identity", UPPER)]}, "where_sighted_refs[0]"),
    ("grouping", {"object_refs": [ref("indicator"), ref("indicator", UPPER)]}, "object_refs[1]"),
    # Embedded: a MIME part of an e-mail, a granular marking.
    ("email-message", {"body_multipart": [{"body_raw_ref": ref("artifact", UPPER)}]},
     "body_multipart[0].body_raw_ref"),
    ("indicator", {"granular_markings": [{"marking_ref": ref("marking-definition", UPPER),
                                          "selectors": ["name"]}]},
     "granular_markings[0].marking_ref"),
    # Custom references (ATT&CK's x_mitre_modified_by_ref), here and in an extension.
    ("x-mitre-tactic", {"x_mitre_modified_by_ref": ref("identity", UPPER)},
     "x_mitre_modified_by_ref"),
    ("x-mitre-tactic", {"x_acme_seen_refs": [ref("identity"), ref("identity", UPPER)]},
     "x_acme_seen_refs[1]"),
    ("indicator", {"extensions": {ref("extension-definition"): {
        "extension_type": "property-extension", "source_ref": ref("identity", UPPER)}}},
     f"extensions.{ref('extension-definition')}.source_ref"),
])
def test_a_reference_with_uppercase_hex_is_refused_naming_its_property(
        object_type: str, changes: dict[str, Any], where: str) -> None:
    violations = validate(broken(object_type, **changes))
    assert [(v.rule, v.property) for v in violations] == [("id-case", where)]
    assert f"'{where}' must be written in lowercase" in violations[0].message


def test_an_extension_definition_key_with_uppercase_hex_is_refused() -> None:
    key = ref("extension-definition", UPPER)
    obj = broken("indicator", extensions={key: {"extension_type": "property-extension",
                                                "rank": 1}})
    violations = validate(obj)
    assert [(v.rule, v.property) for v in violations] == [("id-case", f"extensions.{key}")]
    assert "lowercase" in violations[0].message


def test_what_is_no_identifier_reference_may_hold_capitals() -> None:
    # A name, a description or a custom property that is no *_ref is the producer's text;
    # a custom *_ref holding no identifier (ATT&CK ships "") stays accepted.
    assert validate(broken("tool", name=ref("indicator", UPPER),
                           description=f"Copied from indicator--{UPPER}.",
                           x_acme_origin=ref("indicator", UPPER))) == []
    assert validate(broken("x-mitre-tactic", x_mitre_modified_by_ref="",
                           x_acme_note_ref="SEE-ALSO")) == []


def test_id_that_is_not_a_string_is_the_wrong_type() -> None:
    assert found(broken("indicator", id=42)) == {("wrong-type", "id")}


# --- spec_version (§3.2) ------------------------------------------------------------------------


@pytest.mark.parametrize("object_type", ["indicator", "relationship", "marking-definition",
                                         "language-content", "extension-definition",
                                         "x-mitre-tactic"])
def test_spec_version_is_required_except_on_observables(object_type: str) -> None:
    assert found(broken(object_type, spec_version=DELETE)) == {
        ("required-property", "spec_version")}


def test_spec_version_is_optional_on_observables() -> None:
    assert validate(broken("ipv4-addr", spec_version=DELETE)) == []
    assert validate(broken("x-acme-sensor")) == []


@pytest.mark.parametrize("object_type", ["indicator", "ipv4-addr"])
@pytest.mark.parametrize("version", ["2.0", "2.2", 2.1])
def test_spec_version_other_than_2_1_is_refused(object_type: str, version: Any) -> None:
    assert found(broken(object_type, spec_version=version)) == {("spec-version", "spec_version")}


# --- required properties ------------------------------------------------------------------------

REQUIRED = {
    "attack-pattern": ["name"], "campaign": ["name"], "course-of-action": ["name"],
    "grouping": ["context", "object_refs"], "identity": ["name"], "incident": ["name"],
    "indicator": ["pattern", "pattern_type", "valid_from"], "infrastructure": ["name"],
    "intrusion-set": ["name"], "malware": ["is_family"], "malware-analysis": ["product"],
    "note": ["content", "object_refs"],
    "observed-data": ["first_observed", "last_observed", "number_observed"],
    "opinion": ["opinion", "object_refs"], "report": ["name", "published", "object_refs"],
    "threat-actor": ["name"], "tool": ["name"], "vulnerability": ["name"],
    "relationship": ["relationship_type", "source_ref", "target_ref"],
    "sighting": ["sighting_of_ref"], "language-content": ["object_ref", "contents"],
    "extension-definition": ["created_by_ref", "name", "schema", "version", "extension_types"],
    "marking-definition": ["created"],
    "autonomous-system": ["number"], "directory": ["path"], "domain-name": ["value"],
    "email-addr": ["value"], "email-message": ["is_multipart"], "ipv4-addr": ["value"],
    "ipv6-addr": ["value"], "mac-addr": ["value"], "mutex": ["name"],
    "network-traffic": ["protocols"], "software": ["name"], "url": ["value"],
}
VERSIONED = sorted(SDO_TYPES | SRO_TYPES | {"language-content", "extension-definition"})


@pytest.mark.parametrize(("object_type", "name"), [
    (object_type, name) for object_type, names in REQUIRED.items() for name in names])
def test_missing_type_specific_property_is_required(object_type: str, name: str) -> None:
    assert ("required-property", name) in found(broken(object_type, **{name: DELETE}))


@pytest.mark.parametrize("object_type", VERSIONED)
@pytest.mark.parametrize("name", ["id", "created", "modified"])
def test_common_properties_are_required_on_versioned_objects(object_type: str,
                                                             name: str) -> None:
    assert ("required-property", name) in found(broken(object_type, **{name: DELETE}))


@pytest.mark.parametrize("object_type", sorted(SCO_TYPES))
def test_observables_require_an_id(object_type: str) -> None:
    assert ("required-property", "id") in found(broken(object_type, id=DELETE))


def test_custom_object_with_created_is_versioned_and_needs_modified() -> None:
    assert found(broken("x-mitre-tactic", modified=DELETE)) == {("required-property", "modified")}


# --- timestamps (§2.16, §3.2, §3.6.1) -----------------------------------------------------------


@pytest.mark.parametrize("value", ["2016-04-29 14:09:00.000Z", "2016-04-29T14:09:00.000",
                                   "2016-02-30T00:00:00.000Z", "2016-13-01T00:00:00.000Z",
                                   "2016-04-29T14:09:00.000+00:00", "yesterday",
                                   "2016-04-29T14:09:00.000Z\n", "２０16-04-29T14:09:00.000Z"])
def test_malformed_created_is_a_timestamp_syntax_violation(value: str) -> None:
    assert ("timestamp-syntax", "created") in found(broken("campaign", created=value))


def test_created_and_modified_need_millisecond_precision() -> None:
    assert found(broken("campaign", created="2016-04-29T14:09:00Z",
                        modified="2016-04-29T14:09:00.1Z")) == {
        ("timestamp-precision", "created"), ("timestamp-precision", "modified")}


def test_finer_than_millisecond_precision_is_fine() -> None:
    assert validate(broken("campaign", created="2016-04-29T14:09:00.123456Z",
                           modified="2016-04-29T14:09:00.123456789Z")) == []


@pytest.mark.parametrize(("object_type", "name"), [
    ("campaign", "first_seen"), ("indicator", "valid_from"), ("report", "published"),
    ("observed-data", "last_observed"), ("sighting", "last_seen"),
    ("relationship", "start_time"), ("malware-analysis", "submitted"),
    ("language-content", "object_modified"), ("network-traffic", "end"),
    ("x509-certificate", "validity_not_after")])
def test_timestamp_properties_must_parse(object_type: str, name: str) -> None:
    assert ("timestamp-syntax", name) in found(broken(object_type, **{name: "2016-02-30"}))


def test_modified_before_created_is_refused() -> None:
    assert found(broken("campaign", modified="2016-04-29T14:08:59.999Z")) == {
        ("modified-before-created", "modified")}


def test_modified_equal_to_created_at_another_precision_is_fine() -> None:
    assert validate(broken("campaign", modified="2016-04-29T14:09:00.000000Z")) == []


@pytest.mark.parametrize(("object_type", "later", "earlier", "equal_is_fine"), [
    ("indicator", "valid_until", "valid_from", False),
    ("relationship", "stop_time", "start_time", False),
    ("campaign", "last_seen", "first_seen", True),
    ("intrusion-set", "last_seen", "first_seen", True),
    ("sighting", "last_seen", "first_seen", True),
    ("observed-data", "last_observed", "first_observed", True),
    ("network-traffic", "end", "start", True),
])
def test_time_ranges_must_not_end_before_they_start(object_type: str, later: str, earlier: str,
                                                    equal_is_fine: bool) -> None:
    backwards = broken(object_type, **{earlier: T1, later: T0})
    assert found(backwards) == {("timestamp-order", later)}
    same = broken(object_type, **{earlier: T0, later: "2016-04-29T14:09:00Z"})
    assert (validate(same) == []) is equal_is_fine


# --- null, empty lists and objects (§2.3, §2.12) ------------------------------------------------


def test_null_property_is_refused_with_its_path() -> None:
    assert found(broken("indicator", name=None)) == {("null-value", "name")}
    assert found(broken("indicator", x_acme_score=None)) == {("null-value", "x_acme_score")}


def test_nested_null_is_refused_with_its_path() -> None:
    obj = broken("attack-pattern")
    obj["external_references"][0]["url"] = None
    assert found(obj) == {("null-value", "external_references[0].url")}


def test_empty_lists_are_refused_at_every_known_level() -> None:
    assert found(broken("indicator", kill_chain_phases=[])) == {
        ("empty-list", "kill_chain_phases")}
    assert found(broken("indicator", x_acme_tags=[])) == {("empty-list", "x_acme_tags")}
    assert found(broken("indicator", granular_markings=[
        {"marking_ref": TLP_GREEN, "selectors": []}])) == {
        ("empty-list", "granular_markings[0].selectors")}


def test_empty_dictionaries_are_refused() -> None:
    assert found(broken("file", hashes={})) == {("empty-dictionary", "hashes")}
    assert found(broken("indicator", extensions={})) == {("empty-dictionary", "extensions")}


def test_the_inside_of_a_custom_property_belongs_to_its_producer() -> None:
    # ATT&CK ICS ships x_mitre_related_assets[].related_asset_sectors == [].
    assert validate(broken("x-mitre-tactic", x_mitre_related=[{"sectors": []}])) == []


# --- common properties (§3.2) -------------------------------------------------------------------


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("revoked", "true", ("wrong-type", "revoked")),
    ("confidence", 101, ("value-range", "confidence")),
    ("confidence", -1, ("value-range", "confidence")),
    ("confidence", True, ("wrong-type", "confidence")),
    ("confidence", "50", ("wrong-type", "confidence")),
    ("lang", "english!", ("value-format", "lang")),
    ("lang", 7, ("wrong-type", "lang")),
    ("labels", "one", ("wrong-type", "labels")),
    ("labels", ["one", 2], ("wrong-type", "labels[1]")),
    ("external_references", {"source_name": "x"}, ("wrong-type", "external_references")),
    ("extensions", ["x"], ("wrong-type", "extensions")),
    ("created_by_ref", ref("malware"), ("reference-type", "created_by_ref")),
    ("created_by_ref", "ACME", ("id-syntax", "created_by_ref")),
    ("object_marking_refs", [TLP_GREEN, ref("identity")],
     ("reference-type", "object_marking_refs[1]")),
    ("object_marking_refs", TLP_GREEN, ("wrong-type", "object_marking_refs")),
])
def test_common_property_of_the_wrong_kind_is_reported(name: str, value: Any,
                                                       expected: tuple[str, str]) -> None:
    assert found(broken("tool", **{name: value})) == {expected}


def test_common_properties_of_the_right_kind_pass() -> None:
    obj = broken("tool", revoked=True, confidence=0, lang="zh-Hant-TW", labels=["apt"],
                 created_by_ref=ref("identity"), object_marking_refs=[TLP_GREEN],
                 external_references=[{"source_name": "ACME", "url": "https://acme.example/r",
                                       "hashes": {"SHA-256": "b" * 64}}])
    assert validate(obj) == []


def test_integer_written_as_whole_float_is_an_integer() -> None:
    assert validate(broken("tool", confidence=50.0)) == []
    assert found(broken("tool", confidence=50.5)) == {("wrong-type", "confidence")}


def test_integer_beyond_the_json_safe_range_is_refused() -> None:
    assert found(broken("autonomous-system", number=2**60)) == {("value-range", "number")}


def test_defanged_is_only_for_observables() -> None:
    assert found(broken("tool", defanged=True)) == {("property-not-allowed", "defanged")}
    assert validate(broken("url", defanged=True)) == []


@pytest.mark.parametrize(("reference", "expected"), [
    ({"source_name": "ACME"}, ("required-property", "external_references[0]")),
    ({"url": "https://x.example"}, ("required-property", "external_references[0].source_name")),
    ({"source_name": "capec", "external_id": "163"},
     ("value-format", "external_references[0].external_id")),
    ({"source_name": "cve", "description": "no id"},
     ("value-format", "external_references[0].external_id")),
    ({"source_name": "nvd", "external_id": "CVE-2016-1234"},
     ("value-format", "external_references[0].source_name")),
    ({"source_name": "ACME", "url": "not a url"}, ("uri-syntax", "external_references[0].url")),
    ({"source_name": "ACME", "url": "https://x.example", "hashes": {"x_acme": "a"}},
     ("closed-vocabulary", "external_references[0].hashes.x_acme")),
    ({"source_name": "ACME", "url": "https://x.example", "hashes": {"MD5": "abc"}},
     ("value-format", "external_references[0].hashes.MD5")),
])
def test_external_reference_rules(reference: dict[str, Any], expected: tuple[str, str]) -> None:
    assert found(broken("tool", external_references=[reference])) == {expected}


# --- property names (§3.1, §3.8) ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["X_acme", "xy", "x_acme-score", "1_acme", "x acme"])
def test_malformed_custom_property_name_is_refused(name: str) -> None:
    assert found(broken("tool", **{name: 1})) == {("property-name", name)}


@pytest.mark.parametrize("name", ["severity", "username", "phone_number", "action"])
def test_reserved_property_name_is_refused(name: str) -> None:
    assert found(broken("tool", **{name: "x"})) == {("reserved-name", name)}


def test_custom_hex_and_binary_properties_must_hold_hex_and_base64() -> None:
    assert validate(broken("tool", x_acme_hex="ff00", x_acme_bin="aGk=")) == []
    assert found(broken("tool", x_acme_hex="fff", x_acme_bin="a b")) == {
        ("value-format", "x_acme_hex"), ("value-format", "x_acme_bin")}


def test_custom_ref_property_may_hold_anything() -> None:
    # ATT&CK 18.1 has x_mitre_data_source_ref == "" on deprecated data components.
    assert validate(broken("x-mitre-tactic", x_mitre_data_source_ref="")) == []


# --- granular markings (§7.2.3) -----------------------------------------------------------------


def marked(*markings: dict[str, Any]) -> dict[str, Any]:
    return broken("indicator", granular_markings=list(markings))


def test_granular_markings_select_present_content() -> None:
    obj = marked({"marking_ref": TLP_GREEN, "selectors": ["name", "indicator_types.[0]"]},
                 {"lang": "de", "selectors": ["pattern"]})
    assert validate(obj) == []


@pytest.mark.parametrize("selector", ["description", "indicator_types.[1]", "name.[0]",
                                      "indicator_types.name", "", "name."])
def test_selector_of_absent_content_is_refused(selector: str) -> None:
    obj = marked({"marking_ref": TLP_GREEN, "selectors": [selector]})
    assert found(obj) == {("selector", "granular_markings[0].selectors[0]")}


def test_granular_marking_has_exactly_one_of_marking_ref_and_lang() -> None:
    both = marked({"marking_ref": TLP_GREEN, "lang": "de", "selectors": ["name"]})
    neither = marked({"selectors": ["name"]})
    assert found(both) == found(neither) == {("granular-marking", "granular_markings[0]")}


def test_granular_marking_ref_must_name_a_marking_definition() -> None:
    obj = marked({"marking_ref": ref("identity"), "selectors": ["name"]})
    assert found(obj) == {("reference-type", "granular_markings[0].marking_ref")}


# --- extensions (§3.2, §7.3) --------------------------------------------------------------------

EXTENSION = ref("extension-definition")


def test_property_extension_instance_is_accepted() -> None:
    obj = broken("indicator", extensions={EXTENSION: {"extension_type": "property-extension",
                                                      "rank": 5}})
    assert validate(obj) == []


def test_extension_definition_instance_needs_an_extension_type() -> None:
    obj = broken("indicator", extensions={EXTENSION: {"rank": 5}})
    assert found(obj) == {("required-property", f"extensions.{EXTENSION}.extension_type")}


def test_extension_type_comes_from_the_enumeration() -> None:
    obj = broken("indicator", extensions={EXTENSION: {"extension_type": "new-thing"}})
    assert found(obj) == {("closed-vocabulary", f"extensions.{EXTENSION}.extension_type")}


def test_extension_key_that_looks_like_a_definition_must_be_one() -> None:
    obj = broken("indicator", extensions={"extension-definition--nope": {
        "extension_type": "property-extension", "rank": 1}})
    assert found(obj) == {("id-syntax", "extensions.extension-definition--nope")}


def test_observable_extensions_are_predefined_defined_or_custom_ext() -> None:
    assert validate(broken("file", extensions={"x-acme-scan-ext": {"score": 3}})) == []
    assert found(broken("file", extensions={"acme": {"score": 3}})) == {
        ("extension-name", "extensions.acme")}
    # §3.2 makes the key rule a SHOULD for other objects.
    assert validate(broken("indicator", extensions={"acme": {"score": 3}})) == []


def test_predefined_extensions_follow_their_definitions() -> None:
    assert found(broken("file", extensions={"ntfs-ext": {"comment": "x"}})) == {
        ("required-property", "extensions.ntfs-ext")}
    assert found(broken("file", extensions={"windows-pebinary-ext": {"imphash": "x"}})) == {
        ("required-property", "extensions.windows-pebinary-ext.pe_type")}
    assert found(broken("network-traffic", extensions={"socket-ext": {
        "address_family": "AF_WHATEVER"}})) == {
        ("closed-vocabulary", "extensions.socket-ext.address_family")}


# --- closed vocabularies (§10) ------------------------------------------------------------------


@pytest.mark.parametrize(("object_type", "name", "value", "path"), [
    ("opinion", "opinion", "meh", "opinion"),
    ("extension-definition", "extension_types", ["toplevel-property-extension", "new-thing"],
     "extension_types[1]"),
    ("artifact", "encryption_algorithm", "rot13", "encryption_algorithm"),
    ("windows-registry-key", "values", [{"name": "x", "data_type": "REG_FOO"}],
     "values[0].data_type"),
])
def test_value_outside_a_closed_enumeration_is_refused(object_type: str, name: str, value: Any,
                                                       path: str) -> None:
    assert found(broken(object_type, **{name: value})) == {("closed-vocabulary", path)}


def test_open_vocabularies_accept_any_string() -> None:
    obj = broken("indicator", pattern_type="splunk", indicator_types=["whatever"])
    assert validate(obj) == []
    assert validate(broken("malware-analysis", result="meh")) == []
    assert validate(broken("relationship", relationship_type="sponsored-by")) == []


def test_relationship_type_is_lowercase_ascii() -> None:
    assert found(broken("relationship", relationship_type="Uses")) == {
        ("value-format", "relationship_type")}


# --- references to the right types --------------------------------------------------------------


@pytest.mark.parametrize(("object_type", "name", "value", "path"), [
    ("relationship", "target_ref", ref("marking-definition"), "target_ref"),
    ("relationship", "source_ref", ref("sighting"), "source_ref"),
    ("relationship", "source_ref", ref("bundle"), "source_ref"),
    ("sighting", "sighting_of_ref", ref("file", UUID5), "sighting_of_ref"),
    ("sighting", "where_sighted_refs", [ref("malware")], "where_sighted_refs[0]"),
    ("sighting", "observed_data_refs", [ref("indicator")], "observed_data_refs[0]"),
    ("observed-data", "object_refs", [ref("malware")], "object_refs[0]"),
    ("malware", "sample_refs", [ref("indicator")], "sample_refs[0]"),
    ("malware", "operating_system_refs", [ref("tool")], "operating_system_refs[0]"),
    ("malware-analysis", "sample_ref", ref("domain-name", UUID5), "sample_ref"),
    ("malware-analysis", "analysis_sco_refs", [ref("malware")], "analysis_sco_refs[0]"),
    ("email-message", "from_ref", ref("file", UUID5), "from_ref"),
    ("network-traffic", "src_ref", ref("url", UUID5), "src_ref"),
    ("domain-name", "resolves_to_refs", [ref("mac-addr", UUID5)], "resolves_to_refs[0]"),
    ("language-content", "object_ref", ref("bundle"), "object_ref"),
])
def test_reference_to_a_forbidden_type_is_refused(object_type: str, name: str, value: Any,
                                                   path: str) -> None:
    assert found(broken(object_type, **{name: value})) == {("reference-type", path)}


def test_relationship_may_join_observables_and_custom_objects() -> None:
    obj = broken("relationship", source_ref=ref("x-mitre-tactic"), target_ref=ref("url", UUID5))
    assert validate(obj) == []


def test_reference_that_is_not_an_identifier_is_an_id_syntax_violation() -> None:
    assert found(broken("note", object_refs=["campaign-1"])) == {("id-syntax", "object_refs[0]")}


# --- indicator patterns (§9) --------------------------------------------------------------------


@pytest.mark.parametrize("pattern", ["[file:name = ]", "file:name = 'x'", "",
                                     "[File:name = 'x']", "[file:Name = 'x']"])
def test_stix_pattern_that_does_not_parse_is_refused(pattern: str) -> None:
    assert found(broken("indicator", pattern=pattern)) == {("pattern-syntax", "pattern")}


def test_patterns_of_other_languages_are_not_parsed() -> None:
    assert validate(broken("indicator", pattern="rule x { condition: true }",
                           pattern_type="yara")) == []


def test_pattern_version_2_0_uses_the_2_0_grammar() -> None:
    assert validate(broken("indicator", pattern="[file:name = 'a.exe']",
                           pattern_version="2.0")) == []


# --- meta objects (§7) --------------------------------------------------------------------------


def marking(**changes: Any) -> dict[str, Any]:
    return broken("marking-definition", **changes)


def test_marking_definition_without_extensions_needs_type_and_definition() -> None:
    assert found(marking(definition=DELETE)) == {("required-property", "definition")}
    assert found(marking(definition_type=DELETE)) == {("required-property", "definition_type")}


def test_marking_definition_may_be_defined_by_an_extension() -> None:
    obj = marking(definition=DELETE, definition_type=DELETE, name="TLP:GREEN", extensions={
        EXTENSION: {"extension_type": "property-extension", "tlp_2_0": "green"}})
    assert validate(obj) == []


def test_statement_marking_needs_a_statement() -> None:
    assert found(marking(definition={"text": "x"})) == {("required-property",
                                                         "definition.statement")}


def test_only_the_standard_tlp_marking_definitions_exist() -> None:
    fake = marking(definition_type="tlp", definition={"tlp": "green"}, name="TLP:GREEN",
                   created="2017-01-20T00:00:00.000Z")
    assert found(fake) == {("tlp-marking", "definition")}
    wrong_colour = marking(id=TLP_GREEN, definition_type="tlp", definition={"tlp": "red"},
                           created="2017-01-20T00:00:00.000Z")
    assert found(wrong_colour) == {("tlp-marking", "definition")}
    # TLP:RED's id, as a statement anyone may read: a node goes by the id.
    restated = marking(id="marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
                       definition_type="statement", definition={"statement": "public"},
                       created="2017-01-20T00:00:00.000Z")
    assert found(restated) == {("tlp-marking", "definition_type")}


TLP2_RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"


def tlp2_red(**changes: Any) -> dict[str, Any]:
    obj = {"type": "marking-definition", "spec_version": "2.1", "id": TLP2_RED,
           "created": "2022-10-01T00:00:00.000Z", "name": "TLP:RED", "extensions": {
               TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": "red"}}}
    return {k: v for k, v in {**obj, **changes}.items() if v is not DELETE}


@pytest.mark.parametrize("changes", [
    {"name": "TLP:CLEAR"},
    {"created": "2030-01-01T00:00:00.000Z"},
    {"extensions": {TLP2_EXTENSION: {"extension_type": "property-extension",
                                     "tlp_2_0": "clear"}}},
    {"created_by_ref": "identity--5d2b7c2e-5b0a-4f8e-9d7c-1b6f3e2a9c40"},
])
def test_a_tlp2_marking_id_holds_only_tlp2s_own_definition(changes) -> None:
    assert validate(tlp2_red()) == []
    assert ("tlp-marking", "extensions") in found(tlp2_red(**changes))


def test_marking_definition_does_not_mark_itself() -> None:
    own = ref("marking-definition")
    assert found(marking(object_marking_refs=[own])) == {
        ("circular-marking", "object_marking_refs")}


def test_extension_properties_only_for_toplevel_extensions() -> None:
    obj = broken("extension-definition", extension_types=["property-extension"])
    assert found(obj) == {("exclusive-properties", "extension_properties")}


def test_language_content_is_keyed_by_language_codes() -> None:
    obj = broken("language-content", contents={"deutsch!": {"name": "x"}})
    assert found(obj) == {("value-format", "contents.deutsch!")}


# --- domain object rules (§4) -------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "expected"), [
    ({"longitude": DELETE}, {("required-property", "longitude"),
                              ("required-property", "precision")}),
    ({"latitude": DELETE, "longitude": DELETE}, {("required-property", "precision")}),
    ({"latitude": 91.0}, {("value-range", "latitude")}),
    ({"latitude": DELETE, "longitude": DELETE, "precision": DELETE, "region": DELETE,
      "country": DELETE, "name": "Nowhere"}, {("required-property", None)}),
])
def test_location_rules(changes: dict[str, Any], expected: set[tuple[str, str | None]]) -> None:
    assert found(broken("location", **changes)) == expected


def test_malware_family_needs_a_name() -> None:
    assert found(broken("malware", name=DELETE)) == {("required-property", "name")}
    assert validate(broken("malware", name=DELETE, is_family=False)) == []


def test_malware_analysis_needs_a_result_or_analysed_observables() -> None:
    assert found(broken("malware-analysis", result=DELETE)) == {("required-property", None)}
    assert validate(broken("malware-analysis", result=DELETE,
                           analysis_sco_refs=[ref("file", UUID5)])) == []


def test_observed_data_holds_object_refs_or_objects_not_both() -> None:
    container = {"0": {"type": "ipv4-addr", "value": "198.51.100.1"},
                 "1": {"type": "network-traffic", "src_ref": "0", "protocols": ["tcp"]}}
    assert validate(broken("observed-data", object_refs=DELETE, objects=container)) == []
    assert found(broken("observed-data", objects=container)) == {
        ("exclusive-properties", "objects")}
    assert found(broken("observed-data", object_refs=DELETE)) == {
        ("required-property", "object_refs")}


def test_observable_container_references_resolve_inside_it() -> None:
    container = {"1": {"type": "network-traffic", "src_ref": "0", "protocols": ["tcp"]}}
    assert found(broken("observed-data", object_refs=DELETE, objects=container)) == {
        ("reference-type", "objects.1.src_ref")}


def test_number_observed_and_count_ranges() -> None:
    assert found(broken("observed-data", number_observed=0)) == {
        ("value-range", "number_observed")}
    assert found(broken("sighting", count=1_000_000_000)) == {("value-range", "count")}


# --- observable rules (§6) ----------------------------------------------------------------------


@pytest.mark.parametrize(("object_type", "changes", "expected"), [
    ("artifact", {"payload_bin": DELETE, "id": ref("artifact")}, {("required-property", None)}),
    ("artifact", {"url": "https://x.example/a.zip", "hashes": {"MD5": "c" * 32}},
     {("exclusive-properties", "url")}),
    ("artifact", {"payload_bin": DELETE, "url": "https://x.example/a.zip", "id": ref("artifact")},
     {("required-property", "hashes")}),
    ("artifact", {"encryption_algorithm": DELETE},
     {("required-property", "encryption_algorithm")}),
    ("artifact", {"payload_bin": "not base64!"}, {("value-format", "payload_bin")}),
    ("email-message", {"body": "text"}, {("exclusive-properties", "body")}),
    ("email-message", {"body_multipart": [{"content_type": "text/plain"}]},
     {("required-property", "body_multipart[0]")}),
    ("file", {"name": DELETE, "hashes": DELETE}, {("required-property", None)}),
    ("file", {"size": -1}, {("value-range", "size")}),
    ("file", {"name_enc": "utf-8", "name": DELETE}, {("required-property", "name")}),
    ("file", {"hashes": {"SHA-256": "abc"}}, {("value-format", "hashes.SHA-256")}),
    ("ipv4-addr", {"value": "198.51.100.300"}, {("value-format", "value")}),
    ("ipv4-addr", {"value": "2001:db8::1"}, {("value-format", "value")}),
    ("ipv6-addr", {"value": "198.51.100.1"}, {("value-format", "value")}),
    ("mac-addr", {"value": "D2:FB:49:24:37:18"}, {("value-format", "value")}),
    ("network-traffic", {"is_active": True}, {("exclusive-properties", "end")}),
    ("network-traffic", {"dst_port": 70000}, {("value-range", "dst_port")}),
    ("network-traffic", {"src_ref": DELETE}, {("required-property", None)}),
    ("process", {"pid": DELETE, "command_line": DELETE, "environment_variables": DELETE},
     {("required-property", None)}),
    ("process", {"id": ref("process", UUID5)}, {("uuid-version", "id")}),
    ("software", {"cpe": "cpe:/a:microsoft:word"}, {("value-format", "cpe")}),
    ("software", {"languages": ["en", "english!"]}, {("value-format", "languages[1]")}),
    ("user-account", {"id": ref("user-account"), "user_id": DELETE, "account_login": DELETE,
                      "account_type": DELETE}, set()),
    ("user-account", {"id": ref("user-account", UUID5), "user_id": DELETE,
                      "account_login": DELETE, "account_type": DELETE},
     {("uuid-version", "id")}),
    ("windows-registry-key", {"key": "HKLM\\System\\Foo"}, {("value-format", "key")}),
    ("x509-certificate", {"issuer": DELETE, "serial_number": DELETE, "id": ref("x509-certificate"),
                          "validity_not_before": DELETE, "validity_not_after": DELETE},
     {("required-property", None)}),
    ("directory", {"path_enc": "not a charset!"}, {("value-format", "path_enc")}),
    ("domain-name", {"value": "bad domain.com"}, {("domain-name-syntax", "value")}),
    ("domain-name", {"value": "-example.com"}, {("domain-name-syntax", "value")}),
    ("domain-name", {"value": "a" * 64 + ".com"}, {("domain-name-syntax", "value")}),
    ("domain-name", {"value": "_dmarc.bücher.example."}, set()),
    ("email-addr", {"value": "not an address"}, {("email-syntax", "value")}),
    # §6.1: mime_type SHOULD come from the IANA registry; an unregistered one is still valid.
    ("artifact", {"mime_type": "application/x-acme-unregistered"}, set()),
    ("url", {"value": "example.com/no scheme"}, {("uri-syntax", "value")}),
])
def test_observable_rules(object_type: str, changes: dict[str, Any],
                          expected: set[tuple[str, str | None]]) -> None:
    assert found(broken(object_type, **changes)) == expected


# --- never raises -------------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25)

KNOWN_NAMES = sorted({name for example in [*VALID.values(), *CUSTOM.values()]
                      for name in example} | {
    "granular_markings", "extensions", "external_references", "kill_chain_phases", "objects",
    "body_multipart", "hashes", "definition", "contents", "values", "x_acme_hex", "x_acme_bin",
    "defanged", "object_marking_refs", "created_by_ref"})
TYPES = sorted(VALID) + sorted(CUSTOM) + ["bundle", "action", "X"]

stix_like = st.builds(
    lambda object_type, properties, keep_id: {
        "type": object_type, **({"id": f"{object_type}--{UUID4}"} if keep_id else {}),
        **properties},
    st.sampled_from(TYPES),
    st.dictionaries(st.sampled_from(KNOWN_NAMES), json_values, max_size=8),
    st.booleans())


def mutated_examples() -> st.SearchStrategy[dict[str, Any]]:
    def mutate(example: dict[str, Any], name: str, value: Any) -> dict[str, Any]:
        obj = copy.deepcopy(example)
        obj[name] = value
        return obj

    return st.builds(mutate, st.sampled_from([*VALID.values(), *CUSTOM.values()]),
                     st.sampled_from(KNOWN_NAMES), json_values)


@settings(max_examples=400, deadline=None)
@given(json_values | stix_like | mutated_examples())
def test_validate_never_raises_on_json_like_input(value: Any) -> None:
    violations = validate(value)
    assert isinstance(violations, list)
    assert all(isinstance(violation, Violation) for violation in violations)
    assert not any(violation.rule == "unvalidatable" for violation in violations)
