"""The mechanism over REST: who may act, who may see, what the review says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

API = "/api/v1"
EVIDENCE = {
    "type": "indicator", "spec_version": "2.1",
    "id": "indicator--00000000-0000-4000-8000-000000000002",
    "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
    "pattern": "[domain-name:value = 'c2.evil.example']", "pattern_type": "stix",
    "valid_from": "2026-01-01T00:00:00Z",
}


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def sent(client, world):
    world.node.objects.add(world.evidence.id, [EVIDENCE], poster_id=world.own.id)
    r = client.post(f"{API}/requests", json={
        "to": world.other.name, "kind": "information", "category": "intrusion",
        "urgency": "priority", "summary": "Who registered c2.evil.example?",
        "evidence": [EVIDENCE["id"]]})
    assert r.status_code == 201, r.text
    return r.json()


def test_a_request_is_created_with_its_deadlines_and_seen_by_both_sides(client, world, sent):
    assert sent["state"] == "submitted"
    received = datetime.fromisoformat(sent["received"].replace("Z", "+00:00"))
    assert datetime.fromisoformat(sent["deadlines"]["respond"].replace("Z", "+00:00")) \
        - received == timedelta(days=10)
    theirs = client.get(f"{API}/requests/{sent['id']}", headers=bearer(world.other_token))
    assert theirs.status_code == 200 and theirs.json()["requester"]["name"] == world.own.name
    listed = client.get(f"{API}/requests", params={"direction": "received"},
                        headers=bearer(world.other_token))
    assert [r["id"] for r in listed.json()] == [sent["id"]]
    assert client.get(f"{API}/requests", params={"direction": "received"}).json() == []


def test_the_addressee_answers_over_rest_and_the_requester_rates(client, world, sent):
    rid = sent["id"]
    as_cn = bearer(world.other_token)
    assert client.post(f"{API}/requests/{rid}/acknowledgement", json={},
                       headers=as_cn).json()["state"] == "acknowledged"
    assert client.post(f"{API}/requests/{rid}/status-reports", json={"text": "working"},
                       headers=as_cn).json()["state"] == "in-progress"
    refused = client.post(f"{API}/requests/{rid}/response", json={"outcome": "declined"},
                          headers=as_cn)
    assert refused.status_code == 400 and "must give a reason" in refused.json()["title"]
    done = client.post(f"{API}/requests/{rid}/response",
                       json={"outcome": "declined", "reason": "outside our jurisdiction"},
                       headers=as_cn)
    assert done.json()["state"] == "declined"
    again = client.post(f"{API}/requests/{rid}/response",
                        json={"outcome": "action-taken"}, headers=as_cn)
    assert again.status_code == 409
    bad = client.post(f"{API}/requests/{rid}/rating", json={"score": 0})
    assert bad.status_code == 422
    for loose in (True, "5", 4.5):  # `true` is not the rating 1 (4.0 is 4, as JSON Schema says)
        refused = client.post(f"{API}/requests/{rid}/rating", json={"score": loose})
        assert refused.status_code == 422, (loose, refused.text)
        assert refused.json()["errors"][0]["where"] == "body.score"
    rated = client.post(f"{API}/requests/{rid}/rating", json={"score": 2, "comment": "terse"})
    assert rated.json()["state"] == "closed"


def test_a_reader_token_reads_requests_but_cannot_act(client, world, sent):
    reader = world.node.directory.create_token(world.other, role="reader", name="Zhao")
    seen = client.get(f"{API}/requests/{sent['id']}", headers=bearer(reader))
    assert seen.status_code == 200
    acted = client.post(f"{API}/requests/{sent['id']}/acknowledgement", json={},
                        headers=bearer(reader))
    assert acted.status_code == 403 and "liaison" in acted.json()["title"]


def test_an_outsider_gets_not_found_for_a_request_and_for_nothing_alike(client, world, sent):
    russia = world.node.directory.add_party("Russia (GOV-CERT.RU)")
    token = world.node.directory.create_token(russia, role="liaison")
    real = client.get(f"{API}/requests/{sent['id']}", headers=bearer(token))
    fake = client.get(f"{API}/requests/x-accord-request--00000000-0000-4000-8000-000000000000",
                      headers=bearer(token))
    assert real.status_code == fake.status_code == 404
    assert client.get(f"{API}/requests", headers=bearer(token)).json() == []
    act = client.post(f"{API}/requests/{sent['id']}/escalations", json={},
                      headers=bearer(token))
    assert act.status_code == 404


def test_the_review_over_rest_counts_the_callers_requests(client, world, sent):
    today = datetime.now(UTC).date()
    r = client.get(f"{API}/review", params={"from": str(today),
                                            "to": str(today + timedelta(days=1))})
    assert r.status_code == 200
    [(direction, figures)] = r.json()["directions"].items()
    assert direction == f"{world.own.name}->{world.other.name}"
    assert figures["requests"] == 1 and figures["acknowledged_on_time"] == 0
    html = client.get(f"{API}/review", params={"from": str(today), "format": "html",
                                               "to": str(today + timedelta(days=1))})
    assert html.headers["content-type"].startswith("text/html") and "<svg" in html.text
    both = client.get(f"{API}/review", params={"from": str(today), "format": "md",
                                               "to": str(today + timedelta(days=1)),
                                               "lang": "both"})
    assert "| Requests received | 1 |" in both.text and "| 收到的请求 | 1 |" in both.text


def test_one_party_asks_for_one_review_at_a_time(client, world, sent):
    # A review reads every request of its period and may fork a second process: a token
    # asking for many at once would hold every worker of the server. The second waits.
    from accord.cooperation import reviewing

    today = datetime.now(UTC).date()
    period = {"from": str(today), "to": str(today + timedelta(days=1))}
    with reviewing._turn(world.own.id):  # a review of the US being made meanwhile
        busy = client.get(f"{API}/review", params=period)
        assert busy.status_code == 429 and busy.headers["retry-after"] == "5"
        assert "a review for this party is being made already" in busy.text
        # Another party's review is made all the same.
        theirs = client.get(f"{API}/review", params=period,
                            headers=bearer(world.other_token))
        assert theirs.status_code == 200
    assert client.get(f"{API}/review", params=period).status_code == 200
    assert not reviewing._running  # every turn given back


def test_missing_content_is_refused_with_what_is_missing(client, world):
    r = client.post(f"{API}/requests", json={
        "to": world.other.name, "kind": "preservation", "category": "ransomware",
        "urgency": "urgent", "summary": "Preserve the logs of 198.51.100.9"})
    assert r.status_code == 400
    assert "evidence" in r.json()["title"] and "legal_basis" in r.json()["title"]


def test_the_extension_definition_and_its_schema_are_published(client):
    bundle = client.get(f"{API}/extension-definition").json()
    definitions = {o["name"]: o for o in bundle["objects"] if o["type"] == "extension-definition"}
    assert definitions["Accord cooperation objects"]["extension_types"] == ["new-sdo"]
    assert definitions["Accord attribution objects"]["extension_types"] == [
        "new-sdo", "property-extension"]
    assert "x-accord-claim" in str(client.get(f"{API}/schemas/attribution-v1.json").json())
    schema = client.get(f"{API}/schemas/cooperation-v1.json").json()
    assert "x-accord-request" in str(schema)
    paths = client.get(f"{API}/openapi.json").json()["paths"]
    assert "/requests/{request_id}/response" in paths and "/review" in paths


def test_the_parties_a_request_is_shared_with_are_bounded_and_each_named_once(client, world):
    # The same party 100,000 times took 99 s to store and made every view of the request
    # megabytes for each of its parties.
    world.node.objects.add(world.evidence.id, [EVIDENCE], poster_id=world.own.id)
    third = world.node.directory.add_party("Third party")
    body = {"to": world.other.name, "kind": "information", "category": "intrusion",
            "urgency": "priority", "summary": "Who registered c2.evil.example?",
            "evidence": [EVIDENCE["id"]]}
    over = client.post(f"{API}/requests", json={**body, "shared_with": [third.id] * 101})
    assert over.status_code == 422 and "body.shared_with" in over.text
    made = client.post(f"{API}/requests", json={
        **body, "shared_with": [third.id, third.name, world.other.id, third.id]})
    assert made.status_code == 201, made.text
    assert [p["id"] for p in made.json()["shared_with"]] == [third.id]
    designation = client.post(f"{API}/designations", json={
        "name": "Example Co.", "kind": "organization", "legal_basis": "Order 1",
        "share_with": [third.id] * 1_001})
    assert designation.status_code == 422 and "body.share_with" in designation.text


@pytest.mark.parametrize(("field", "value", "said"), [
    ("activity_start", "0001-01-01T00:00:00+01:00", "beyond the calendar"),
    ("activity_end", "9999-12-31T23:59:59-01:00", "beyond the calendar"),
    ("activity_start", -1, "as a string"),
    ("exercise", "yes", "bool"),
])
def test_a_request_s_times_and_flags_are_read_as_json_writes_them(client, world, field, value,
                                                                   said):
    body = {"to": world.other.name, "kind": "information", "category": "intrusion",
            "urgency": "routine", "summary": "Who runs 198.51.100.7?", field: value}
    r = client.post(f"{API}/requests", json=body)
    # A value the schema allows that lies past the calendar in UTC: 400; not JSON's type: 422.
    assert r.status_code == (400 if "calendar" in said else 422), r.text
    assert r.json()["errors"][0]["where"] == f"body.{field}" and said in r.text.lower()
    assert client.get(f"{API}/requests").json() == []  # nothing stored


def test_a_review_period_beyond_the_calendar_is_refused_in_words(client):
    r = client.get(f"{API}/review", params={"from": "0001-01-01T00:00:00+01:00",
                                             "to": "2030-01-01T00:00:00Z"})
    assert r.status_code == 400 and "beyond the calendar" in r.text
    assert r.json()["errors"][0]["where"] == "query.from"


def test_the_reads_of_the_review_the_guidelines_the_node_and_a_screening_are_audited(
        client, world):
    from accord.store.audit_log import AuditQuery

    assert client.get(f"{API}/review", params={"from": "2026-01-01",
                                                "to": "2026-07-01"}).status_code == 200
    assert client.get(f"{API}/guidelines", params={"with": world.other.name}).status_code == 200
    assert client.get(f"{API}/node").status_code == 200
    assert client.post(f"{API}/screen", json={"names": ["Zhang Wei", "APT1"]}).status_code \
        == 200
    world.node.reads.flush()
    for action, detail in (("review.read", {"from": "2026-01-01T00:00:00.000000Z", "via": "api"}),
                           ("guidelines.read", {"with": world.other.id}),
                           ("node.read", {}),
                           ("screen.batch", {"queries": ["Zhang Wei", "APT1"]})):
        [record] = world.node.audit.query(AuditQuery(action=action, limit=5))
        assert record.event.party_id == world.own.id
        assert detail.items() <= record.event.detail.items(), (action, record.event.detail)
