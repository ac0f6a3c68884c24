"""The REST API's OpenAPI description says what the API does: how to authenticate, every error
with its body, every closed vocabulary; and the API refuses what no operation can mean."""

from __future__ import annotations

import base64

import pytest

from accord.api.problems import UNROUTED
from accord.attribution.model import BASES, DESIGNATION_KINDS, POSITIONS
from accord.cooperation.model import (
    CATEGORIES,
    ESCALATION_REASONS,
    KINDS,
    OUTCOMES,
    STATES,
    URGENCIES,
)

API = "/api/v1"
PUBLIC = {"/extension-definition", "/schemas/cooperation-v1.json", "/schemas/attribution-v1.json"}
PROBLEM = {"$ref": "#/components/schemas/Problem"}


@pytest.fixture
def spec(client):
    return client.get(f"{API}/openapi.json").json()


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_operation_but_the_public_ones_takes_a_bearer_or_basic_token(spec):
    schemes = spec["components"]["securitySchemes"]
    assert {name: (s["type"], s["scheme"]) for name, s in schemes.items()} == {
        "bearer": ("http", "bearer"), "basic": ("http", "basic")}
    for path, method, operation in operations(spec):
        if path in PUBLIC:
            assert "security" not in operation, path
        else:
            assert operation["security"] == [{"bearer": []}, {"basic": []}], (method, path)


# Operations on an id that answer what the caller may read of it, the same whether it exists
# or not (no sightings; "no party attributes this activity"): their 404 is only the router's.
SAME_WHETHER_OR_NOT = {"/objects/{object_id}/sightings", "/attribution/{subject}"}


def test_every_error_an_operation_may_answer_is_documented_with_its_body(spec):
    for path, method, operation in operations(spec):
        responses = operation["responses"]
        errors = {status for status in responses if status.startswith("4")}
        if path not in PUBLIC:
            assert "401" in errors and "WWW-Authenticate" in responses["401"]["headers"]
        if "{" in path:
            assert "404" in errors, (method, path)
            said = responses["404"]["description"]
            assert (said == UNROUTED) == (path in SAME_WHETHER_OR_NOT), (method, path)
        if method == "post":
            assert {"400", "422"} <= errors, (method, path)
        for status in errors:
            content = responses[status]["content"]["application/json"]
            assert content["schema"] == PROBLEM, (method, path, status)


def test_the_closed_vocabularies_are_enums_drawn_from_the_domain(spec):
    schemas = spec["components"]["schemas"]

    def enum(schema):
        schema = schema.get("items", schema)
        for option in schema.get("anyOf", [schema]):
            if "enum" in option:
                return option["enum"]
        raise AssertionError(f"no enum in {schema}")

    request = schemas["RequestIn"]["properties"]
    assert enum(request["kind"]) == list(KINDS)
    assert enum(request["category"]) == list(CATEGORIES)
    assert enum(request["urgency"]) == list(URGENCIES)
    assert enum(schemas["ResponseIn"]["properties"]["outcome"]) == list(OUTCOMES)
    assert enum(schemas["EscalationIn"]["properties"]["reason"]) == list(ESCALATION_REASONS)
    assert enum(schemas["PositionIn"]["properties"]["position"]) == list(POSITIONS)
    assert enum(schemas["ClaimIn"]["properties"]["basis"]) == list(BASES)
    assert enum(schemas["DesignationIn"]["properties"]["kind"]) == list(DESIGNATION_KINDS)
    listing = {p["name"]: p["schema"] for p in spec["paths"]["/requests"]["get"]["parameters"]}
    assert enum(listing["state"]) == list(STATES)
    assert enum(listing["category"]) == list(CATEGORIES)


def test_a_token_as_the_password_of_http_basic_is_accepted(client, world):
    basic = base64.b64encode(f"any label:{world.admin_token}".encode()).decode()
    answered = client.get(f"{API}/node", headers={"Authorization": f"Basic {basic}"})
    assert answered.status_code == 200
    refused = client.get(f"{API}/node", headers={"Authorization": "Basic !!"})
    assert refused.status_code == 401 and refused.json()["status"] == 401
    assert "Basic" in refused.headers["WWW-Authenticate"]


def test_a_refused_body_says_where_in_the_problem_shape(client, world):
    r = client.post(f"{API}/requests", json={"to": world.other.name, "kind": "gossip",
                                             "category": "intrusion", "urgency": "routine",
                                             "summary": "x"})
    assert r.status_code == 422
    body = r.json()
    assert body["status"] == 422 and body["title"].startswith("body.kind: ")
    assert body["errors"][0]["where"] == "body.kind"


