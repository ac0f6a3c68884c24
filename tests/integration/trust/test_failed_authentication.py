"""Failed authentications on every interface: audited without the secret, throttled per source
with 429 and Retry-After, a valid token still served, and the same work whatever is wrong."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, select
from starlette.testclient import TestClient

import accord.store.web_tables  # noqa: F401  (the web UI's tables, scanned too)
from accord.app import create_app
from accord.node import Node, open_node
from accord.store.audit_log import AuditQuery
from accord.store.schema import metadata
from accord.trust.audit import verify

TAXII = "application/taxii+json;version=2.1"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
BURST = 5
# A wrong token as a guesser would send it: the node must keep no part of it.
GUESS = "accord_Gu3ssW0rkNeverStoredAnywhere-9f8e7d6c5b4a3210zyx"


@pytest.fixture
def guarded(world: Any, db_url: str) -> Iterator[Node]:
    """The world's node, opened again with a small allowance of failed authentications."""
    world.node.directory.set_setting("auth_failures", str(BURST))
    world.node.directory.set_setting("auth_failure_refill", "3600")
    node = open_node(db_url)
    try:
        yield node
    finally:
        node.engine.dispose()


@pytest.fixture
def app_client(guarded: Node) -> Iterator[TestClient]:
    with TestClient(create_app(guarded), base_url="http://testserver") as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": TAXII}


def basic(user_and_password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(user_and_password.encode()).decode()}


def refused_records(node: Node) -> list[Any]:
    node.reads.flush()
    return [r for r in node.audit.query(AuditQuery(limit=1000))
            if r.event.action.startswith("auth.")]


def test_taxii_answers_429_with_retry_after_once_a_source_has_failed_too_often(app_client,
                                                                              world):
    for n in range(BURST):
        r = app_client.get("/taxii2/", headers=bearer(f"{GUESS}{n}"))
        assert r.status_code == 401, n
    throttled = app_client.get("/taxii2/", headers=bearer(GUESS))
    assert throttled.status_code == 429
    assert throttled.headers["content-type"] == TAXII
    assert throttled.json()["http_status"] == "429"
    assert int(throttled.headers["retry-after"]) > 0
    assert "too many failed authentications" in throttled.json()["description"]
    # The holder of a valid token at the same address is served as before.
    served = app_client.get("/taxii2/accord/collections/", headers=bearer(world.admin_token))
    assert served.status_code == 200
    # Every interface shares the source's allowance: the REST API answers 429 too, in JSON.
    api = app_client.get("/api/v1/lookup", params={"value": "x"}, headers=bearer(GUESS))
    assert api.status_code == 429 and int(api.headers["retry-after"]) > 0
    assert api.json()["status"] == 429
    ok = app_client.get("/api/v1/lookup", params={"value": "x"},
                        headers=bearer(world.other_token))
    assert ok.status_code == 200


def test_each_failure_is_audited_with_its_source_and_credential_form_and_no_secret(
        app_client, guarded, world, db_url):
    attempts = [
        ({"Accept": TAXII}, "none"),
        (bearer(GUESS), "bearer"),
        ({"Authorization": f"Token {GUESS}"}, "token"),
        (basic(f"someone:{GUESS}"), "basic"),
        ({"Authorization": f"Digest {GUESS}"}, "malformed"),
    ]
    for headers, _form in attempts:
        assert app_client.get("/taxii2/accord/collections/", headers=headers).status_code == 401
    records = refused_records(guarded)
    assert [r.event.action for r in records] == ["auth.refused"] * len(attempts)
    details = [r.event.detail for r in reversed(records)]
    assert [d["form"] for d in details] == [form for _h, form in attempts]
    assert {d["source"] for d in details} == {"testclient"}
    assert {d["via"] for d in details} == {"taxii"}
    assert {d["path"] for d in details} == {"/taxii2/accord/collections/"}
    assert all(r.event.party_id is None and r.event.token_id is None for r in records)
    # Throttled attempts are counted, per source, in one record.
    for _ in range(50):
        assert app_client.get("/taxii2/", headers=bearer(GUESS)).status_code == 429
    [summary] = [r for r in refused_records(guarded) if r.event.action == "auth.throttled"]
    assert summary.event.detail["source"] == "testclient"
    assert summary.event.detail["throttled"] == 50
    assert summary.event.detail["forms"] == {"bearer": 50}
    assert verify(guarded.audit.records()).is_intact
    assert_nowhere_in_the_database(guarded, GUESS)


def assert_nowhere_in_the_database(node: Node, secret: str) -> None:
    """No part of the secret (past the public prefix), nor its digest, in any table."""
    random_part = secret.removeprefix("accord_")
    pieces = {random_part[i:i + 8] for i in range(0, len(random_part) - 8)}
    pieces.add(hashlib.sha256(secret.encode()).hexdigest())
    with node.engine.connect() as conn:
        for table in metadata.sorted_tables:
            text = repr(conn.execute(select(table)).all())
            found = [p for p in pieces if p in text]
            assert not found, f"table {table.name} holds {found}"


def test_the_web_sign_in_is_throttled_but_a_valid_token_still_signs_in(app_client, guarded,
                                                                      world):
    def sign_in(token: str) -> Any:
        form = app_client.get("/ui/sign-in")
        nonce = CSRF.search(form.text)
        assert nonce is not None
        return app_client.post("/ui/sign-in", data={"csrf": nonce.group(1), "token": token,
                                                    "next": "/ui/"}, follow_redirects=False)

    for _ in range(BURST):
        assert sign_in(GUESS).status_code == 401
    throttled = sign_in(GUESS)
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 0
    assert "text/html" in throttled.headers["content-type"]
    assert "Too many failed sign-ins" in throttled.text and GUESS not in throttled.text
    signed = sign_in(world.other_token)
    assert signed.status_code == 303 and signed.headers["location"] == "/ui/"
    details = [r.event.detail for r in refused_records(guarded)
               if r.event.action == "auth.refused"]
    assert {(d["form"], d["via"], d["path"]) for d in details} == {("sign-in", "ui",
                                                                   "/ui/sign-in")}
    assert_nowhere_in_the_database(guarded, GUESS)


