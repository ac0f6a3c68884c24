"""One error shape: a refusal that is about a field or a parameter says where in `errors`, as
the API's own 422s do, whether the API refuses it or the mechanism does (in its words, its
command line's flags named as the body's fields); and the operations on an id that answer the
same whether it exists or not declare only the 404 they give (the router's)."""

from __future__ import annotations

import pytest
from tests.integration.attribution.test_api import claim, third  # noqa: F401 (fixtures)
from tests.integration.correlation.test_lookup import sighting
from tests.opm import APT19, OPM

from accord.store.guidelines import GuidelinesStore
from accord.trust.markings import MARKING_FOR, Tlp

API = "/api/v1"
NOBODY = "00000000-0000-4000-8000-000000000000"
ASKED = {"kind": "information", "category": "intrusion", "urgency": "priority",
         "summary": "Who registered c2.evil.example?"}


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def spec(client):
    return client.get(f"{API}/openapi.json").json()


def located(spec, r, method, template):
    """The refusal's `where`s, having checked that its status is one the operation declares,
    with the Problem body."""
    declared = spec["paths"][template][method.lower()]["responses"]
    assert str(r.status_code) in declared, (method, template, r.status_code)
    problem = r.json()
    assert problem["status"] == r.status_code and problem["title"]
    return [e["where"] for e in problem.get("errors", [])]


@pytest.mark.parametrize(("path", "template", "where"), [
    ("/requests?party=Nobody", "/requests", "query.party"),
    ("/requests?after=nowhere", "/requests", "query.after"),
    ("/review?from=2026-02-01&to=2026-01-01", "/review", "query.to"),
    ("/guidelines?with=Nobody", "/guidelines", "query.with"),
    ("/claims?after=nowhere", "/claims", "query.after"),
    ("/designations?after=nowhere", "/designations", "query.after"),
    ("/screen?name=%20%20", "/screen", "query.name"),
    ("/attribution/garbage", "/attribution/{subject}", "path.subject"),
    ("/objects/garbage/sightings", "/objects/{object_id}/sightings", "path.object_id"),
    ("/audit?since=2016-02-30T00:00:00Z", "/audit", "query.since"),
    ("/audit?until=2016-02-30T00:00:00Z", "/audit", "query.until"),
    ("/audit?person=someone", "/audit", "query.person"),
    (f"/audit?person={NOBODY}", "/audit", "query.person"),
    ("/audit?after=nowhere", "/audit", "query.after"),
    ("/audit?party=Nobody", "/audit", "query.party"),
    ("/audit?collection=nothing", "/audit", "query.collection"),
])
def test_a_parameter_refused_is_located(client, spec, path, template, where):
    r = client.get(API + path)
    assert r.status_code == 400, r.text
    assert located(spec, r, "GET", template) == [where]
    assert r.json()["title"].startswith(where.split(".", 1)[1])  # titled as it always was


@pytest.fixture
def evidence_waived(world):
    GuidelinesStore(world.node.engine).add('[required]\ninformation = []\n',
                                           "2000-01-01T00:00:00.000000Z")


@pytest.mark.parametrize(("body", "where", "said"), [
    ({"to": "Nobody"}, ["body.to"], "body.to: no party 'Nobody'"),
    # What fills the words is not read as a flag: this party's name names no other field.
    ({"to": "x --sponsor y"}, ["body.to"], "no party 'x --sponsor y'"),
    # A request's body says shared_with where the desk says --share-with.
    ({"shared_with": ["Nobody"]}, ["body.shared_with"], "body.shared_with: no party"),
    ({"lang": "not a language"}, ["body.lang"], "lang 'not a language' is not"),
])
def test_the_desks_refusal_of_a_request_is_located(client, spec, world, evidence_waived,
                                                   body, where, said):
    r = client.post(f"{API}/requests", json={**ASKED, "to": world.other.name, **body})
    assert r.status_code == 400, r.text
    assert located(spec, r, "POST", "/requests") == where
    assert said in r.json()["title"]


def test_content_the_guidelines_require_is_located(client, spec, world):
    r = client.post(f"{API}/requests", json={**ASKED, "kind": "mitigation",
                                             "to": world.other.name})
    assert r.status_code == 400
    assert located(spec, r, "POST", "/requests") == ["body.activity_start", "body.evidence"]


def test_an_answer_refused_names_the_fields_it_lacks(client, spec, world, evidence_waived):
    rid = client.post(f"{API}/requests", json={**ASKED, "to": world.other.name}).json()["id"]
    template = "/requests/{request_id}/response"
    declined = client.post(f"{API}/requests/{rid}/response", json={"outcome": "declined"},
                           headers=bearer(world.other_token))
    assert located(spec, declined, "POST", template) == ["body.reason"]
    assert "must give a reason (body.reason)" in declined.json()["title"]
    empty = client.post(f"{API}/requests/{rid}/response", headers=bearer(world.other_token),
                        json={"outcome": "information-provided"})
    assert located(spec, empty, "POST", template) == ["body.text", "body.evidence"]


