"""Attribution over REST: who may claim and answer, who sees what, what a third party learns."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from tests.opm import APT19, OPM, opm_objects

from accord.intake import Screened, store
from accord.stix.timestamps import format_timestamp

API = "/api/v1"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def third(world):
    russia = world.node.directory.add_party("Russia (GOV-CERT.RU)")
    return russia, world.node.directory.create_token(russia, role="liaison")


@pytest.fixture
def claim(client, world, third):
    store(world.node.engine, world.evidence, Screened(opm_objects(), []),
        party_id=world.own.id, operator=True)
    r = client.post(f"{API}/claims", json={
        "subject": OPM, "attributed_to": [APT19], "sponsor": "CN",
        "basis": ["technical-forensics"], "confidence": 80, "summary": "APT19 did it.",
        "share_with": [world.other.name]})
    assert r.status_code == 201, r.text
    return r.json()


def test_the_accused_denies_and_both_read_the_contested_claim(client, world, claim):
    r = client.post(f"{API}/claims/{claim['id']}/positions", headers=bearer(world.other_token),
                    json={"position": "deny", "text": "Groundless.",
                          "basis": ["government-statement"]})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "contested"
    mine = client.get(f"{API}/claims/{claim['id']}").json()
    theirs = client.get(f"{API}/claims/{claim['id']}", headers=bearer(world.other_token)).json()
    # The same record; but China may not read the US's evidence collection, so the names of
    # the campaign and the group held there are not shown to it, only their ids.
    assert mine["subject_name"] == "OPM intrusions" and theirs["subject_name"] == OPM
    assert theirs["attributed_to_names"] == [APT19]
    names = ("subject_name", "attributed_to_names")
    assert {k: v for k, v in mine.items() if k not in names} == \
        {k: v for k, v in theirs.items() if k not in names}
    view = client.get(f"{API}/attribution/{OPM}").json()
    assert view["status"] == "contested" and view["claims"][0]["id"] == claim["id"]


def test_a_party_the_claim_is_not_shared_with_learns_nothing_of_it(client, claim, third):
    _, token = third
    hidden = client.get(f"{API}/claims/{claim['id']}", headers=bearer(token))
    missing = client.get(f"{API}/claims/x-accord-claim--00000000-0000-4000-8000-000000000000",
                         headers=bearer(token))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["title"].replace(claim["id"], "X") == \
        missing.json()["title"].replace("x-accord-claim--00000000-0000-4000-8000-000000000000",
                                        "X")
    assert client.get(f"{API}/claims", headers=bearer(token)).json() == []
    view = client.get(f"{API}/attribution/{OPM}", headers=bearer(token)).json()
    assert view["claims"] == [] and view["status_reason"] == "No party attributes this activity."
    answer = client.post(f"{API}/claims/{claim['id']}/positions", headers=bearer(token),
                         json={"position": "agree", "text": "Yes."})
    assert answer.status_code == 404


def test_a_reader_may_read_but_not_answer(client, world, claim):
    reader = world.node.directory.create_token(world.other, role="reader")
    assert client.get(f"{API}/claims/{claim['id']}", headers=bearer(reader)).status_code == 200
    r = client.post(f"{API}/claims/{claim['id']}/positions", headers=bearer(reader),
                    json={"position": "deny", "text": "No."})
    assert r.status_code == 403


@pytest.mark.parametrize("body", [
    {"position": "maybe", "text": "x"},
    {"position": "deny", "text": ""},
    {"position": "deny", "text": "x", "basis": ["hunch"]},
])
def test_a_malformed_position_is_a_clear_422(client, claim, body):
    r = client.post(f"{API}/claims/{claim['id']}/positions", json=body)
    assert r.status_code == 422


def test_the_openapi_description_declares_the_vocabularies(client):
    spec = client.get(f"{API}/openapi.json").json()
    position = spec["components"]["schemas"]["PositionIn"]["properties"]["position"]
    assert position["enum"] == ["agree", "partly-agree", "neutral", "disagree", "deny"]


def test_a_designation_is_made_listed_and_lifted(client, world):
    r = client.post(f"{API}/designations", json={
        "name": "Wang Dong", "kind": "individual", "legal_basis": "E.O. 13694",
        "aliases": ["王东"]})
    assert r.status_code == 201, r.text
    made = r.json()
    assert [d["id"] for d in client.get(f"{API}/designations",
                                        headers=bearer(world.other_token)).json()] == [made["id"]]
    refused = client.post(f"{API}/designations/{made['id']}/lifting",
                          headers=bearer(world.other_token), json={"reason": "no"})
    assert refused.status_code == 409
    lifted = client.post(f"{API}/designations/{made['id']}/lifting", json={"reason": "Done."})
    assert lifted.status_code == 200 and lifted.json()["in_force"] is False


@pytest.mark.parametrize(("designated", "status", "said"), [
    ("2014-05-19T00:00:00Z", 201, None),
    ("2014-05-19", 201, None),  # a date, as the command line takes it: its midnight, UTC
    ("19/05/2014", 422, "designated"),  # neither syntax (the API's description says both)
    ("2014-02-30T00:00:00Z", 400, "not a date such as"),
    ("2014-02-30", 400, "not a date such as"),
    ("2999-01-01T00:00:00Z", 400, "is in the future"),
    ("0214-05-19T00:00:00Z", 400, "is before 1900"),
])
def test_a_designation_keeps_the_date_it_was_made(client, world, designated, status, said):
    # An order of 2014 recorded today is dated 2014, not today; a date to come or a typo is
    # refused, naming the field.
    r = client.post(f"{API}/designations", json={
        "name": "Wang Dong", "kind": "individual", "legal_basis": "Indictment, 2014",
        "designated": designated})
    assert r.status_code == status, r.text
    if said is None:
        assert r.json()["designated"] == "2014-05-19T00:00:00.000000Z"
        assert r.json()["modified"] > "2026"  # the record of it is made now
    else:
        assert said in r.text and "designated" in r.text


def _taxii_delete(client, token, oid):
    return client.delete(f"/taxii2/accord/collections/requests/objects/{oid}/", headers={
        **bearer(token), "Accept": "application/taxii+json;version=2.1"})


def test_no_maker_deletes_a_claim_a_position_or_a_designation_over_taxii(client, world, claim):
    # Deleting its own denial would hide it from the claimant; deleting the lifting version
    # of a designation would put it back in force. The record is superseded, never removed.
    denied = client.post(f"{API}/claims/{claim['id']}/positions",
                         headers=bearer(world.other_token),
                         json={"position": "deny", "text": "Groundless."})
    assert denied.status_code == 201, denied.text
    listed = client.get("/taxii2/accord/collections/requests/objects/", params={
        "match[type]": "opinion"}, headers={**bearer(world.other_token),
                                            "Accept": "application/taxii+json;version=2.1"})
    [position] = listed.json()["objects"]
    made = client.post(f"{API}/designations", json={
        "name": "Wang Dong", "kind": "individual", "legal_basis": "E.O. 13694"}).json()
    client.post(f"{API}/designations/{made['id']}/lifting", json={"reason": "Done."})
    for token, oid in ((world.admin_token, claim["id"]), (world.other_token, position["id"]),
                       (world.admin_token, made["id"])):
        answer = _taxii_delete(client, token, oid)
        assert answer.status_code == 403, answer.text
        assert "on the attribution record, which is append-only" in answer.json()["description"]
    view = client.get(f"{API}/claims/{claim['id']}").json()
    assert view["status"] == "contested"
    [held] = [d for d in client.get(f"{API}/designations").json() if d["id"] == made["id"]]
    assert held["in_force"] is False


def test_a_denial_of_a_claim_shared_with_every_reader_is_read_by_every_reader(client, world,
                                                                              third):
    # A claim posted over TAXII as TLP:GREEN, with no recipients: every party that reads the
    # record reads the accusation, so every one reads the denial too.
    from accord.attribution.model import Claim
    from accord.attribution.objects import claim_to_stix
    from accord.clock import now as utc_now
    from accord.cooperation.desk import Desk
    from accord.trust.access import Grant
    from accord.trust.markings import MARKING_FOR, Tlp

    russia, russia_token = third
    store(world.node.engine, world.evidence, Screened(opm_objects(), []),
          party_id=world.own.id, operator=True)
    requests = Desk(world.node).collection()
    for party in (world.other, russia):
        world.node.directory.grant(requests.id, party, Grant(True, True))
    made = claim_to_stix(Claim("x-accord-claim--5d2b7c2e-5b0a-4f8e-9d7c-1b6f3e2a9c40",
                               world.own.id, utc_now(), OPM, (APT19,), "CN",
                               ("technical-forensics",), 80, "APT19 did it."))
    made["object_marking_refs"] = [MARKING_FOR[Tlp.GREEN]]
    posted = client.post("/taxii2/accord/collections/requests/objects/", json={
        "objects": [made]}, headers={"Content-Type": "application/taxii+json;version=2.1",
                                     "Accept": "application/taxii+json;version=2.1"})
    assert posted.status_code == 202 and posted.json()["success_count"] == 1, posted.text
    denied = client.post(f"{API}/claims/{made['id']}/positions",
                         headers=bearer(world.other_token),
                         json={"position": "deny", "text": "Groundless."})
    assert denied.status_code == 201, denied.text
    seen = client.get(f"{API}/claims/{made['id']}", headers=bearer(russia_token)).json()
    assert [p["position"] for p in seen["positions"] if not p["claimant"]] == ["deny"]
    assert seen["status"] == "contested"


def _position(world, claim_id, when, **more):
    from accord.attribution.model import Position
    from accord.attribution.objects import position_to_stix
    from accord.trust.markings import MARKING_FOR, Tlp

    made = position_to_stix(Position(f"opinion--{uuid.uuid4()}", world.other.id,
                                     when, claim_id, "deny", "Groundless.", **more))
    made["object_marking_refs"] = [MARKING_FOR[Tlp.AMBER_STRICT]]
    made["extensions"]["extension-definition--3c8e2a52-7d1e-4a55-9c36-0f5b6d0e4a11"] = {
        "extension_type": "property-extension", "recipients": [world.own.id]}
    return made


def test_a_position_posted_over_taxii_is_held_to_the_rules_of_taking_one(client, world, claim,
                                                                        third):
    from datetime import timedelta

    from accord.clock import now as utc_now
    from accord.stix.timestamps import parse_timestamp
    from accord.trust.access import Grant

    russia, russia_token = third
    now = utc_now()
    future = _position(world, claim["id"], now + timedelta(days=365 * 70))
    backdated = _position(world, claim["id"], parse_timestamp("2001-01-01T00:00:00Z"))
    hidden = _position(world, claim["id"], now)
    hidden["extensions"]["extension-definition--3c8e2a52-7d1e-4a55-9c36-0f5b6d0e4a11"][
        "recipients"] = [russia.id]
    rival = _position(world, claim["id"], now, competing_claim=claim["id"])
    taken = _position(world, claim["id"], now)
    answer = client.post("/taxii2/accord/collections/requests/objects/", json={"objects": [
        future, backdated, hidden, rival, taken]}, headers={
        **bearer(world.other_token), "Content-Type": "application/taxii+json;version=2.1",
        "Accept": "application/taxii+json;version=2.1"}).json()
    refused = {f["id"]: f["message"] for f in answer.get("failures", [])}
    assert answer["success_count"] == 1 and set(refused) == {
        future["id"], backdated["id"], hidden["id"], rival["id"]}
    assert "after this node's clock" in refused[future["id"]]
    assert "before the claim it answers" in refused[backdated["id"]]
    assert "never kept from the party whose claim it answers" in refused[hidden["id"]]
    assert "must be your own claim on the same subject" in refused[rival["id"]]
    # A party that may not read the claim answers no claim.
    world.node.directory.grant(world.node.directory.collection("requests").id, russia,
                               Grant(True, True))
    outsider = _position(world, claim["id"], now)
    outsider["created_by_ref"] = russia.id
    answer = client.post("/taxii2/accord/collections/requests/objects/", json={
        "objects": [outsider]}, headers={
        **bearer(russia_token), "Content-Type": "application/taxii+json;version=2.1",
        "Accept": "application/taxii+json;version=2.1"}).json()
    assert answer["success_count"] == 0
    assert "no claim you may read" in answer["failures"][0]["message"]
    view = client.get(f"{API}/claims/{claim['id']}").json()
    assert [p["position"] for p in view["positions"] if not p["claimant"]] == ["deny"]


def test_a_position_in_another_name_or_un_lifting_a_designation_is_refused_over_taxii(
        client, world, claim):
    from datetime import timedelta

    from accord.attribution.objects import designation_to_stix
    from accord.attribution.record import AttributionRecord
    from accord.clock import now as utc_now
    from accord.cooperation.desk import Actor

    nobody = _position(world, claim["id"], utc_now())
    nobody["created_by_ref"] = "identity--0f1e2d3c-4b5a-4968-8776-655443322110"  # no party
    answer = client.post("/taxii2/accord/collections/requests/objects/", json={
        "objects": [nobody]}, headers={
        **bearer(world.other_token), "Content-Type": "application/taxii+json;version=2.1",
        "Accept": "application/taxii+json;version=2.1"}).json()
    assert answer["success_count"] == 0
    assert "a party posts only as itself" in answer["failures"][0]["message"]
    # A lifted designation put back in force by a new version of its own: refused.
    made = client.post(f"{API}/designations", json={
        "name": "Wang Dong", "kind": "individual", "legal_basis": "E.O. 13694"}).json()
    client.post(f"{API}/designations/{made['id']}/lifting", json={"reason": "Done."})
    record = AttributionRecord(world.node)
    [lifted] = [d for d in record.designations(Actor(world.own)) if d.id == made["id"]]
    back = designation_to_stix(replace(lifted, lifted=None, lift_reason=None,
                                       modified=lifted.modified + timedelta(seconds=1)))
    answer = client.post("/taxii2/accord/collections/requests/objects/", json={
        "objects": [back]}, headers={"Content-Type": "application/taxii+json;version=2.1",
                                     "Accept": "application/taxii+json;version=2.1"}).json()
    assert answer["success_count"] == 0
    assert "a lifted designation stays lifted" in answer["failures"][0]["message"]
    [held] = [d for d in client.get(f"{API}/designations").json() if d["id"] == made["id"]]
    assert held["in_force"] is False


def test_claims_are_listed_a_page_at_a_time(client, world, claim):
    for n in range(2):
        made = client.post(f"{API}/claims", json={
            "subject": OPM, "attributed_to": [APT19], "basis": ["media-report"],
            "confidence": 40 + n, "summary": f"Another view {n}."})
        assert made.status_code == 201, made.text
    everything = client.get(f"{API}/claims").json()
    assert len(everything) == 3 and everything[0]["id"] == claim["id"]
    first = client.get(f"{API}/claims", params={"limit": 2, "subject": OPM})
    assert [c["id"] for c in first.json()] == [c["id"] for c in everything[:2]]
    following = first.headers["link"].split(";")[0].strip("<>")
    assert following.startswith("/api/v1/claims?") and "subject=" in following
    second = client.get(following)
    assert [c["id"] for c in second.json()] == [everything[2]["id"]]
    assert "link" not in second.headers
    # Their own standings, as the whole list gives them.
    assert second.json()[0]["status"] == everything[2]["status"]
    bad = client.get(f"{API}/claims", params={"after": "'; DROP TABLE objects"})
    assert bad.status_code == 400 and "not a cursor this listing gave" in bad.text, bad.text
    assert client.get(f"{API}/claims", params={"limit": 1001}).status_code in (400, 422)
    elsewhere = client.get(f"{API}/claims", params={"subject": APT19, "limit": 1})
    assert elsewhere.json() == [] and "link" not in elsewhere.headers


def test_designations_are_listed_a_page_at_a_time_the_latest_change_first(client, world):
    made = []
    for name in ("Wang Dong", "Sun Kailiang", "Huang Zhenyu"):
        r = client.post(f"{API}/designations", json={
            "name": name, "kind": "individual", "legal_basis": "E.O. 13694"})
        assert r.status_code == 201, r.text
        made.append(r.json()["id"])
    # Amending the first puts it at the top: its newest version is the latest change.
    amended = client.post(f"{API}/designations/{made[0]}/amendment", json={"aliases": ["王东"]})
    assert amended.status_code == 200, amended.text
    latest_first = [made[0], made[2], made[1]]
    everything = client.get(f"{API}/designations", headers=bearer(world.other_token))
    assert [d["id"] for d in everything.json()] == latest_first
    assert "link" not in everything.headers
    first = client.get(f"{API}/designations", params={"limit": 2})
    assert [d["id"] for d in first.json()] == latest_first[:2]
    assert first.json()[0]["aliases"] == ["王东"]
    following = first.headers["link"].split(";")[0].strip("<>")
    assert following.startswith("/api/v1/designations?")
    second = client.get(following)
    assert [d["id"] for d in second.json()] == latest_first[2:]
    assert "link" not in second.headers
    bad = client.get(f"{API}/designations", params={"after": "yesterday"})
    assert bad.status_code == 400 and "not a cursor this listing gave" in bad.text, bad.text
    assert client.get(f"{API}/designations", params={"limit": 1001}).status_code in (400, 422)
    assert client.get(f"{API}/designations", params={"limit": 0}).status_code in (400, 422)


def test_positions_posted_together_on_many_claims_are_each_judged(client, world, claim,
                                                                  monkeypatch):
    # The claims a post names are read a block of ids at a time (thousands may be named).
    from accord.clock import now as utc_now
    from accord.store import record_reads

    other = client.post(f"{API}/claims", json={
        "subject": OPM, "attributed_to": [APT19], "basis": ["media-report"], "confidence": 30,
        "summary": "Another view.", "share_with": [world.other.name]}).json()
    monkeypatch.setattr(record_reads, "BLOCK", 1)
    now = utc_now()
    answer = client.post("/taxii2/accord/collections/requests/objects/", json={"objects": [
        _position(world, claim["id"], now), _position(world, other["id"], now)]}, headers={
        **bearer(world.other_token), "Content-Type": "application/taxii+json;version=2.1",
        "Accept": "application/taxii+json;version=2.1"}).json()
    assert answer["success_count"] == 2, answer


def test_a_refusal_names_the_body_s_fields_not_the_command_line_s(client, world, claim):
    r = client.post(f"{API}/claims", json={
        "subject": OPM, "attributed_to": [APT19], "basis": ["media-report"], "confidence": 40,
        "summary": "Shared with nobody.", "share_with": ["Nobody"]})
    assert r.status_code == 400 and "body.share_with: no party 'Nobody'" in r.text, r.text
    r = client.post(f"{API}/claims", json={
        "subject": OPM, "basis": ["media-report"], "confidence": 40, "summary": "By whom?"})
    assert r.status_code == 400 and "body.attributed_to, body.sponsor or both" in r.text
    assert "--" not in r.json()["title"]


def test_the_record_s_objects_dated_in_year_0000_are_refused_by_name_not_failed_on(
        client, world, claim):
    # RFC 3339 has a year 0; Python's calendar has none: parsing such a designation or claim
    # failed with a 500 (and `accord import` aborted). Refused like any impossible date.
    from accord.attribution.objects import designation_to_stix
    from accord.attribution.record import AttributionRecord
    from accord.cooperation.desk import Actor

    made = client.post(f"{API}/designations", json={
        "name": "Wang Dong", "kind": "individual", "legal_basis": "E.O. 13694"}).json()
    [kept] = [d for d in AttributionRecord(world.node).designations(Actor(world.own))
              if d.id == made["id"]]
    designation = designation_to_stix(kept)
    designation["id"] = f"x-accord-designation--{uuid.uuid4()}"
    designation["designated"] = "0000-01-01T00:00:00Z"
    position = _position(world, claim["id"], kept.modified)
    position["created"] = position["modified"] = "0000-01-01T00:00:00.000Z"
    leap = dict(designation, id=f"x-accord-designation--{uuid.uuid4()}",
                designated="2016-12-31T23:59:60Z")  # a leap second: none in Python either
    answer = client.post("/taxii2/accord/collections/requests/objects/", json={
        "objects": [designation, position, leap]}, headers={
        "Content-Type": "application/taxii+json;version=2.1",
        "Accept": "application/taxii+json;version=2.1"})
    assert answer.status_code == 202, answer.text
    refused = {f["id"]: f["message"] for f in answer.json()["failures"]}
    assert set(refused) == {designation["id"], position["id"], leap["id"]}
    assert "designated: '2016-12-31T23:59:60Z' is not a STIX timestamp" in refused[leap["id"]]
    assert "designated: '0000-01-01T00:00:00Z' is not a STIX timestamp" in \
        refused[designation["id"]]
    assert "'created' must be a real UTC date and time" in refused[position["id"]]


@pytest.mark.parametrize(("path", "body", "unknown"), [
    ("/designations", {"name": "Tianfu Probe", "kind": "organization",
                       "legal_basis": "E.O. 13694", "alias": ["TFP"]}, "alias"),
    ("/designations", {"name": "Tianfu Probe", "kind": "organization",
                       "legal_basis": "E.O. 13694", "programe": "CYBER2"}, "programe"),
    ("/claims", {"subject": OPM, "attributed_to": [APT19], "basis": ["media-report"],
                 "confidence": 50, "summary": "x", "sharewith": ["China"]}, "sharewith"),
])
def test_a_field_the_api_does_not_know_is_refused_by_name(client, world, path, body, unknown):
    # A typo made a designation without its aliases, and said nothing.
    before = client.get(f"{API}/designations").json()
    answered = client.post(f"{API}{path}", json=body)
    assert answered.status_code == 422, answered.text
    assert unknown in answered.text and "no such field here" in answered.text
    assert client.get(f"{API}/designations").json() == before  # nothing stored


def test_claims_and_designations_posted_over_taxii_keep_the_rules_rest_keeps(
        client, world, claim, third):
    # An officer's finding: China's claim dated 2010 led its subject's reasons, one dated 2099
    # stood as made later than any, a designation dated 2099 was in force at once, and one
    # cited a claim China may not read, or none at all (the REST API answers 404 for both).
    from datetime import timedelta

    from accord.attribution.model import Claim
    from accord.attribution.objects import claim_to_stix, designation_to_stix
    from accord.attribution.record import AttributionRecord
    from accord.clock import now as utc_now
    from accord.cooperation.desk import Actor
    from accord.stix.timestamps import parse_timestamp

    russia, _ = third
    hidden = client.post(f"{API}/claims", json={
        "subject": OPM, "attributed_to": [APT19], "basis": ["media-report"], "confidence": 50,
        "summary": "Between us.", "share_with": [russia.name]}).json()
    now = utc_now()

    def made(at):  # type: ignore[no-untyped-def]
        return claim_to_stix(Claim(f"x-accord-claim--{uuid.uuid4()}", world.other.id, at, OPM,
                                   (APT19,), None, ("media-report",), 40, "Not us: them."))

    old, ahead, fresh = made(parse_timestamp("2010-01-01T00:00:00Z")), \
        made(now + timedelta(days=365)), made(now - timedelta(hours=2))
    ours = client.post(f"{API}/designations", json={
        "name": "Wang Dong", "kind": "individual", "legal_basis": "E.O. 13694"}).json()
    [kept] = [d for d in AttributionRecord(world.node).designations(Actor(world.own))
              if d.id == ours["id"]]

    def designation(**changes):  # type: ignore[no-untyped-def]
        return designation_to_stix(replace(kept, id=f"x-accord-designation--{uuid.uuid4()}",
                                           party=world.other.id, **changes))

    later = designation(designated=now + timedelta(days=30))
    secret = designation(claims=(hidden["id"],))
    nowhere = designation(claims=("x-accord-claim--00000000-0000-4000-8000-000000000000",))
    cites = designation(claims=(claim["id"],))
    answer = client.post("/taxii2/accord/collections/requests/objects/", json={
        "objects": [old, ahead, fresh, later, secret, nowhere, cites]}, headers={
        **bearer(world.other_token), "Content-Type": "application/taxii+json;version=2.1",
        "Accept": "application/taxii+json;version=2.1"}).json()
    refused = {f["id"]: f["message"] for f in answer.get("failures", [])}
    assert set(refused) == {old["id"], ahead["id"], later["id"], secret["id"], nowhere["id"]}
    assert answer["success_count"] == 2  # prepared two hours before; citing what it reads
    assert "more than a day before it reached this node" in refused[old["id"]]
    assert "after this node's clock" in refused[ahead["id"]]
    assert "record a designation once it has taken effect" in refused[later["id"]]
    assert f"claim_refs {hidden['id']}: no claim you may read" in refused[secret["id"]]
    assert "no claim you may read" in refused[nowhere["id"]]
    # The US may read its claim shared with Russia alone; a designation every reader reads
    # would show them its id (the REST API refuses it too).
    from accord.trust.markings import MARKING_FOR, Tlp

    shown = designation_to_stix(replace(kept, id=f"x-accord-designation--{uuid.uuid4()}",
                                        claims=(hidden["id"],)))
    shown["object_marking_refs"] = [MARKING_FOR[Tlp.GREEN]]
    answer = client.post("/taxii2/accord/collections/requests/objects/", json={
        "objects": [shown]}, headers={"Content-Type": "application/taxii+json;version=2.1",
                                      "Accept": "application/taxii+json;version=2.1"}).json()
    assert answer["success_count"] == 0, answer
    assert "a claim shared with fewer parties than the designation" in \
        answer["failures"][0]["message"]


def test_a_designation_posted_over_taxii_cites_only_evidence_its_readers_read(client, world):
    # The REST API refused a designation citing evidence its party, or one of its readers,
    # may not read; over TAXII the same designation was stored, and showed every reader the
    # ids of objects held from them.
    from accord.attribution.objects import designation_to_stix
    from accord.attribution.record import AttributionRecord
    from accord.cooperation.desk import Actor
    from accord.trust.access import Grant
    from accord.trust.markings import MARKING_FOR, Tlp

    store(world.node.engine, world.evidence, Screened(opm_objects(), []),
          party_id=world.own.id, operator=True)  # the US's evidence: China does not read it
    ours = client.post(f"{API}/designations", json={
        "name": "Wang Dong", "kind": "individual", "legal_basis": "E.O. 13694"}).json()
    [kept] = [d for d in AttributionRecord(world.node).designations(Actor(world.own))
              if d.id == ours["id"]]

    def post(token, party):  # type: ignore[no-untyped-def]
        made = designation_to_stix(replace(kept, id=f"x-accord-designation--{uuid.uuid4()}",
                                           party=party.id, evidence=(OPM,)))
        made["object_marking_refs"] = [MARKING_FOR[Tlp.GREEN]]  # every party reads it
        return client.post("/taxii2/accord/collections/requests/objects/", json={
            "objects": [made]}, headers={
            **bearer(token), "Content-Type": "application/taxii+json;version=2.1",
            "Accept": "application/taxii+json;version=2.1"}).json()

    shown = post(world.admin_token, world.own)
    assert shown["success_count"] == 0, shown
    assert f"object_refs {OPM}: not shared with {world.other.name}" in \
        shown["failures"][0]["message"]
    theirs = post(world.other_token, world.other)
    assert theirs["success_count"] == 0, theirs
    assert f"object_refs {OPM}: no object you may read" in theirs["failures"][0]["message"]
    world.node.directory.grant(world.evidence.id, world.other, Grant(True, False))
    assert post(world.admin_token, world.own)["success_count"] == 1  # now every reader does
    assert post(world.other_token, world.other)["success_count"] == 1


def test_a_designation_posted_over_taxii_dated_before_1900_is_refused_as_over_rest(
        client, world):
    from accord.attribution.objects import designation_to_stix
    from accord.attribution.record import AttributionRecord
    from accord.cooperation.desk import Actor
    from accord.stix.timestamps import parse_timestamp

    ours = client.post(f"{API}/designations", json={
        "name": "Wang Dong", "kind": "individual", "legal_basis": "E.O. 13694"}).json()
    [kept] = [d for d in AttributionRecord(world.node).designations(Actor(world.own))
              if d.id == ours["id"]]
    typo = designation_to_stix(replace(kept, id=f"x-accord-designation--{uuid.uuid4()}",
                                       designated=parse_timestamp("0214-05-19T00:00:00Z")))
    answer = client.post("/taxii2/accord/collections/requests/objects/", json={
        "objects": [typo]}, headers={"Content-Type": "application/taxii+json;version=2.1",
                                     "Accept": "application/taxii+json;version=2.1"}).json()
    assert answer["success_count"] == 0, answer
    assert "is before 1900" in answer["failures"][0]["message"]


def test_what_is_no_stix_id_has_no_attribution_to_show(client):
    answered = client.get(f"{API}/attribution/garbage")
    assert answered.status_code == 400
    assert "give the STIX id of an incident, campaign" in answered.json()["title"]


@pytest.mark.parametrize("name", ["...", "\u200b\u200b", "--"])
def test_a_designation_no_screening_could_match_is_refused(client, name):
    answered = client.post(f"{API}/designations", json={
        "name": name, "kind": "organization", "legal_basis": "E.O. 13694"})
    assert answered.status_code in (400, 409, 422), answered.text
    assert "a name needs a letter or a digit" in answered.text
    aliased = client.post(f"{API}/designations", json={
        "name": "Tianfu Probe", "kind": "organization", "legal_basis": "E.O. 13694",
        "aliases": ["Tianfu", name]})
    assert "a name needs a letter or a digit" in aliased.text
    assert client.get(f"{API}/designations").json() == []
    made = client.post(f"{API}/designations", json={
        "name": "Tianfu Probe", "kind": "organization", "legal_basis": "E.O. 13694"}).json()
    amended = client.post(f"{API}/designations/{made['id']}/amendment",
                          json={"aliases": [name]})
    assert "a name needs a letter or a digit" in amended.text
    [held] = client.get(f"{API}/designations").json()
    assert held["aliases"] == []


def test_a_role_is_named_with_its_article(client, world):
    analyst = world.node.directory.create_token(world.other, role="analyst")
    answered = client.post(f"{API}/claims", headers=bearer(analyst), json={
        "subject": OPM, "attributed_to": [APT19], "basis": ["media-report"],
        "confidence": 50, "summary": "x"})
    assert answered.status_code == 403 and "an analyst token may read" in answered.text


def test_a_claim_posted_again_days_later_is_held_unchanged_not_refused(client, world):
    # A reviewer's finding: a client retrying, or a feed pushed whole again, had every claim
    # older than a day refused as dated before it reached the node.
    from datetime import timedelta

    from accord.attribution.model import Claim
    from accord.attribution.objects import claim_to_stix
    from accord.attribution.posted import refused_record_objects
    from accord.clock import now as utc_now
    from accord.cooperation.desk import Desk

    made = claim_to_stix(Claim(f"x-accord-claim--{uuid.uuid4()}", world.own.id, utc_now(),
                               OPM, (APT19,), None, ("media-report",), 40, "APT19."))
    requests = Desk(world.node).collection()  # made at the first request
    headers = {"Content-Type": "application/taxii+json;version=2.1",
               "Accept": "application/taxii+json;version=2.1"}
    first = client.post("/taxii2/accord/collections/requests/objects/",
                        json={"objects": [made]}, headers=headers).json()
    assert first.get("success_count") == 1, first
    later = utc_now() + timedelta(days=3)
    assert refused_record_objects(world.node.engine, requests, [made], world.own.id,
                                  later) == {}
    fresh = dict(made, id=f"x-accord-claim--{uuid.uuid4()}")
    assert list(refused_record_objects(world.node.engine, requests, [fresh], world.own.id,
                                       later).values()) == [
        f"dated {made['created']}, more than a day before it reached this node "
        f"({format_timestamp(later)}): a claim is dated when it is made"]


def test_an_amendment_or_a_lifting_past_the_bounds_is_refused_by_field(client):
    # A 7 MB lift reason was taken to the record and refused there with a 409 about
    # something else ("lifted and lift_reason go together").
    from accord.cooperation.properties import MOST_TEXT

    made = client.post(f"{API}/designations", json={
        "name": "Tianfu Probe", "kind": "organization", "legal_basis": "E.O. 13694"}).json()
    lifted = client.post(f"{API}/designations/{made['id']}/lifting",
                         json={"reason": "x" * (MOST_TEXT + 1)})
    assert lifted.status_code == 422 and "body.reason" in lifted.json()["title"]
    amended = client.post(f"{API}/designations/{made['id']}/amendment",
                          json={"legal_basis": "x" * (MOST_TEXT + 1)})
    assert amended.status_code == 422 and "body.legal_basis" in amended.json()["title"]
    [held] = client.get(f"{API}/designations").json()
    assert held["in_force"] and held["legal_basis"] == "E.O. 13694"