def test_a_session_cookie_that_opens_nothing_is_a_failed_authentication(app_client, guarded):
    app_client.cookies.set("accord_session", GUESS, path="/ui/")
    page = app_client.get("/ui/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/ui/sign-in")
    [record] = refused_records(guarded)
    assert record.event.detail["form"] == "session" and record.event.detail["via"] == "ui"
    assert_nowhere_in_the_database(guarded, GUESS)


class Work:
    """SQL statements executed and SHA-256 hashes computed while it is entered."""

    def __init__(self, node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
        self.statements = self.hashes = 0
        self.counting = False
        real = hashlib.sha256

        def counted(*args: Any, **kwargs: Any) -> Any:
            if self.counting:
                self.hashes += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(hashlib, "sha256", counted)

        @event.listens_for(node.engine, "before_cursor_execute")
        def statement(*_args: Any) -> None:
            if self.counting:
                self.statements += 1

    def __enter__(self) -> Work:
        self.statements = self.hashes = 0
        self.counting = True
        return self

    def __exit__(self, *_exc: object) -> None:
        self.counting = False


def bad_credentials(node: Node, world: Any) -> dict[str, dict[str, str]]:
    directory = node.directory
    expired = directory.create_token(world.own, role="reader",
                                     expires="2001-01-01T00:00:00.000000Z")
    revoked = directory.create_token(world.own, role="reader")
    directory.revoke_token(directory.tokens()[-1].id)
    return {
        "none": {},
        "unknown": {"Authorization": f"Bearer {GUESS}"},
        "expired": {"Authorization": f"Bearer {expired}"},
        "revoked": {"Authorization": f"Bearer {revoked}"},
        "malformed base64": {"Authorization": "Basic !!!not base64"},
        "basic without a password": basic("someone:"),
        "empty bearer": {"Authorization": "Bearer "},
        "wrong scheme": {"Authorization": f"Digest {GUESS}"},
        "unknown as basic": basic(f"someone:{GUESS}"),
    }


@pytest.mark.parametrize("path", ["/taxii2/", "/api/v1/lookup?value=x"])
def test_every_kind_of_bad_token_costs_the_same_work(guarded, world, monkeypatch, path):
    # No lifespan: no background flush runs SQL of its own while statements are counted.
    client = TestClient(create_app(guarded), base_url="http://testserver")
    work = Work(guarded, monkeypatch)
    spent, answers = {}, set()
    # Twice over: the first BURST refused with 401, the rest, throttled, with 429.
    for round_ in (1, 2):
        for kind, headers in bad_credentials(guarded, world).items():
            with work:
                status = client.get(path, headers={"Accept": TAXII, **headers}).status_code
            answers.add(status)
            spent[f"{kind} ({round_}, {status})"] = (work.statements, work.hashes)
    assert answers == {401, 429}
    assert len(set(spent.values())) == 1, spent
    statements, hashes = next(iter(spent.values()))
    assert statements == 1 and hashes == 1, spent  # always hash, always one query


def test_every_kind_of_bad_web_sign_in_costs_the_same_work(guarded, world, monkeypatch):
    client = TestClient(create_app(guarded), base_url="http://testserver")
    work = Work(guarded, monkeypatch)
    tokens = {kind: headers.get("Authorization", "").partition(" ")[2]
              for kind, headers in bad_credentials(guarded, world).items()
              if kind in ("unknown", "expired", "revoked", "empty bearer")}
    tokens["spaces"] = "   "
    spent, answers = {}, set()
    for round_, (kind, token) in enumerate([*tokens.items(), *tokens.items()]):
        nonce = CSRF.search(client.get("/ui/sign-in").text)
        assert nonce is not None
        with work:
            status = client.post("/ui/sign-in", data={"csrf": nonce.group(1), "token": token},
                                 follow_redirects=False).status_code
        answers.add(status)
        spent[f"{kind} ({round_}, {status})"] = (work.statements, work.hashes)
    assert answers == {401, 429}
    assert len(set(spent.values())) == 1, spent


def test_addresses_rotating_through_ipv6_leave_the_table_bounded(world, db_url):
    world.node.directory.set_setting("auth_failures", "2")
    world.node.directory.set_setting("auth_sources", "50")
    node = open_node(db_url)
    app = create_app(node)
    try:
        def failed_from(address: str) -> int:
            client = TestClient(app, base_url="http://testserver", client=(address, 40000))
            return client.get("/api/v1/lookup", params={"value": "x"},
                              headers=bearer(GUESS)).status_code

        # Within one /64 (what one host usually holds) rotating gains nothing.
        assert [failed_from(f"2001:db8:0:1::{n:x}") for n in range(1, 6)] == [401, 401, 429,
                                                                              429, 429]
        # Across /64s each is a new source, but the table keeps at most 50 of them.
        assert {failed_from(f"2001:db8:{n:x}::1") for n in range(2, 300)} == {401}
        assert len(node.refusals.throttle) == 50
        node.reads.flush()
        paths = {r.event.detail.get("path") for r in node.audit.query(AuditQuery(
            action="auth.refused", limit=5))}
        assert paths == {"/api/v1/lookup"}
    finally:
        node.engine.dispose()
