"""Claims, positions and designations as STIX 2.1 and back, and what is refused on intake."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from accord.attribution.model import Claim, Designation, Position
from accord.attribution.objects import (
    EXTENSION_ID,
    MalformedAttributionObject,
    check,
    claim_from_stix,
    claim_to_stix,
    designation_from_stix,
    designation_to_stix,
    is_attribution_object,
    position_from_stix,
    position_to_stix,
    relationships,
)
from accord.stix.validation import validate

US = "identity--d9555ff1-0409-4a1f-bb02-0987eb3aac57"
CN = "identity--fcbb9d76-ede8-408e-9257-ecaf3df20d02"
APT19 = "intrusion-set--18854f55-ac7c-4634-bd9a-352dd07613b7"
CAMPAIGN = "campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
CLAIM_ID = "x-accord-claim--6a2e693f-24e5-451a-9f88-b36a108e5662"
T0 = datetime(2015, 9, 1, 12, 0, tzinfo=UTC)


def claim(**changes) -> Claim:
    fields = dict(id=CLAIM_ID, claimant=US, created=T0, subject=CAMPAIGN, attributed_to=(APT19,),
                  sponsor="CN", basis=("technical-forensics", "indictment"), confidence=85,
                  summary="The OPM intrusions are APT19's work.")
    return Claim(**{**fields, **changes})


def test_a_claim_travels_as_a_valid_stix_object_and_reads_back_equal():
    obj = claim_to_stix(claim())
    assert validate(obj) == [] and check(obj) == []
    assert obj["extensions"] == {EXTENSION_ID: {"extension_type": "new-sdo"}}
    assert claim_from_stix(obj) == claim()


def test_a_claim_names_someone_and_a_known_basis():
    obj = claim_to_stix(claim(attributed_to=(), sponsor=None))
    assert any("names neither attributed_to_refs nor sponsor" in p for p in check(obj))
    bad = dict(claim_to_stix(claim()), basis=["hunch"], sponsor="China", confidence=101)
    problems = " ".join(check(bad))
    assert "basis[0]: 'hunch' is not one of technical-forensics" in problems
    assert "'China' is not an ISO 3166-1 alpha-2 country code" in problems
    assert "101 is not between 0 and 100" in problems
    with pytest.raises(MalformedAttributionObject):
        claim_from_stix(bad)
    # A code of the shape that names no state is refused as it is taken in, and a claim
    # stored with one before stays readable.
    nowhere = dict(claim_to_stix(claim()), sponsor="XX")
    assert any("sponsor: XX is not the ISO 3166-1 alpha-2 code of a state" in p
               for p in check(nowhere))
    assert claim_from_stix(nowhere).sponsor == "XX"


def test_a_claim_is_never_revised():
    obj = dict(claim_to_stix(claim()), modified="2016-01-01T00:00:00.000Z")
    assert any("never revised" in p for p in check(obj))


def test_a_position_is_a_standard_opinion_whose_value_follows_the_position():
    position = Position("opinion--0f7e4c2a-9b1d-4e3f-8a6b-5c4d3e2f1a0b", CN, T0, CLAIM_ID,
                        "deny", "China firmly opposes groundless accusations.",
                        basis=("government-statement",))
    obj = position_to_stix(position)
    assert obj["type"] == "opinion" and obj["opinion"] == "strongly-disagree"
    assert validate(obj) == [] and check(obj) == [] and is_attribution_object(obj)
    assert position_from_stix(obj) == position
    assert any("does not follow the position 'deny'" in p
               for p in check(dict(obj, opinion="agree")))
    assert any("names exactly one claim" in p for p in check(dict(obj, object_refs=[APT19])))


def test_a_designation_is_versioned_and_lifted_with_a_reason():
    designation = Designation("x-accord-designation--2b4c6d8e-1a3f-4b5c-9d7e-0f1a2b3c4d5e", US,
                              T0, T0, "Wang Dong", "individual", "E.O. 13694", T0,
                              aliases=("王东", "UglyGorilla"), programme="CYBER2")
    obj = designation_to_stix(designation)
    assert validate(obj) == [] and check(obj) == []
    assert designation_from_stix(obj) == designation
    lifted = dict(obj, modified="2020-01-01T00:00:00.000Z", lifted="2020-01-01T00:00:00.000Z")
    assert any("lifted and lift_reason go together" in p for p in check(lifted))
    assert check(dict(lifted, lift_reason="Delisted.")) == []


def test_each_actor_of_a_claim_gets_a_standard_attributed_to_relationship():
    made = relationships(claim(), lambda: "relationship--3c5e7a9b-2d4f-4a6b-8c0d-1e2f3a4b5c6d")
    assert len(made) == 1 and validate(made[0]) == []
    assert (made[0]["source_ref"], made[0]["target_ref"], made[0]["created_by_ref"]) == (
        CAMPAIGN, APT19, US)


def test_other_objects_are_not_judged_here():
    assert check({"type": "opinion", "opinion": "agree", "object_refs": [APT19]}) == []


# --- the JSON schema ---------------------------------------------------------------------------

def test_the_published_schema_file_is_the_schema():
    from pathlib import Path

    from accord.attribution.schema import schema_text

    published = Path(__file__).parents[3] / "docs/schemas/attribution-v1.json"
    assert published.read_text(encoding="utf-8") == schema_text(), (
        "regenerate: python -m accord.attribution.schema > docs/schemas/attribution-v1.json")


def test_the_schema_takes_what_check_takes_and_refuses_what_it_refuses():
    jsonschema = pytest.importorskip("jsonschema")  # installed with stix2-validator
    from accord.attribution.schema import json_schema

    validator = jsonschema.Draft202012Validator(json_schema())
    validator.check_schema(json_schema())
    good = [claim_to_stix(claim()),
            position_to_stix(Position("opinion--0f7e4c2a-9b1d-4e3f-8a6b-5c4d3e2f1a0b", CN, T0,
                                      CLAIM_ID, "deny", "No.")),
            designation_to_stix(Designation(
                "x-accord-designation--2b4c6d8e-1a3f-4b5c-9d7e-0f1a2b3c4d5e", US, T0, T0,
                "Wang Dong", "individual", "E.O. 13694", T0))]
    for obj in good:
        assert validator.is_valid(obj), list(validator.iter_errors(obj))
    bad = [dict(good[0], basis=["hunch"]), dict(good[0], confidence=101),
           dict(good[0], sponsor="China"), dict(good[0], colour="red"),
           dict(good[2], identity_class="group")]
    for obj in bad:
        assert check(obj) and not validator.is_valid(obj), obj


def test_every_example_in_the_docs_is_well_formed():
    import json
    import re
    from pathlib import Path

    text = (Path(__file__).parents[3] / "docs/attribution.md").read_text(encoding="utf-8")
    examples = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, re.S)]
    assert {o["type"] for o in examples} == {"x-accord-claim", "x-accord-designation",
                                             "opinion", "relationship"}
    for obj in examples:
        assert validate(obj) == [] and check(obj) == [], obj["id"]


@pytest.mark.parametrize(("basis", "said"), [
    (["intelligence", "indictment", "intelligence"], "basis: names intelligence more than once"),
    (["intelligence"] * 500_000, "basis: 500,000 items; at most 10, each word once"),
])
def test_a_basis_names_each_word_once(basis, said):
    assert f"x-accord-claim.{said}" in check(dict(claim_to_stix(claim()), basis=basis))
