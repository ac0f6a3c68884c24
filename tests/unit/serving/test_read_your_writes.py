"""serving.read_your_writes: which requests read from the replica, and a writer's position."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient
from tests.unit.store.test_replica import one_row_database

from accord.serving.read_your_writes import (
    COOKIE,
    ReadYourWrites,
    client_of,
    cookie_position,
    position_cookie,
)
from accord.store.engine import writing
from accord.store.replica import ReplicatedEngine, format_lsn, parse_lsn
from accord.store.schema import write_positions


class FakeReplication(ReplicatedEngine):
    """Two SQLite files standing for a primary and its replica, with WAL positions set by the
    test: the primary's grows with each write; the replica has replayed `replayed`."""

    def __init__(self, primary: Engine, replica: Engine) -> None:
        super().__init__(primary, replica)
        self.position = parse_lsn("0/1000")
        self.replayed = parse_lsn("0/1000")
        self.reachable = True
        self.asked = 0
        self.on_connection: int | None = None  # what a connection's own check finds

    def primary_position(self) -> int:
        return self.position

    def has_replayed(self, lsn: int) -> bool | None:
        self.asked += 1
        if not self.reachable:
            return None
        return self.replayed >= lsn

    def replayed_on(self, conn: Connection) -> int:
        return self.on_connection if self.on_connection is not None else self.replayed


@pytest.fixture
def engine(tmp_path: Path) -> FakeReplication:
    primary = one_row_database(tmp_path, "primary")
    write_positions.create(primary)  # what migration 0024 makes
    return FakeReplication(primary, one_row_database(tmp_path, "replica"))


@pytest.fixture
def client(engine: FakeReplication) -> TestClient:
    def read(_request: Request) -> PlainTextResponse:
        with engine.connect() as conn:
            name = conn.execute(text("SELECT name FROM who LIMIT 1")).scalar_one()
        return PlainTextResponse(name)

    def write(_request: Request) -> PlainTextResponse:
        with writing(engine) as conn:
            conn.execute(text("INSERT INTO who VALUES ('more')"))
        engine.position += 0x100
        return PlainTextResponse("written")

    def write_nothing(_request: Request) -> PlainTextResponse:
        return PlainTextResponse("nothing")

    app = Starlette(routes=[Route("/read", read), Route("/write", write, methods=["POST"]),
                            Route("/noop", write_nothing, methods=["POST"])])
    return TestClient(ReadYourWrites(app, engine, wait=0.05, poll=0.01))


TOKEN = {"Authorization": "Bearer writer"}
OTHER = {"Authorization": "Bearer reader"}


def test_a_read_only_request_reads_from_the_replica(client: TestClient):
    assert client.get("/read").text == "replica"
    assert client.post("/noop").text == "nothing"
    assert COOKIE not in client.cookies  # wrote nothing: nothing to wait for


def test_a_writer_reads_from_the_primary_until_the_replica_has_its_write(
        client: TestClient, engine: FakeReplication):
    written = client.post("/write", headers=TOKEN)
    assert written.cookies[COOKIE] == "0/1100"
    client.cookies.clear()  # an API client that keeps no cookies: its token is remembered
    assert client.get("/read", headers=TOKEN).text == "primary"  # after a bounded wait
    assert engine.asked > 1  # it waited, asking again
    assert client.get("/read", headers=OTHER).text == "replica"  # others are not held up
    engine.replayed = engine.position
    assert client.get("/read", headers=TOKEN).text == "replica"


def test_the_cookie_carries_the_position_to_any_client(
        client: TestClient, engine: FakeReplication):
    client.post("/write")
    assert client.get("/read").text == "primary"  # the cookie came back with the request
    client.cookies.clear()
    assert client.get("/read").text == "replica"
    engine.replayed = engine.position
    client.cookies.set(COOKIE, format_lsn(engine.position))
    assert client.get("/read").text == "replica"


def test_a_replica_that_does_not_answer_sends_a_writers_reads_to_the_primary(
        client: TestClient, engine: FakeReplication):
    client.post("/write", headers=TOKEN)
    engine.reachable = False
    engine.asked = 0
    assert client.get("/read", headers=TOKEN).text == "primary"
    assert engine.asked == 1  # no waiting for a replica that is away


def test_a_mangled_cookie_is_no_position(client: TestClient):
    client.cookies.set(COOKIE, "not-a-position")
    assert client.get("/read").text == "replica"


def test_a_writers_position_is_kept_in_the_primary_for_every_host(
        client: TestClient, engine: FakeReplication):
    """Another host (another middleware, its own process) on the same primary knows it."""
    client.post("/write", headers=TOKEN)
    client.cookies.clear()
    other_host = TestClient(ReadYourWrites(client.app.app, engine, wait=0.05, poll=0.01))  # type: ignore[attr-defined]
    assert other_host.get("/read", headers=TOKEN).text == "primary"
    assert other_host.get("/read", headers=OTHER).text == "replica"
    engine.replayed = engine.position
    assert other_host.get("/read", headers=TOKEN).text == "replica"


def test_a_read_without_a_credential_asks_the_primary_nothing(
        client: TestClient, engine: FakeReplication):
    asked = []
    client.app.positions.after = asked.append  # type: ignore[attr-defined]
    assert client.get("/read").text == "replica" and asked == []
    engine.reachable = False
    engine.replica_failed(RuntimeError("away"))  # while the replica is away: nor then
    assert client.get("/read", headers=TOKEN).text == "primary" and asked == []


def test_the_cookie_and_the_client_key():
    cookie = position_cookie(parse_lsn("16/B374D848"), secure=True)
    assert cookie.startswith(f"{COOKIE}=16/B374D848")
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    assert cookie_position([(b"cookie", b"x=1; accord_lsn=16/B374D848")]) == parse_lsn(
        "16/B374D848")
    assert cookie_position([(b"cookie", b"x=1")]) == 0
    assert client_of([(b"authorization", b"Bearer t")]) != client_of(
        [(b"authorization", b"Bearer u")])
    assert client_of([(b"accept", b"*/*")]) is None


def test_a_replica_connection_behind_the_writer_is_not_used(
        client: TestClient, engine: FakeReplication):
    """Behind a balancer, --read-db may be several replicas: the one a connection reaches may
    be behind the one that was asked."""
    client.post("/write", headers=TOKEN)
    engine.replayed = engine.position
    engine.on_connection = engine.position - 1
    assert client.get("/read", headers=TOKEN).text == "primary"
    engine.on_connection = engine.position
    assert client.get("/read", headers=TOKEN).text == "replica"
