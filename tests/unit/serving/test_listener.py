"""The guarded protocol, driven through uvicorn's own machinery with a transport in memory.

These tests are also the canary for the uvicorn internals the protocol is built on (its
callbacks, timers, request cycles and server state): if a uvicorn release moves them, they
fail here before a node is exposed.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httptools
import orjson
import pytest
import uvloop
from tests.tls_fixtures import self_signed
from uvicorn.config import Config
from uvicorn.server import ServerState

from accord.serving.limits import LONGEST_URL, KiB, Limits
from accord.serving.listener import GuardedHttpProtocol, _tls_protocol
from accord.serving.tls import listener_tls

TAXII = b"application/taxii+json;version=2.1"
QUICK = Limits(max_header_size=4 * KiB, header_timeout=0.2, body_timeout=0.2,
               min_body_rate=10 * KiB, idle_timeout=0.1, max_connections=4,
               max_connections_per_source=2, max_pipelined=3)


async def echo(scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]],
               send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
    """Answers with the body it was sent, or at once without reading it on /early, or after
    half a second on /wait."""
    body = b""
    if scope["path"] == "/wait":
        await asyncio.sleep(0.5)
    while scope["path"] != "/early":
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class Wire(asyncio.Transport):
    """A connection in memory: what the server wrote, and whether it closed."""

    def __init__(self, peer: str) -> None:
        super().__init__()
        self.peer = peer
        self.written = bytearray()
        self.closed = False
        self.protocol: GuardedHttpProtocol | None = None

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": (self.peer, 40000), "sockname": ("127.0.0.1", 8400)}.get(
            name, default)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        assert not self.closed, "written after close"
        self.written += data

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            assert self.protocol is not None
            asyncio.get_running_loop().call_soon(self.protocol.connection_lost, None)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class Server:
    """One uvicorn server's state, and connections to it."""

    def __init__(self, limits: Limits = QUICK) -> None:
        self.limits = limits
        self.config = Config(app=echo, lifespan="off", log_level="critical")
        self.state = ServerState()

    def connect(self, peer: str = "127.0.0.2") -> tuple[GuardedHttpProtocol, Wire]:
        protocol = GuardedHttpProtocol(config=self.config, server_state=self.state,
                                       app_state={}, limits=self.limits)
        wire = Wire(peer)
        wire.protocol = protocol
        protocol.connection_made(wire)
        return protocol, wire


class Counting:
    """A parser that counts what it was fed."""

    def __init__(self, parser: Any) -> None:
        self.parser = parser
        self.fed = 0

    def feed_data(self, data: bytes) -> None:
        self.fed += len(data)
        self.parser.feed_data(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.parser, name)


def status_of(wire: Wire) -> int:
    return int(bytes(wire.written).split(b" ", 2)[1])


def taxii_error(wire: Wire) -> tuple[int, dict[str, Any]]:
    head, _, body = bytes(wire.written).partition(b"\r\n\r\n")
    assert f"content-type: {TAXII.decode()}".encode() in head.lower()
    assert b"connection: close" in head.lower()
    error = orjson.loads(body)
    assert error["http_status"] == str(status_of(wire))
    return status_of(wire), error


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(scenario())


GET = b"GET / HTTP/1.1\r\nHost: node\r\n\r\n"


def test_requests_within_the_limits_are_served_on_one_kept_connection():
    async def scenario() -> None:
        protocol, wire = Server().connect()
        for _ in range(3):
            wire.written.clear()
            protocol.data_received(GET)
            await asyncio.sleep(0.01)
            assert bytes(wire.written).startswith(b"HTTP/1.1 200 ")
        assert not wire.closed
    run(scenario)


def test_a_head_exactly_at_the_limit_is_served():
    async def scenario() -> None:
        protocol, wire = Server().connect()
        start = b"GET / HTTP/1.1\r\nHost: node\r\nX-Pad: "
        head = start + b"a" * (QUICK.max_header_size - len(start) - 4) + b"\r\n\r\n"
        assert len(head) == QUICK.max_header_size
        protocol.data_received(head)
        await asyncio.sleep(0.01)
        assert status_of(wire) == 200
    run(scenario)


