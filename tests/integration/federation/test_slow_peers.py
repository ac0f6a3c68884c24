"""Every connection to another party's server ends within the answer's time, whatever the
server does with its socket: one that sends its status line and headers a byte at a time (each
byte well within any socket timeout), or accepts and says nothing, costs a sync round, a
hotline delivery or `peer add` its grace and no more (federation.answers)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import httpcore
import httpx
import pytest
import typer
from tests.integration.cooperation.test_desk import T0, Clock
from tests.integration.cooperation.test_hotline_delivery import _escalated
from tests.integration.federation.conftest import Federation

from accord.cli.peer_tls import published_node
from accord.cooperation.hotline import Hotline
from accord.federation import answers
from accord.federation.sync import SyncError, sync_peer
from accord.federation.transport import PeerLink

GRACE = 0.5
# Long enough that, without the answer's time, each test would fail by outlasting it.
SERVER_HOLDS = 8.0


def _serve(behave: str) -> Iterator[str]:
    """A server on loopback that reads each request and then, `behave`: "trickle" its
    headers a byte every 50 ms, or stay "silent"; for SERVER_HOLDS seconds at most."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def hold(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(SERVER_HOLDS)
            try:
                conn.recv(65536)
                until = time.monotonic() + SERVER_HOLDS
                head = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 10_000
                for byte in head:
                    if stop.is_set() or time.monotonic() > until:
                        return
                    if behave == "trickle":
                        conn.sendall(bytes([byte]))
                    time.sleep(0.05)
            except OSError:
                return

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:  # closed: the test is over
                return
            threading.Thread(target=hold, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    finally:
        stop.set()
        listener.close()


@pytest.fixture(params=["trickle", "silent"])
def slow_server(request, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(answers, "GRACE", GRACE)
    yield from _serve(request.param)


def _timed(call) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    try:
        call()
    except Exception as error:  # noqa: BLE001 - what it raised is the test's to check
        return time.monotonic() - started, error
    return time.monotonic() - started, None


def test_a_peer_answering_a_byte_at_a_time_or_not_at_all_ends_the_round(federation,
                                                                          slow_server):
    f: Federation = federation
    peer = replace(f.peer, url=slow_server, tls=None)
    took, raised = _timed(lambda: sync_peer(f.china, peer))  # its own transport: real sockets
    assert isinstance(raised, SyncError), raised
    assert "too slowly" in str(raised) and slow_server in str(raised)
    assert took < GRACE + 2, f"the round took {took:.1f} s"


def test_a_webhook_answering_a_byte_at_a_time_or_not_at_all_is_given_up_and_retried(
        world, slow_server):
    clock = Clock(T0)
    _escalated(world, clock, slow_server + "{party}/hotline")
    hotline = Hotline(world.node.engine, clock=clock)
    took, raised = _timed(lambda: hotline.deliver_due(clock()))
    assert raised is None
    assert took < 2 * (GRACE + 2), f"two deliveries took {took:.1f} s"
    log = hotline.log()
    assert len(log) == 2 and all(n.delivered is None and n.attempts == 1 for n in log)
    assert all("too slowly" in str(n.last_error) for n in log)


def test_peer_add_gives_up_on_a_server_answering_a_byte_at_a_time_or_not_at_all(
        slow_server, capsys):
    took, raised = _timed(lambda: published_node(PeerLink("slow", slow_server, None), "t"))
    assert isinstance(raised, typer.Exit) and raised.exit_code != 0
    said = " ".join(capsys.readouterr().err.split())
    assert f"{slow_server}api/v1/node had not answered whole" in said and "too slowly" in said
    assert took < GRACE + 2


def test_a_prompt_answer_through_the_same_transport_is_read_whole(monkeypatch):
    # The time grows with what arrives: a large answer at a good pace is not cut.
    monkeypatch.setattr(answers, "GRACE", GRACE)
    monkeypatch.setattr(answers, "MIN_RATE", 4 * 2**20)
    body = b"x" * (8 * 2**20)
    listener = socket.create_server(("127.0.0.1", 0))

    def answer() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body))
            for start in range(0, len(body), 2**20):
                conn.sendall(body[start:start + 2**20])
                time.sleep(0.1)  # 1 s in all: past the grace, within the pace

    threading.Thread(target=answer, daemon=True).start()
    with httpx.Client(transport=answers.TimedTransport(), timeout=5) as client:
        got = answers.fetch(client, "GET", f"http://127.0.0.1:{listener.getsockname()[1]}/")
    listener.close()
    assert got.status_code == 200 and got.content == body


