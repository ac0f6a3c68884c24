"""Accord's cooperation objects: every one is valid STIX 2.1, reads back exactly, and a malformed
one is refused with the path of the property at fault; the JSON schema agrees and never drifts."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.cooperation.model import (
    CATEGORIES,
    ESCALATION_REASONS,
    KINDS,
    OUTCOMES,
    URGENCIES,
    Acknowledgement,
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
from accord.cooperation.objects import (
    ACCORD_IDENTITY_ID,
    COOPERATION_TYPES,
    EXTENSION_ID,
    SCHEMA_URL,
    MalformedCooperationObject,
    NotACooperationObject,
    accord_identity,
    check,
    extension_definition,
    from_stix,
    is_cooperation_object,
    to_stix,
)
from accord.cooperation.schema import json_schema, schema_text
from accord.stix.validation import validate

ROOT = Path(__file__).resolve().parents[3]
US = "identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
CN = "identity--28bb3599-77cd-4a82-a950-b5bc3caf07c4"
UUID = "7f1c2a4e-5b3d-4e6f-8a9b-0c1d2e3f4a5b"
REQUEST_ID = f"x-accord-request--{UUID}"
T0 = datetime(2015, 12, 2, 9, 30, tzinfo=UTC)
T1 = T0 + timedelta(days=1)


def request(**changes: Any) -> Request:
    fields: dict[str, Any] = {
        "id": REQUEST_ID, "created": T0, "requester": US, "addressee": CN,
        "kind": "prosecution", "category": "ip-theft", "urgency": "priority",
        "summary": "Theft of turbine design files", "victims": ("Acme Turbines",),
        "evidence": (f"indicator--{UUID}",),
    }
    return Request(**{**fields, **changes})


def stix(item: Request | Entry | None = None, **changes: Any) -> dict[str, Any]:
    """A valid cooperation object (a request by default) with `changes`; None removes."""
    obj = {**to_stix(item or request()), **changes}
    return {k: v for k, v in obj.items() if v is not None}


def entry_id(kind: str) -> str:
    return f"{kind}--{UUID}"


RATING = Rating(entry_id("x-accord-rating"), REQUEST_ID, US, T1,
                response_id=entry_id("x-accord-response"), score=4)
RECEIPT = Receipt(entry_id("x-accord-receipt"), REQUEST_ID, CN, T0, received=T0,
                  acknowledge_by=T0 + timedelta(days=2), respond_by=T0 + timedelta(days=10),
                  guidelines_version=3)


# --- round trips ------------------------------------------------------------------------------

def ids(kind: str) -> st.SearchStrategy[str]:
    return st.uuids(version=4).map(lambda u: f"{kind}--{u}")


TIMES = st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(2999, 12, 31),
                     timezones=st.just(UTC))
TEXT = st.text(min_size=1, max_size=20)
OPTIONAL_TEXT = st.one_of(st.just(""), TEXT)
PARTIES = ids("identity")
EVIDENCE = st.lists(st.sampled_from(["indicator", "malware", "file", "x-acme-note"])
                    .flatmap(ids), max_size=3).map(tuple)


@st.composite
def requests(draw: st.DrawFn) -> Request:
    start = draw(st.none() | TIMES)
    end = draw(st.none() | (TIMES.filter(lambda t: start is None or t >= start)))
    return Request(
        draw(ids("x-accord-request")), draw(TIMES), draw(PARTIES), draw(PARTIES),
        draw(st.sampled_from(KINDS)), draw(st.sampled_from(CATEGORIES)),
        draw(st.sampled_from(URGENCIES)), draw(TEXT), draw(OPTIONAL_TEXT), start, end,
        draw(st.lists(TEXT, max_size=3).map(tuple)), draw(OPTIONAL_TEXT), draw(OPTIONAL_TEXT),
        draw(OPTIONAL_TEXT), draw(EVIDENCE), draw(st.lists(PARTIES, max_size=2).map(tuple)),
        draw(st.booleans()))


@st.composite
def receipts(draw: st.DrawFn, common: tuple[Any, ...]) -> Receipt:
    received = draw(TIMES)
    acknowledge = draw(st.timedeltas(min_value=timedelta(microseconds=1),
                                    max_value=timedelta(days=60)))
    respond = acknowledge + draw(st.timedeltas(min_value=timedelta(0),
                                              max_value=timedelta(days=60)))
    return Receipt(*common, received=received, acknowledge_by=received + acknowledge,
                   respond_by=received + respond, guidelines_version=draw(st.integers(0, 99)))


@st.composite
def entries(draw: st.DrawFn) -> Entry:
    model = draw(st.sampled_from([Receipt, Acknowledgement, StatusReport, Response, Escalation,
                                  DeEscalation, Rating, Withdrawal]))
    kind = {Receipt: "x-accord-receipt", Acknowledgement: "x-accord-acknowledgement",
            StatusReport: "x-accord-status-report", Response: "x-accord-response",
            Escalation: "x-accord-escalation", DeEscalation: "x-accord-de-escalation",
            Rating: "x-accord-rating", Withdrawal: "x-accord-withdrawal"}[model]
    common = (draw(ids(kind)), draw(ids("x-accord-request")), draw(PARTIES), draw(TIMES))
    if model is Receipt:
        return draw(receipts(common))
    if model is Acknowledgement:
        return Acknowledgement(*common, note=draw(OPTIONAL_TEXT))
    if model is StatusReport:
        return StatusReport(*common, text=draw(TEXT))
    if model is Response:
        return Response(*common, outcome=draw(st.sampled_from(OUTCOMES)),
                        text=draw(OPTIONAL_TEXT), reason=draw(OPTIONAL_TEXT),
                        evidence=draw(EVIDENCE))
    if model is Escalation:
        return Escalation(*common, reason=draw(st.sampled_from(ESCALATION_REASONS)),
                          level=draw(st.integers(1, 9)), note=draw(OPTIONAL_TEXT))
    if model is DeEscalation:
        return DeEscalation(*common, escalation_id=draw(ids("x-accord-escalation")),
                            reason=draw(TEXT))
    if model is Rating:
        return Rating(*common, response_id=draw(ids("x-accord-response")),
                      score=draw(st.integers(1, 5)), comment=draw(OPTIONAL_TEXT))
    return Withdrawal(*common, reason=draw(OPTIONAL_TEXT))


@given(requests() | entries())
def test_every_cooperation_object_is_valid_stix_and_reads_back_exactly(item: Request | Entry):
    obj = to_stix(item)
    assert validate(obj) == []
    assert check(obj) == []
    assert from_stix(obj) == item
    assert to_stix(from_stix(json.loads(json.dumps(obj)))) == obj


@cache
def schema_validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")  # installed with stix2-validator
    return jsonschema.Draft202012Validator(json_schema())


@settings(deadline=None)  # the first example compiles the schema
@given(requests() | entries())
def test_every_cooperation_object_satisfies_the_published_schema(item: Request | Entry):
    assert list(schema_validator().iter_errors(to_stix(item))) == []


def test_objects_are_immutable_new_sdos_of_accords_extension():
    obj = to_stix(RATING)
    assert obj["type"] in COOPERATION_TYPES
    assert obj["modified"] == obj["created"] == "2015-12-03T09:30:00.000000Z"
    assert obj["extensions"] == {EXTENSION_ID: {"extension_type": "new-sdo"}}
    assert obj["request_ref"] == REQUEST_ID and obj["created_by_ref"] == US


def test_empty_optional_properties_and_a_false_exercise_flag_are_left_out():
    obj = to_stix(request(victims=(), evidence=()))
    for name in ("description", "activity_start", "activity_end", "victims", "impact",
                 "legal_basis", "point_of_contact", "object_refs", "shared_with_refs",
                 "exercise"):
        assert name not in obj
    assert to_stix(request(is_exercise=True))["exercise"] is True


def test_timestamps_with_any_precision_are_read():
    obj = stix(created="2015-12-02T09:30:00Z", modified="2015-12-02T09:30:00.000Z")
    assert from_stix(obj) == request()


def test_a_naive_time_is_not_written():
    with pytest.raises(ValueError, match="no time zone"):
        to_stix(request(created=datetime(2015, 12, 2)))


def test_a_bare_entry_is_no_cooperation_object_type():
    with pytest.raises(TypeError, match="Entry is not a cooperation object type"):
        to_stix(Entry(entry_id("x-accord-note"), REQUEST_ID, US, T0))


# --- the extension definition ------------------------------------------------------------------

def test_the_extension_definition_and_its_creator_are_valid_stix():
    definition, identity = extension_definition(), accord_identity()
    assert validate(definition) == [] and validate(identity) == []
    assert definition["id"] == EXTENSION_ID
    assert definition["created_by_ref"] == identity["id"] == ACCORD_IDENTITY_ID
    assert definition["extension_types"] == ["new-sdo"]
    assert definition["schema"] == SCHEMA_URL == json_schema()["$id"]
    assert definition["version"] == "1.0.0"
    assert extension_definition() == definition  # fixed: the same object on every node


def test_cooperation_objects_are_known_by_their_type_prefix():
    assert COOPERATION_TYPES == (
        "x-accord-request", "x-accord-receipt", "x-accord-act-receipt",
        "x-accord-acknowledgement",
        "x-accord-status-report", "x-accord-response", "x-accord-escalation",
        "x-accord-de-escalation", "x-accord-rating", "x-accord-withdrawal")
    assert is_cooperation_object(stix())
    assert is_cooperation_object({"type": "x-accord-reciept"})
    assert not is_cooperation_object({"type": "indicator"})
    assert not is_cooperation_object({"type": 5})
    assert not is_cooperation_object(["x-accord-request"])


# --- refusals ----------------------------------------------------------------------------------

def refused(obj: dict[str, Any]) -> list[str]:
    problems = check(obj)
    with pytest.raises(MalformedCooperationObject) as raised:
        from_stix(obj)
    assert raised.value.problems == tuple(problems)
    assert str(raised.value) == "; ".join(problems)
    return problems


def test_rating_score_outside_1_to_5_is_refused_with_its_path():
    assert refused(stix(RATING, score=7)) == ["x-accord-rating.score: 7 is not between 1 and 5"]
    assert refused(stix(RATING, score=0)) == ["x-accord-rating.score: 0 is not between 1 and 5"]


@pytest.mark.parametrize("item, changes, problem", [
    (None, {"summary": None}, "x-accord-request.summary: required but missing"),
    (None, {"summary": 5}, "x-accord-request.summary: 5 is not a string"),
    (None, {"description": ""},
     "x-accord-request.description: must not be empty (leave out an optional property "
     "instead)"),
    (None, {"victims": []}, "x-accord-request.victims: [] is not a non-empty list of strings"),
    (None, {"victims": ["Acme", 3]}, "x-accord-request.victims[1]: 3 is not a string"),
    (None, {"activity_start": "2015-12-02"},
     "x-accord-request.activity_start: '2015-12-02' is not a STIX timestamp "
     "(YYYY-MM-DDTHH:MM:SS[.s+]Z, STIX 2.1 §3.2)"),
    (None, {"addressee_ref": REQUEST_ID},
     f"x-accord-request.addressee_ref: '{REQUEST_ID}' is not an identifier of type identity"),
    (None, {"object_refs": "indicator"},
     "x-accord-request.object_refs: 'indicator' is not a non-empty list of identifiers"),
    (None, {"object_refs": [f"indicator--{UUID}", "indicator--1"]},
     "x-accord-request.object_refs[1]: 'indicator--1' is not an identifier "
     "(<type>--<UUID>, STIX 2.1 §2.9)"),
    (None, {"object_refs": [f"indicator--{UUID}"] * 1_001},
     "x-accord-request.object_refs: 1,001 identifiers, more than the 1,000 it may hold"),
    (None, {"shared_with_refs": [f"indicator--{UUID}"]},
     f"x-accord-request.shared_with_refs[0]: 'indicator--{UUID}' is not an identifier of type "
     "identity"),
    (None, {"shared_with_refs": [f"identity--{UUID}"] * 101},
     "x-accord-request.shared_with_refs: 101 identifiers, more than the 100 it may hold"),
    (None, {"shared_with_refs": [f"identity--{UUID}", US, f"identity--{UUID}"]},
     f"x-accord-request.shared_with_refs[2]: identity--{UUID} is named twice"),
    (None, {"kind": "espionage"},
     "x-accord-request.kind: 'espionage' is not one of information, preservation, "
     "investigation, mitigation, prosecution"),
    (None, {"exercise": "yes"}, "x-accord-request.exercise: 'yes' is not true or false"),
    (None, {"activity_start": "2015-06-01T00:00:00Z", "activity_end": "2015-05-01T00:00:00Z"},
     "x-accord-request.activity_end: 2015-05-01T00:00:00.000000Z is before activity_start"),
    (RATING, {"score": True}, "x-accord-rating.score: True is not an integer"),
    (RATING, {"response_ref": REQUEST_ID},
     f"x-accord-rating.response_ref: '{REQUEST_ID}' is not an identifier of type "
     "x-accord-response"),
    (RATING, {"request_ref": None}, "x-accord-rating.request_ref: required but missing"),
    (Escalation(entry_id("x-accord-escalation"), REQUEST_ID, US, T1), {"level": 0},
     "x-accord-escalation.level: 0 is less than 1"),
    (RECEIPT, {"guidelines_version": -1}, "x-accord-receipt.guidelines_version: -1 is less "
     "than 0"),
    (RECEIPT, {"acknowledge_by": "2015-12-02T09:30:00Z"},
     "x-accord-receipt.acknowledge_by: 2015-12-02T09:30:00.000000Z is not after received"),
    (RECEIPT, {"respond_by": "2015-12-03T09:30:00Z"},
     "x-accord-receipt.respond_by: 2015-12-03T09:30:00.000000Z is before acknowledge_by"),
])
def test_a_malformed_property_is_refused_with_its_path(item, changes, problem):
    assert refused(stix(item, **changes)) == [problem]


def test_every_problem_is_named_at_once():
    problems = refused(stix(kind="espionage", urgency="now"))
    assert [p.split(":")[0] for p in problems] == ["x-accord-request.kind",
                                                     "x-accord-request.urgency"]


@pytest.mark.parametrize("changes, problem", [
    ({"spec_version": "2.0"}, "x-accord-request.spec_version: '2.0' is not '2.1'"),
    ({"id": f"x-accord-response--{UUID}"},
     f"x-accord-request.id: 'x-accord-response--{UUID}' is not an identifier "
     "x-accord-request--<UUID>"),
    ({"revoked": True}, "x-accord-request.revoked: cooperation objects are immutable and never "
     "revoked"),
    ({"modified": None}, "x-accord-request.modified: required but missing"),
    ({"modified": "2015-12-03T09:30:00.000Z"},
     "x-accord-request.modified: '2015-12-03T09:30:00.000Z' differs from created: cooperation "
     "objects are immutable, so each has exactly one version"),
    ({"modified": "yesterday"}, "x-accord-request.modified: 'yesterday' is not a STIX timestamp "
     "(YYYY-MM-DDTHH:MM:SS[.s+]Z, STIX 2.1 §3.2)"),
    ({"extensions": None}, f"x-accord-request.extensions: must hold {EXTENSION_ID} (Accord's "
     "extension definition, STIX 2.1 §7.3)"),
    ({"extensions": {EXTENSION_ID: {"extension_type": "property-extension"}}},
     f"x-accord-request.extensions.{EXTENSION_ID}.extension_type: 'property-extension' is not "
     "'new-sdo'"),
    ({"extensions": {EXTENSION_ID: {"extension_type": "new-sdo", "kind": "information"}}},
     f"x-accord-request.extensions.{EXTENSION_ID}.kind: a new-sdo extension holds only "
     "extension_type; the object's own properties are top-level (STIX 2.1 §7.3)"),
    ({"summry": "x"}, "x-accord-request.summry: not a property of x-accord-request (did you "
     "mean summary?)"),
    ({"colour": "red"}, "x-accord-request.colour: not a property of x-accord-request (custom "
     "properties start with x_)"),
])
def test_a_malformed_envelope_is_refused_with_its_path(changes, problem):
    assert refused(stix(**changes)) == [problem]


def test_custom_and_common_stix_properties_are_accepted():
    obj = stix(x_acme_case="C-17", labels=["apt"], revoked=False, confidence=80,
               object_marking_refs=["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"])
    assert validate(obj) == [] and check(obj) == []
    assert from_stix(obj) == request()


def test_an_unknown_accord_type_is_refused_and_another_object_is_not_accords():
    assert refused({"type": "x-accord-reciept"}) == [
        "x-accord-reciept: not a cooperation object type (one of "
        + ", ".join(COOPERATION_TYPES) + ")"]
    indicator = {"type": "indicator", "id": f"indicator--{UUID}"}
    assert check(indicator) == []
    with pytest.raises(NotACooperationObject, match="'indicator' is not a cooperation object"):
        from_stix(indicator)


# --- the JSON schema and the docs --------------------------------------------------------------

def test_the_published_schema_file_is_the_schema():
    published = (ROOT / "docs/schemas/cooperation-v1.json").read_text(encoding="utf-8")
    assert published == schema_text(), (
        "regenerate: python -m accord.cooperation.schema > docs/schemas/cooperation-v1.json")


def test_the_schema_is_draft_2020_12_and_refuses_what_check_refuses():
    validator = schema_validator()
    validator.check_schema(json_schema())
    for bad in (stix(RATING, score=7), stix(kind="espionage"), stix(summary=None),
                stix(colour="red"), stix(description=""), stix(extensions=None),
                stix(addressee_ref=REQUEST_ID), {"type": "x-accord-reciept"}):
        assert check(bad) and not validator.is_valid(bad), bad


def test_every_example_in_the_docs_is_a_well_formed_cooperation_object():
    text = (ROOT / "docs/cooperation-objects.md").read_text(encoding="utf-8")
    examples = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, re.S)]
    shown = {obj["type"] for obj in examples if is_cooperation_object(obj)}
    assert shown == set(COOPERATION_TYPES)
    for obj in examples:
        assert validate(obj) == [], obj["id"]
        assert check(obj) == [], obj["id"]