@pytest.mark.parametrize(("method", "path", "body", "where"), [
    # On PostgreSQL each of these was a 500: no text column holds a NUL.
    ("GET", "/lookup?value=%00", None, "query.value"),
    ("GET", "/screen?name=a%00b", None, "query.name"),
    ("GET", "/requests/x-accord-request--%00", None, "path.request_id"),
    ("GET", "/claims?subject=%00", None, "query.subject"),
    ("POST", "/screen", {"names": ["ok", "a\x00b"]}, "body.names.1"),
    # Which of two values counts would be a guess.
    ("GET", "/requests?state=answered&state=closed", None, "query.state"),
    ("GET", "/lookup?value=198.51.100.7&value=198.51.100.8", None, "query.value"),
])
def test_what_no_operation_can_mean_is_refused_with_where(client, method, path, body, where):
    r = client.request(method, API + path, json=body)
    assert r.status_code == 400, r.text
    assert [e["where"] for e in r.json()["errors"]] == [where]


@pytest.mark.parametrize(("content", "where"), [
    # Before any token is read: a body of 600 brackets overflowed the NUL check's recursion.
    (b"[" * 600 + b"]" * 600, "body" + ".0" * 32),
    (b"[" * 5000 + b"]" * 5000, None),  # past what the parser reads: FastAPI's own 400
    (b'{"names": ["a"], "names": ["b"]}', "body.names"),
    (b'{"names": ["a"], "x\\u0000": 1}', "body.x\\0"),  # a JSON \u0000 in a key
])
def test_a_body_no_operation_can_mean_is_refused_before_its_token_is_read(client, content,
                                                                           where):
    r = client.request("POST", f"{API}/screen", content=content,
                       headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert where is None or [e["where"] for e in r.json()["errors"]] == [where]
    client.headers.pop("Authorization")
    anonymous = client.request("POST", f"{API}/screen", content=content,
                               headers={"Content-Type": "application/json"})
    assert anonymous.status_code in (400, 401), anonymous.text  # never a 500


def test_a_claims_basis_names_each_word_once_and_its_actors_are_bounded(client, world):
    body = {"subject": "campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "confidence": 50,
            "summary": "x", "attributed_to": ["intrusion-set--1"], "basis": ["intelligence"]}
    many = client.post(f"{API}/claims", json={**body, "basis": ["intelligence"] * 500_000})
    assert many.status_code == 422 and many.json()["errors"][0]["where"] == "body.basis"
    actors = client.post(f"{API}/claims", json={**body, "attributed_to": ["x"] * 100_000})
    assert actors.status_code == 422
    assert actors.json()["errors"][0]["where"] == "body.attributed_to"


def test_a_batch_of_names_past_the_screening_budget_is_refused_naming_it(client):
    """10,000 names of 500 characters would hold a worker for minutes; 10,000 short ones fit."""
    r = client.post(f"{API}/screen", json={"names": ["王" * 500] * 1000})
    assert r.status_code == 422, r.text
    problem = r.json()
    assert [e["where"] for e in problem["errors"]] == ["body.names"]
    assert "10,000,000 characters in all" in r.text and "several batches" in r.text
    assert "a character of Chinese script as 20" in r.text
    # Screening a character of Chinese script costs about twenty times a Latin letter's (800
    # names of 500 took 14 s): it counts so. Short Chinese names still fit by the thousand.
    assert client.post(f"{API}/screen", json={"names": ["行重长乐单曾解朴查盖" * 50] * 800}
                       ).status_code == 422
    assert client.post(f"{API}/screen", json={"names": ["王东"] * 5_000}).status_code == 200
    assert client.post(f"{API}/screen", json={"names": ["Wang Dong"] * 10_000}
                       ).status_code == 200
    # A name that gives eight is screened eight times, and counts so.
    eight = " / ".join(f"Wang Dong {word}" for word in (
        "Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel"))
    assert client.post(f"{API}/screen", json={"names": [eight] * 400}).status_code == 422
    assert client.post(f"{API}/screen", json={"names": ["x" * len(eight)] * 400}
                       ).status_code == 200


def test_a_path_the_api_cannot_route_answers_in_the_api_shape(client):
    r = client.get(f"{API}/objects/a%0Ab/sightings")
    assert r.status_code == 404 and r.json()["status"] == 404