def _one_answer(behave) -> tuple[str, socket.socket]:  # type: ignore[no-untyped-def]
    """A server on loopback that answers one connection as `behave(conn)` says."""
    listener = socket.create_server(("127.0.0.1", 0))

    def run() -> None:
        conn, _ = listener.accept()
        with conn:
            try:
                behave(conn)
            except OSError:
                return

    threading.Thread(target=run, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}/", listener


def test_informational_answers_without_end_earn_no_more_time_than_an_answer(monkeypatch):
    # 102 Processing, sent fast and for ever: each byte would earn time, were there no cap.
    monkeypatch.setattr(answers, "GRACE", GRACE)

    def processing(conn: socket.socket) -> None:
        conn.recv(65536)
        until = time.monotonic() + SERVER_HOLDS
        while time.monotonic() < until:
            conn.sendall(b"HTTP/1.1 102 Processing\r\n\r\n" * 1000)
            time.sleep(0.01)

    url, listener = _one_answer(processing)
    with httpx.Client(transport=answers.TimedTransport(), timeout=5) as client:
        took, raised = _timed(lambda: answers.fetch(client, "GET", url, most_bytes=1000))
    listener.close()
    assert isinstance(raised, answers.AnswerRefused) and "too slowly" in str(raised), raised
    assert took < GRACE + 2, f"took {took:.1f} s"


def test_a_large_request_body_read_at_a_good_pace_earns_its_time(monkeypatch):
    # What is sent counts as what is received does: a 4 MiB push read at 2 MiB/s, past the
    # grace, is answered, and the answer read.
    monkeypatch.setattr(answers, "GRACE", GRACE)
    monkeypatch.setattr(answers, "MIN_RATE", 2**20)
    body = b"y" * (4 * 2**20)

    def slow_reader(conn: socket.socket) -> None:
        got = 0
        while got < len(body):
            chunk = conn.recv(256 * 1024)
            if not chunk:
                return
            got += len(chunk)
            time.sleep(0.125)  # 256 KiB every 1/8 s: 2 MiB/s
        conn.sendall(b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}")

    url, listener = _one_answer(slow_reader)
    with httpx.Client(transport=answers.TimedTransport(), timeout=5) as client:
        got = answers.fetch(client, "POST", url, content=body)
    listener.close()
    assert got.status_code == 202 and got.content == b"{}"


def test_a_name_of_many_unanswering_addresses_costs_the_answers_time_not_one_wait_each(
        monkeypatch):
    monkeypatch.setattr(answers, "GRACE", GRACE)
    monkeypatch.setattr(answers.socket, "getaddrinfo", lambda host, port, **_: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", (f"192.0.2.{n}", port))
        for n in range(1, 21)])
    tried: list[tuple[str, float | None]] = []

    class Unanswering(httpcore.NetworkBackend):
        def connect_tcp(self, host, port, timeout=None, local_address=None,  # type: ignore[no-untyped-def]
                        socket_options=None):
            tried.append((host, timeout))
            time.sleep(min(timeout or 0, 0.2))
            raise httpcore.ConnectTimeout("no answer")

    backend = answers._TimedBackend(Unanswering())
    started = time.monotonic()
    with answers._timed(0), pytest.raises(httpcore.ConnectTimeout):
        backend.connect_tcp("many.example", 443, timeout=30.0)
    assert time.monotonic() - started < GRACE + 1
    # In order, each within what was left of the answer's time, at most four of the twenty.
    assert 1 <= len(tried) <= 4
    assert [host for host, _ in tried] == [f"192.0.2.{n}" for n in range(1, len(tried) + 1)]
    waits = [wait for _, wait in tried]
    assert all(wait is not None and wait <= GRACE for wait in waits)
    assert waits == sorted(waits, reverse=True)