@pytest.mark.parametrize(("body", "where"), [
    ({"sponsor": "XX"}, ["body.sponsor"]),
    ({"attributed_to": []}, ["body.attributed_to", "body.sponsor"]),
    ({"evidence": [f"indicator--{NOBODY}"]}, ["body.evidence"]),
    ({"subject": f"campaign--{NOBODY}"}, ["body.subject"]),
    ({"share_with": ["Nobody"]}, ["body.share_with"]),
])
def test_the_records_refusal_of_a_claim_is_located(client, spec, claim, body, where):  # noqa: F811
    r = client.post(f"{API}/claims", json={
        "subject": OPM, "attributed_to": [APT19],
        "basis": ["technical-forensics"], "confidence": 80, "summary": "APT19 did it.",
        **body})
    assert r.status_code == 400, r.text
    assert located(spec, r, "POST", "/claims") == where


def test_a_position_and_a_designation_refused_are_located(client, spec, world, claim):  # noqa: F811
    rival = client.post(f"{API}/claims/{claim['id']}/positions", headers=bearer(
        world.other_token), json={"position": "deny", "text": "No.",
                                  "competing_claim": claim["id"]})
    assert located(spec, rival, "POST", "/claims/{claim_id}/positions") == [
        "body.competing_claim"]
    for body, where in (({"name": "..."}, ["body.name"]),
                        ({"aliases": ["Fine", "..."]}, ["body.aliases"]),
                        ({"designated": "2014-02-30"}, ["body.designated"])):
        r = client.post(f"{API}/designations", json={
            "name": "Example Tech Ltd", "kind": "organization",
            "legal_basis": "Executive Order 13694", **body})
        assert r.status_code == 400, r.text
        assert located(spec, r, "POST", "/designations") == where


def test_a_translation_refused_is_located_at_its_text(client, spec, world, evidence_waived):
    rid = client.post(f"{API}/requests", json={**ASKED, "to": world.other.name}).json()["id"]
    r = client.post(f"{API}/requests/{rid}/translations", headers=bearer(world.other_token),
                    json={"lang": "zh-Hans", "texts": {"summary": "谁", "colour": "红"}})
    assert r.status_code == 400, r.text
    assert located(spec, r, "POST", "/requests/{request_id}/translations") == [
        "body.texts.colour"]


@pytest.mark.parametrize(("body", "status", "where"), [
    # Refusals that name their field in plain words, or none, located all the same.
    # itself: what was asked is wrong, not the state of anything (a 400, where the words
    # "cannot" once made it a 409)
    ({"to": "United States (US-CERT)"}, 400, ["body.to"]),
    ({"activity_start": "2026-02-01T00:00:00Z", "activity_end": "2026-01-01T00:00:00Z"}, 400,
     ["body.activity_start", "body.activity_end"]),
    ({"activity_start": "2999-01-01T00:00:00Z"}, 400, ["body.activity_start"]),
    ({"translations": {"zh-Hans": {"colour": "红"}}}, 400,
     ["body.translations.zh-Hans.colour"]),
    ({"translations": {"en": {"summary": "Who?"}}}, 400, ["body.translations.en"]),
])
def test_a_request_refused_in_plain_words_is_located(client, spec, world, evidence_waived,
                                                     body, status, where):
    r = client.post(f"{API}/requests", json={**ASKED, "to": world.other.name, **body})
    assert r.status_code == status, r.text
    assert located(spec, r, "POST", "/requests") == where


def test_an_act_on_a_request_refused_is_located_at_its_field(client, spec, world,
                                                             evidence_waived):
    rid = client.post(f"{API}/requests", json={**ASKED, "to": world.other.name}).json()["id"]
    addressee = bearer(world.other_token)
    said = client.post(f"{API}/requests/{rid}/status-reports", headers=addressee,
                       json={"text": "  "})
    assert said.status_code == 400, said.text
    assert located(spec, said, "POST", "/requests/{request_id}/status-reports") == [
        "body.text"]
    assert said.json()["errors"][0]["problem"] == "a status report needs some text"
    # Lateness not yet there is the reason's, whichever side says it.
    for token in (world.admin_token, world.other_token):
        late = client.post(f"{API}/requests/{rid}/escalations", headers=bearer(token),
                           json={"reason": "response-overdue"})
        assert late.status_code == 400, late.text
        assert located(spec, late, "POST", "/requests/{request_id}/escalations") == [
            "body.reason"]
    answered = client.post(f"{API}/requests/{rid}/response", headers=addressee,
                           json={"outcome": "no-information-found"})
    assert answered.status_code == 200, answered.text
    rated = client.post(f"{API}/requests/{rid}/rating", json={"score": 4, "lang": "x y"})
    assert rated.status_code == 400, rated.text
    assert located(spec, rated, "POST", "/requests/{request_id}/rating") == ["body.lang"]
    # A state is no field's: an answer given twice locates nothing.
    again = client.post(f"{API}/requests/{rid}/response", headers=addressee,
                        json={"outcome": "declined", "reason": "No."})
    assert again.status_code == 409 and located(
        spec, again, "POST", "/requests/{request_id}/response") == []


