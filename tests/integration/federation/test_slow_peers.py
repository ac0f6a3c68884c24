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
