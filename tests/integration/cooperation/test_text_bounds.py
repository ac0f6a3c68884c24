"""What a party writes is bounded on every path (REST, TAXII, the CLI): every view of a request
reads its ledger whole, and every screening reads every designation's names, so one party
writing without end would make them slow and heavy for everyone. Each refusal names the
property and the bound, and nothing is stored."""

from __future__ import annotations

import uuid

import orjson
import pytest
from tests.integration.cooperation.test_api import EVIDENCE

from accord.cooperation.desk import Desk
from accord.cooperation.objects import EXTENSION_ID
from accord.cooperation.properties import MOST_LINE, MOST_LISTED, MOST_TEXT

API = "/api/v1"
TAXII = "application/taxii+json;version=2.1"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _request(world, **more) -> dict:  # type: ignore[no-untyped-def]
    if not world.node.objects.exists(world.evidence.id, EVIDENCE["id"], None):
        world.node.objects.add(world.evidence.id, [EVIDENCE], poster_id=world.own.id)
    return {"to": world.other.name, "kind": "information", "category": "intrusion",
            "urgency": "priority", "summary": "Who registered c2.evil.example?",
            "evidence": [EVIDENCE["id"]], **more}


@pytest.mark.parametrize(("field", "value", "said"), [
    ("summary", "x" * (MOST_LINE + 1), "summary"),
    ("description", "x" * (MOST_TEXT + 1), "description"),
    ("point_of_contact", "x" * (MOST_LINE + 1), "point_of_contact"),
    ("victims", ["v"] * (MOST_LISTED + 1), "victims"),
    ("victims", ["x" * (MOST_LINE + 1)], "victims"),
])
def test_a_request_over_a_bound_is_refused_over_rest_naming_the_field(client, world, field,
                                                                      value, said):
    r = client.post(f"{API}/requests", json=_request(world, **{field: value}))
    assert r.status_code == 422, r.text
    assert said in r.text
    assert client.get(f"{API}/requests", params={"direction": "sent"}).json() == []


def test_a_request_at_its_bounds_is_taken(client, world):
    r = client.post(f"{API}/requests", json=_request(
        world, summary="s" * MOST_LINE, description="d" * MOST_TEXT,
        victims=["v" * MOST_LINE] * MOST_LISTED))
    assert r.status_code == 201, r.text


def test_an_act_over_its_bound_is_refused(client, world):
    sent = client.post(f"{API}/requests", json=_request(world)).json()
    r = client.post(f"{API}/requests/{sent['id']}/status-reports",
                    headers=bearer(world.other_token), json={"text": "x" * (MOST_TEXT + 1)})
    assert r.status_code == 422 and "text" in r.text


def test_a_request_posted_over_taxii_over_a_bound_is_refused_naming_the_property(
        client, world):
    requests = Desk(world.node).collection()
    obj = {"type": "x-accord-request", "spec_version": "2.1",
           "id": f"x-accord-request--{uuid.uuid4()}", "created_by_ref": world.own.id,
           "created": "2026-12-01T00:00:00.000Z", "modified": "2026-12-01T00:00:00.000Z",
           "addressee_ref": world.other.id, "kind": "information", "category": "intrusion",
           "urgency": "priority", "summary": "x" * 100_000,
           "extensions": {EXTENSION_ID: {"extension_type": "new-sdo"}}}
    r = client.post(f"/taxii2/accord/collections/{requests.id}/objects/",
                    content=orjson.dumps({"objects": [obj]}),
                    headers={"Content-Type": TAXII})
    status = r.json()
    assert status["failure_count"] == 1, status
    message = status["failures"][0]["message"]
    assert "summary: 100,000 characters, more than the 300" in message


@pytest.mark.parametrize(("field", "value"), [
    ("aliases", ["a"] * (MOST_LISTED + 1)),
    ("aliases", ["x" * (MOST_LINE + 1)]),
    ("name", "x" * (MOST_LINE + 1)),
])
def test_a_designation_over_a_bound_is_refused(client, world, field, value):
    body = {"name": "Wang Dong", "kind": "individual", "legal_basis": "EO 13694",
            field: value}
    r = client.post(f"{API}/designations", json=body)
    assert r.status_code == 422, r.text
    assert field in r.text
    assert client.get(f"{API}/designations").json() == []