@pytest.mark.parametrize(("body", "where"), [
    ({"lang": "en", "texts": {"summary": "Who?"}}, ["body.lang"]),  # the original's
    ({"lang": "zh-Hans", "texts": {"summary": " "}}, ["body.texts"]),
    ({"lang": "zh-Hans", "texts": {"summary": "谁"},
      "object_ref": f"x-accord-status-report--{NOBODY}"}, ["body.object_ref"]),
])
def test_a_translation_refused_in_plain_words_is_located(client, spec, world,
                                                         evidence_waived, body, where):
    rid = client.post(f"{API}/requests", json={**ASKED, "to": world.other.name}).json()["id"]
    r = client.post(f"{API}/requests/{rid}/translations", headers=bearer(world.other_token),
                    json=body)
    assert r.status_code == 400, r.text
    assert located(spec, r, "POST", "/requests/{request_id}/translations") == where


def test_a_designation_citing_what_its_readers_may_not_read_is_located(
        client, spec, world, claim, third):  # noqa: F811
    # The claim is China's to read, not Russia's: a designation every party reads may not
    # cite it.
    r = client.post(f"{API}/designations", json={
        "name": "Example Tech Ltd", "kind": "organization",
        "legal_basis": "Executive Order 13694", "claims": [claim["id"]]})
    assert r.status_code == 400, r.text
    assert located(spec, r, "POST", "/designations") == ["body.share_with", "body.claims"]
    made = client.post(f"{API}/designations", json={
        "name": "Example Tech Ltd", "kind": "organization",
        "legal_basis": "Executive Order 13694"}).json()
    template = "/designations/{designation_id}/amendment"
    for body, status, where in (
            ({}, 400, ["body.aliases", "body.programme", "body.legal_basis"]),
            ({"legal_basis": "  "}, 400, ["body.legal_basis"]),  # "… cannot be empty"
            # what it already says: the state of the designation (Refusal.conflict)
            ({"aliases": ["Example Tech Ltd"]}, 409, ["body.aliases"])):
        amended = client.post(f"{API}/designations/{made['id']}/amendment", json=body)
        assert amended.status_code == status, amended.text
        assert located(spec, amended, "POST", template) == where


def only_the_routers_404(client, spec, template, path):
    """The operation declares no "nothing the caller may read is there": an id that names
    nothing is answered 200. Its one 404 is the router's, for a path it cannot take (a line
    break in it), and says so."""
    declared = spec["paths"][template]["get"]["responses"]
    assert declared["404"]["description"].startswith("Only for a path no operation answers")
    unrouted = client.get(API + path)
    assert unrouted.status_code == 404 and unrouted.json()["status"] == 404


def test_sightings_of_an_object_one_may_not_read_read_as_of_none(client, spec, world):
    """The US's indicator and its sighting, in a collection China may not read: to China, as
    an id nothing has."""
    indicator = {"type": "indicator", "spec_version": "2.1",
                 "id": "indicator--00000000-0000-4000-8000-000000000077",
                 "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
                 "pattern": "[domain-name:value = 'hidden.example']", "pattern_type": "stix",
                 "valid_from": "2020-01-01T00:00:00Z", "created_by_ref": world.own.id,
                 "object_marking_refs": [MARKING_FOR[Tlp.GREEN]]}
    world.node.objects.add(world.evidence.id, [
        indicator, sighting(77, indicator["id"], world.own.id, Tlp.GREEN)],
        poster_id=world.own.id)
    template = "/objects/{object_id}/sightings"
    only_the_routers_404(client, spec, template, "/objects/indicator--a%0Ab/sightings")
    assert len(client.get(f"{API}/objects/{indicator['id']}/sightings").json()) == 1
    hidden = client.get(f"{API}/objects/{indicator['id']}/sightings",
                        headers=bearer(world.other_token))
    missing = client.get(f"{API}/objects/indicator--{NOBODY}/sightings",
                         headers=bearer(world.other_token))
    assert hidden.status_code == missing.status_code == 200
    assert hidden.json() == missing.json() == []
    assert str(hidden.status_code) in spec["paths"][template]["get"]["responses"]


def test_the_attribution_of_a_subject_one_may_not_read_reads_as_of_none(
        client, spec, world, claim, third):  # noqa: F811
    """The claim on the OPM campaign is shared with China, not Russia: to Russia, the campaign
    reads as one nobody attributes, as a campaign that does not exist does."""
    _, token = third
    only_the_routers_404(client, spec, "/attribution/{subject}", "/attribution/campaign--a%0Ab")
    hidden = client.get(f"{API}/attribution/{OPM}", headers=bearer(token))
    missing = client.get(f"{API}/attribution/campaign--{NOBODY}", headers=bearer(token))
    assert hidden.status_code == missing.status_code == 200
    assert str(hidden.status_code) in spec["paths"]["/attribution/{subject}"]["get"]["responses"]
    assert {k: v for k, v in hidden.json().items() if k not in ("subject", "subject_name")} == \
        {k: v for k, v in missing.json().items() if k not in ("subject", "subject_name")}
    assert hidden.json()["claims"] == []
    assert client.get(f"{API}/attribution/{OPM}").json()["claims"][0]["id"] == claim["id"]
