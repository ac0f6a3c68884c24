"""schemathesis against the REST API's own OpenAPI description, on SQLite and PostgreSQL.

Every operation gets requests that fit the description (positive) and requests that do not
(negative); no answer may be a 5xx, or have a status, a media type, headers or a body the
description does not give. Schema-valid data may be refused only for a reason the mechanism
has (400 with the reason, 403, 404, 409), never by the API's own validation (422): that is what
a closed vocabulary missing from the description did. Bounded: a few hundred requests per run.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.python.asgi import shutdown_lifespans
from starlette.testclient import TestClient
from tests.integration.cooperation.test_api import EVIDENCE

from accord.app import create_app
from accord.serving.refusals import RefusalLimits, Refusals
from accord.serving.throttle import ThrottleLimits

API = "/api/v1"
EXAMPLES = 8  # per operation and mode: ~300 requests a run


def _existing(app: Any, world: Any) -> dict[str, str]:
    """A request, a claim and a designation, so that generated calls also reach real ones."""
    world.node.objects.add(world.evidence.id, [EVIDENCE], poster_id=world.own.id)
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {world.admin_token}"
        request = client.post(f"{API}/requests", json={
            "to": world.other.name, "kind": "information", "category": "intrusion",
            "urgency": "routine", "summary": "Who runs 198.51.100.7?",
            "evidence": [EVIDENCE["id"]]}).json()
        claim = client.post(f"{API}/claims", json={
            "subject": request["id"], "sponsor": "KP", "basis": ["technical-forensics"],
            "confidence": 40, "summary": "Infrastructure overlaps"}).json()
        designation = client.post(f"{API}/designations", json={
            "name": "Example Front Ltd", "kind": "organization",
            "legal_basis": "Regulation 1/2026"}).json()
    return {"request_id": request["id"], "subject": request["id"], "object_id": request["id"],
            "claim_id": claim["id"], "designation_id": designation["id"]}


def _sometimes_real(case: Any, data: st.DataObject, real: dict[str, str],
                    party: str) -> None:
    """Half the time, name what exists: random ids alone would only ever meet a 404. And
    half the time a key of the form clients give (a UUID) where the operation takes an
    `Idempotency-Key`: a string drawn at random is mostly one it refuses (a 400 naming the
    header), which would keep the run from ever making anything."""
    headers = case.headers or {}
    if "Idempotency-Key" in headers and data.draw(st.booleans()):
        headers["Idempotency-Key"] = str(uuid.UUID(int=data.draw(st.integers(0, 2**128 - 1))))
    for name in list(case.path_parameters or {}):
        if name in real and data.draw(st.booleans()):
            case.path_parameters[name] = real[name]
    if isinstance(case.body, dict) and data.draw(st.booleans()):
        if "to" in case.body:
            case.body.update(to=party, evidence=[EVIDENCE["id"]])
        if "subject" in case.body:
            case.body["subject"] = real["subject"]


@pytest.mark.parametrize("mode", list(GenerationMode))
def test_every_operation_answers_as_its_description_says(world, mode):
    # Schemathesis sends every operation without and with a wrong token, hundreds of times from
    # one address: unthrottled here, so that each is answered 401 as described (the throttle's
    # 429 is tested in tests/integration/trust/test_failed_authentication.py).
    world.node.refusals = Refusals(RefusalLimits(ThrottleLimits(burst=1_000_000)),
                                   world.node.reads.record)
    app = create_app(world.node)
    real = _existing(app, world)
    config = SchemathesisConfig.from_dict({
        "auth": {"openapi": {"bearer": {"bearer": world.admin_token}}},
        "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", 400, 403, 404,
                                                                      409]}},
    })
    schema = schemathesis.openapi.from_asgi(f"{API}/openapi.json", app, config=config)
    failures: list[str] = []
    statuses: set[int] = set()
    try:
        for result in schema.get_all_operations():
            operation = result.ok()

            @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def check(case: Any, data: st.DataObject) -> None:
                if mode is GenerationMode.POSITIVE:
                    _sometimes_real(case, data, real, world.other.name)
                statuses.add(case.call_and_validate().status_code)

            try:
                check()
            except Unsatisfiable:  # no parameters and no body: nothing to make invalid
                continue
            except BaseException as error:  # noqa: B036 (schemathesis raises a group)
                failures.append(f"{operation.label}: {error!s:.2000}")
    finally:
        shutdown_lifespans()  # the app's own: its audit buffer's thread
    assert not failures, "\n\n".join(failures)
    # The run reached past the door: real objects were read and acted on.
    assert ({200, 201} <= statuses if mode is GenerationMode.POSITIVE else 422 in statuses), \
        sorted(statuses)