@pytest.mark.parametrize("chunk", [1000, 64 * KiB])
def test_an_oversized_head_is_refused_431_having_fed_the_parser_no_more_than_the_limit(
        chunk: int):
    async def scenario() -> None:
        protocol, wire = Server().connect()
        counting = protocol.parser = Counting(protocol.parser)  # type: ignore[assignment]
        data = b"GET / HTTP/1.1\r\nX-Huge: " + b"a" * 1_000_000
        for start in range(0, len(data), chunk):
            protocol.data_received(data[start:start + chunk])
        await asyncio.sleep(0)
        status, error = taxii_error(wire)
        assert status == 431 and "exceed 4KiB" in error["description"]
        assert wire.closed and counting.fed <= QUICK.max_header_size
    run(scenario)


def test_an_oversized_request_line_is_refused_414():
    async def scenario() -> None:
        protocol, wire = Server().connect()
        protocol.data_received(b"GET /?" + b"a" * 10_000 + b" HTTP/1.1\r\n\r\n")
        assert taxii_error(wire)[0] == 414
    run(scenario)


def test_a_url_longer_than_the_parser_reads_is_refused_414_whatever_the_head_limit():
    async def scenario() -> None:
        protocol, wire = Server(Limits(max_header_size=1024 * KiB)).connect()
        protocol.data_received(b"GET /?" + b"a" * LONGEST_URL + b" HTTP/1.1\r\n\r\n")
        status, error = taxii_error(wire)
        assert status == 414 and "65535 bytes" in error["description"]
    run(scenario)


def test_httptools_parses_the_longest_url_and_no_longer():
    # The 414 above stands in for the parser's own limit: it must be that limit.
    httptools.parse_url(b"/" + b"a" * (LONGEST_URL - 1))
    with pytest.raises(httptools.HttpParserInvalidURLError):
        httptools.parse_url(b"/" + b"a" * LONGEST_URL)


def test_what_is_not_http_is_refused_400_in_taxii_json():
    async def scenario() -> None:
        protocol, wire = Server().connect()
        protocol.data_received(b"\x16\x03\x01 not http at all\r\n\r\n")
        status, error = taxii_error(wire)
        assert status == 400 and "not a valid HTTP/1.1 request" in error["description"]
    run(scenario)


