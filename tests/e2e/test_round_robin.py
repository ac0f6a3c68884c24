"""The test proxy that puts one address in front of several `accord serve` processes
(ACCORD_TEST_SERVERS): each request, not each connection, goes to the next server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from tests.e2e.round_robin import round_robin


class _Named(BaseHTTPRequestHandler):
    """Answers every request with the server's name and the body it was sent."""

    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        sent = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = self.server.name.encode() + b":" + sent  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_HEAD = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def three_servers() -> Iterator[list[tuple[str, int]]]:
    with ExitStack() as stack:
        addresses = []
        for name in ("a", "b", "c"):
            server = ThreadingHTTPServer(("127.0.0.1", 0), _Named)
            server.name = name  # type: ignore[attr-defined]
            threading.Thread(target=server.serve_forever, daemon=True).start()
            stack.callback(server.server_close)
            stack.callback(server.shutdown)
            addresses.append(("127.0.0.1", int(server.server_address[1])))
        yield addresses


def test_requests_on_one_kept_alive_connection_go_to_each_server_in_turn(three_servers):
    with round_robin(three_servers) as (port, rotation), \
            httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        answers = [client.get("/").text for _ in range(6)]
        posted = client.post("/", content=b"x" * 200_000)
        head = client.head("/")
    assert answers == ["a:", "b:", "c:", "a:", "b:", "c:"]
    assert posted.content == b"a:" + b"x" * 200_000
    assert (head.status_code, head.content) == (200, b"")
    assert sorted(rotation.served.values()) == [2, 3, 3]


def test_a_server_that_is_down_is_answered_502(three_servers):
    with round_robin([("127.0.0.1", 1)]) as (port, _):
        answer = httpx.get(f"http://127.0.0.1:{port}/")
    assert answer.status_code == 502
