"""A database that is full or away is answered as such on every surface — TAXII (its JSON
error), the REST API and the web UI — with 507 or 503, never a 500 or a traceback."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.exc import OperationalError

from accord.store.directory import Directory
from accord.store.sessions import Sessions

GONE = OperationalError("SELECT …", {}, psycopg.OperationalError(
    "connection failed: connection to server at \"127.0.0.1\", port 5432 failed: Connection "
    "refused"))
FULL = OperationalError("INSERT …", {}, psycopg.errors.DiskFull(
    "could not extend file \"base/16384/16402\": No space left on device"))


@pytest.fixture(params=[(GONE, 503), (FULL, 507)], ids=["away", "full"])
def failing(request, monkeypatch):  # type: ignore[no-untyped-def]
    error, status = request.param

    def fail(*_args: object, **_kwargs: object) -> None:
        raise error

    # Every authenticated request looks its token up first.
    monkeypatch.setattr(Directory, "principal", fail)
    monkeypatch.setattr(Directory, "principal_by_token_id", fail)
    monkeypatch.setattr(Sessions, "find", fail)
    return status


def test_taxii_answers_the_fault_in_taxii_json(client, failing, caplog):
    answer = client.get("/taxii2/accord/collections/")
    assert answer.status_code == failing
    assert answer.headers["content-type"].startswith("application/taxii+json")
    body = answer.json()
    assert body["http_status"] == str(failing) and "nothing of this request" in \
        body["description"]
    assert ("Retry-After" in answer.headers) is (failing == 503)
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


def test_the_rest_api_answers_the_fault_in_json(client, failing, caplog):
    answer = client.get("/api/v1/lookup", params={"value": "198.51.100.7"})
    assert answer.status_code == failing
    assert answer.json()["status"] == failing
    assert not [r for r in caplog.records if r.exc_info]


def test_the_web_ui_answers_the_fault_in_a_page(client, failing, caplog):
    client.cookies.set("accord_session", "anything")
    answer = client.get("/ui/requests")
    assert answer.status_code == failing
    assert "text/html" in answer.headers["content-type"]
    assert "Try again" in answer.text or "administrator" in answer.text
    assert not [r for r in caplog.records if r.exc_info]