@pytest.mark.parametrize(("head", "said"), [
    (b"GET / HTTP/1.1\r\n\r\n", "must name its Host"),
    (b"GET / HTTP/1.1\r\nHost: node\r\nHost: evil.example\r\n\r\n", "2 Host headers"),
    (b"GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", "2 Host headers"),
    (b"GET / HTTP/1.1\r\nHost: node/../x\r\n\r\n", "not a host name"),
    (b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", "not a host name"),
    (b"GET / HTTP/1.1\r\nHost: a:b:c\r\n\r\n", "not a host name"),
    (b"GET / HTTP/1.1\r\nHost: [[[\r\n\r\n", "not a host name"),
    (b"GET / HTTP/1.1\r\nHost: %zz\r\n\r\n", "not a host name"),
    (b"GET / HTTP/1.1\r\nHost: node:99999\r\n\r\n", "not a host name"),
])
def test_a_request_without_one_good_host_is_refused_400(head, said):
    # RFC 9112 §3.2: a cache or proxy in front might read another host than the node does.
    async def scenario() -> None:
        protocol, wire = Server().connect()
        protocol.data_received(head)
        await asyncio.sleep(0.01)
        status, error = taxii_error(wire)
        assert status == 400 and said in error["description"]
        assert wire.closed
    run(scenario)


@pytest.mark.parametrize("head", [
    b"GET / HTTP/1.0\r\n\r\n",  # HTTP/1.0 has no Host to name
    b"GET / HTTP/1.1\r\nHost: [2001:db8::1]:8443\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: xn--fiqs8s.example:443\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: \r\n\r\n",  # empty: allowed where the target has none
])
def test_requests_with_a_host_as_http_has_it_are_served(head):
    async def scenario() -> None:
        protocol, wire = Server().connect()
        protocol.data_received(head)
        await asyncio.sleep(0.01)
        assert status_of(wire) == 200
    run(scenario)


def test_a_connection_that_sends_nothing_is_closed_without_an_answer():
    async def scenario() -> None:
        _, wire = Server(Limits(header_timeout=0.05, idle_timeout=1)).connect()
        await asyncio.sleep(0.1)
        assert wire.closed and not wire.written
    run(scenario)


def test_a_head_not_finished_in_time_is_answered_408():
    async def scenario() -> None:
        protocol, wire = Server().connect()
        protocol.data_received(b"GET / HTTP/1.1\r\n")
        for _ in range(5):  # bytes keep coming, but not the end of the head
            await asyncio.sleep(0.05)
            protocol.data_received(b"X")
        await asyncio.sleep(0.05)
        status, error = taxii_error(wire)
        assert status == 408 and "within 0.2 s" in error["description"]
    run(scenario)


def test_the_head_timeout_runs_from_the_end_of_the_previous_response():
    async def scenario() -> None:
        protocol, wire = Server(Limits(header_timeout=0.2, idle_timeout=1)).connect()
        await asyncio.sleep(0.15)
        protocol.data_received(GET)  # 0.15 s into the first head's time: in time
        await asyncio.sleep(0.15)  # 0.3 s since the connection: the next head has its own
        assert not wire.closed and status_of(wire) == 200
        await asyncio.sleep(0.1)
        assert wire.closed and b"408" not in wire.written  # nothing of a next one came
    run(scenario)


def test_an_idle_kept_connection_is_closed_after_the_idle_timeout():
    async def scenario() -> None:
        protocol, wire = Server(Limits(header_timeout=1, idle_timeout=0.05)).connect()
        protocol.data_received(GET)
        await asyncio.sleep(0.02)
        assert not wire.closed
        await asyncio.sleep(0.08)
        assert wire.closed
    run(scenario)


def post(length: int, path: str = "/") -> bytes:
    return f"POST {path} HTTP/1.1\r\nHost: node\r\nContent-Length: {length}\r\n\r\n".encode()


def test_a_body_slower_than_the_minimum_rate_is_answered_408():
    async def scenario() -> None:
        # 2 KiB at 10 KiB/s after 0.2 s: due within 0.4 s; sent 100 bytes every 0.05 s.
        protocol, wire = Server().connect()
        protocol.data_received(post(2048))
        for _ in range(10):
            protocol.data_received(b"a" * 100)
            await asyncio.sleep(0.05)
        status, error = taxii_error(wire)
        assert status == 408
        assert re.search(r"came too slowly: \d+ of 2048 bytes in 0\.\d s", error["description"])
    run(scenario)


def test_a_body_at_the_minimum_rate_is_taken():
    async def scenario() -> None:
        protocol, wire = Server().connect()
        protocol.data_received(post(4096))  # due within 0.2 s + 0.4 s
        for _ in range(8):
            protocol.data_received(b"a" * 512)
            await asyncio.sleep(0.04)
        await asyncio.sleep(0.01)
        assert status_of(wire) == 200 and not wire.closed
    run(scenario)


def chunked(size: int) -> bytes:
    return f"{size:x}\r\n".encode() + b"a" * size + b"\r\n"


def test_a_chunked_body_has_its_deadline_moved_by_what_comes():
    async def scenario() -> None:
        protocol, wire = Server().connect()
        protocol.data_received(b"POST / HTTP/1.1\r\nHost: n\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(6):  # 6 KiB over 0.48 s: past the 0.2 s grace, but at the rate
            protocol.data_received(chunked(1024))
            await asyncio.sleep(0.08)
        protocol.data_received(b"0\r\n\r\n")
        await asyncio.sleep(0.01)
        assert status_of(wire) == 200
        wire.written.clear()
        protocol.data_received(b"POST / HTTP/1.1\r\nHost: n\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(6):  # a byte now and then: cut
            protocol.data_received(chunked(1))
            await asyncio.sleep(0.08)
        assert taxii_error(wire)[0] == 408
    run(scenario)


def test_a_body_answered_before_it_ended_may_take_the_body_timeout_more_at_most():
    async def scenario() -> None:
        protocol, wire = Server().connect()
        protocol.data_received(post(10 * 1024 * 1024, "/early"))  # due in 1,000 s
        await asyncio.sleep(0.01)
        assert status_of(wire) == 200 and not wire.closed
        for _ in range(5):
            protocol.data_received(b"a" * 100)
            await asyncio.sleep(0.05)
        assert wire.closed and wire.written.count(b"HTTP/1.1") == 1
    run(scenario)


def test_each_source_and_the_whole_are_capped_and_a_closed_connection_frees_its_place():
    async def scenario() -> None:
        server = Server()
        first, first_wire = server.connect("127.0.0.2")
        server.connect("127.0.0.2")
        _, refused = server.connect("127.0.0.2")
        status, error = taxii_error(refused)
        assert status == 503 and "127.0.0.2 holds its most connections to this server (2)" in error[
            "description"] and b"retry-after: 1" in refused.written.lower()
        server.connect("127.0.0.3")
        server.connect("127.0.0.4")
        _, full = server.connect("127.0.0.5")
        assert taxii_error(full)[0] == 503
        first_wire.close()
        await asyncio.sleep(0)
        _, admitted = server.connect("127.0.0.5")
        assert not admitted.closed
    run(scenario)


def test_an_upgrade_is_answered_as_plain_http_and_the_connection_closed():
    async def scenario() -> None:
        protocol, wire = Server().connect()
        protocol.data_received(b"GET / HTTP/1.1\r\nHost: n\r\nConnection: Upgrade\r\n"
                               b"Upgrade: websocket\r\n\r\n")
        await asyncio.sleep(0.01)
        assert status_of(wire) == 200 and wire.closed
    run(scenario)


def test_a_pipelined_oversized_head_is_refused_after_the_answer_before_it():
    async def scenario() -> None:
        protocol, wire = Server().connect()
        protocol.data_received(post(5, "/") + b"hello" + b"GET / HTTP/1.1\r\nX: "
                               + b"a" * 8 * KiB)
        await asyncio.sleep(0.01)
        first, refusal = bytes(wire.written).split(b"HTTP/1.1 ")[1:]
        assert first.startswith(b"200 ") and first.endswith(b"hello")
        # 414: its line is counted with the request before it, read in the same piece.
        assert refusal[:4] in (b"414 ", b"431 ") and wire.closed
    run(scenario)


def test_a_malformed_request_behind_good_ones_is_refused_after_their_answers():
    # RFC 9112 §9.3.2: the answers in the order of the requests; nothing lost before it.
    async def scenario() -> None:
        protocol, wire = Server().connect()
        protocol.data_received(b"GET /wait HTTP/1.1\r\nHost: n\r\n\r\n" + GET
                               + b"GET /x HTTP/1.1\r\nHost: n\r\nBad Header\r\n\r\n")
        await asyncio.sleep(0.7)
        statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", bytes(wire.written))
        assert statuses == [b"200", b"200", b"400"] and wire.closed
    run(scenario)


@pytest.mark.parametrize("codings", [b"gzip, chunked", b"gzip", b"chunked\r\nTransfer-Encoding: x"])
def test_a_transfer_coding_other_than_chunked_is_refused_501(codings):
    async def scenario() -> None:
        protocol, wire = Server().connect()
        protocol.data_received(b"POST / HTTP/1.1\r\nHost: n\r\nTransfer-Encoding: " + codings
                               + b"\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        await asyncio.sleep(0.01)
        status = status_of(wire)
        assert status in (400, 501) and wire.closed, wire.written
        if codings.startswith(b"gzip, "):
            assert status == 501
    run(scenario)


def test_a_pipelined_body_is_timed_from_when_the_server_reads_it_after_the_answer_before():
    async def scenario() -> None:
        protocol, wire = Server().connect()
        # The first is answered at 0.5 s; until then the server does not read the second's
        # body (it waits its turn), and the time is not the client's.
        protocol.data_received(b"GET /wait HTTP/1.1\r\nHost: n\r\n\r\n" + post(1000)
                               + b"a" * 10)
        await asyncio.sleep(0.4)
        assert not wire.closed and not wire.written
        await asyncio.sleep(0.5)  # then 10 bytes of 1,000 in 0.2 s: too slow
        statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", bytes(wire.written))
        assert statuses == [b"200", b"408"] and wire.closed
    run(scenario)


def test_pipelined_requests_past_the_most_are_not_parsed_and_those_taken_are_answered():
    # 32 connections of 256 KiB reads of `GET /` held 800 MB and stalled the loop for 6 s.
    async def scenario() -> None:
        protocol, wire = Server().connect()
        protocol.data_received(b"GET /wait HTTP/1.1\r\nHost: n\r\n\r\n" + GET * 500)
        assert len(protocol.pipeline) == QUICK.max_pipelined
        protocol.data_received(GET * 100)  # read on nothing more
        assert len(protocol.pipeline) == QUICK.max_pipelined
        await asyncio.sleep(0.6)
        answers = bytes(wire.written).split(b"HTTP/1.1 ")[1:]
        assert len(answers) == 1 + QUICK.max_pipelined
        assert all(a.startswith(b"200 ") for a in answers)
        assert b"connection: close" in answers[-1].lower() and wire.closed
    run(scenario)


@pytest.mark.parametrize(("target", "status"), [
    (b"/taxii2/accord/collections/c%2Fobjects/", 400), (b"/a%2fb", 400), (b"/a%5Cb", 400),
    (b"/taxii2/?match%5Bid%5D=a%2Fb", 200),  # in the query: a value, not a path
])
def test_an_encoded_slash_in_a_path_is_refused_before_it_is_routed(target, status):
    async def scenario() -> None:
        protocol, wire = Server().connect()
        protocol.data_received(b"GET " + target + b" HTTP/1.1\r\nHost: n\r\n\r\n")
        await asyncio.sleep(0.01)
        assert status_of(wire) == status
    run(scenario)


@pytest.mark.parametrize(("request_line", "status"), [
    (b"GET / HTTP/2.0\r\nHost: n\r\n\r\n", 505),
    (b"GET / HTTP/2.0\r\n\r\n", 505),  # and no Host to check
    (b"GET /\r\n\r\n", 400),  # HTTP/0.9: no version, no headers
])
def test_a_request_in_another_http_version_is_refused(request_line, status):
    async def scenario() -> None:
        protocol, wire = Server().connect()
        protocol.data_received(request_line)
        await asyncio.sleep(0.01)
        assert taxii_error(wire)[0] == status and wire.closed
    run(scenario)


def test_a_long_declared_body_sent_a_byte_at_a_time_is_cut_after_the_body_timeout():
    # Its Content-Length (1 MiB: 100 s at the minimum rate) grants no time before it comes.
    async def scenario() -> None:
        protocol, wire = Server().connect()
        protocol.data_received(post(1024 * 1024))
        for _ in range(10):
            protocol.data_received(b"a")
            await asyncio.sleep(0.05)
        assert taxii_error(wire)[0] == 408
    run(scenario)


@pytest.mark.parametrize("new_loop", [asyncio.new_event_loop, uvloop.new_event_loop])
def test_each_loops_tls_protocol_takes_a_connection_as_the_listener_gives_it(new_loop, tmp_path):
    # serving.listener begins TLS with the loop's own protocol class, as its server would.
    node = self_signed(tmp_path, "node")
    tls = listener_tls(node.cert, node.key, None, datetime.now(UTC))
    assert tls is not None
    loop = new_loop()
    try:
        handshake = loop.create_future()
        secured = _tls_protocol(loop)(loop, asyncio.Protocol(), tls.server_context(), handshake,
                                      server_side=True, ssl_handshake_timeout=0.5)
        assert callable(secured.connection_made) and callable(secured.buffer_updated)
        assert not handshake.done()
    finally:
        loop.close()
