"""The node's HTTP/1.1 listener: uvicorn's httptools protocol, held to `Limits`.

Left alone, uvicorn reads whatever a peer sends for as long as it sends it. This protocol
bounds every connection: the size and time of a request head, the rate of a body, idle time,
and how many connections a worker and one source may hold. What it refuses is answered with a
TAXII error message (400, 408, 414, 431, 503) where an answer can be written, then closed.

Over TLS, a connection is counted when it is accepted and its handshake is held to the head's
timeout: the listener hands each connection it admitted to the loop's TLS protocol itself,
instead of the loop's server doing so before any protocol of ours sees the connection. Left to
the loop, a connection counted only once its handshake was done, and a handshake could take
60 s: one address opening 1,400 connections that never sent a ClientHello held every open file
of the process for a minute.

It is built on uvicorn's internals (and the loop's TLS protocol): pyproject.toml pins uvicorn,
and tests/unit/serving/test_listener.py drives this class through them and fails if they move.
"""

from __future__ import annotations

import asyncio
import asyncio.sslproto
import functools
import logging
import math
import resource
from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from weakref import WeakKeyDictionary

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from accord.serving.admission import Admission, source_of
from accord.serving.caching import NOT_STORED
from accord.serving.limits import LONGEST_URL, Limits, size_text
from accord.serving.request_heads import body_of, head_fault
from accord.serving.tls import ListenerTls
from accord.taxii.errors import error_response

log = logging.getLogger("accord.listener")

# One count of connections per server (per worker process).
_admissions: WeakKeyDictionary[ServerState, Admission] = WeakKeyDictionary()


class _Refused(Exception):
    """Raised in a parser callback so that the parser stops at what was refused."""


class GuardedHttpProtocol(HttpToolsProtocol):
    """One connection, held to LIMITS (given through `uvicorn_options`)."""

    def __init__(self, config: Config, server_state: ServerState, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None, *, limits: Limits,
                 tls: ListenerTls | None = None) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.limits = limits
        self.tls = tls
        self.speaking = False  # whether HTTP began (over TLS: once the handshake is done)
        self.raw: asyncio.Transport | None = None  # over TLS: the connection under it
        self.timeout_keep_alive = limits.idle_timeout  # type: ignore[assignment]
        admission = _admissions.get(server_state)
        if admission is None:
            admission = _admissions[server_state] = Admission(limits)
        self.admission = admission
        self.source: str | None = None  # what the connection counts against, once held
        self.refused = False
        # Past max_pipelined requests ahead of their answers: those taken are answered, the
        # connection then closes, and nothing more is read from it.
        self.draining = False
        # A refusal of a request read while those before it wait for their answers: written
        # after the last of them (RFC 9112 §9.3.2: responses in the order of the requests).
        self.deferred: bytes | None = None
        # The head being read: how many more bytes it may take (None: no head is being read),
        # and whether its request line has ended (past it, an oversized head is a 431).
        self.head_room: int | None = limits.max_header_size
        self.line_done = False
        self.heads = 0  # heads read on this connection
        # The body being read: when its head ended (loop time), its Content-Length (None:
        # chunked), what came so far, and whether it was answered before it ended.
        self.body_start = 0.0
        self.body_length: int | None = None
        self.body_received = 0
        self.body_answered = False
        self.trailer_bytes = 0  # of the chunked body being read
        self.deadline: asyncio.TimerHandle | None = None

    # -- the connection --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if self.tls is not None and not transport.get_extra_info("sslcontext"):
            self.secure(transport)
            return
        self.speak(transport)  # plain HTTP, or over TLS once its handshake is done

    def speak(self, transport: asyncio.Transport) -> None:
        """Begin HTTP on TRANSPORT."""
        super().connection_made(transport)
        self.speaking = True
        if self.source is None:
            source = source_of(self.client[0] if self.client else None)
            refusal = self.admission.refusal(source)
            if refusal is not None:
                self.refuse(503, refusal,
                            {"Retry-After": str(math.ceil(self.limits.idle_timeout))})
                return
            self.source = source
        self.set_deadline(self.limits.header_timeout, self.head_overdue)
        # Idle from the start, not only after a first response as uvicorn has it.
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler)

    def secure(self, raw: asyncio.Transport) -> None:
        """Count RAW against its source at once, then begin TLS on it, its handshake held to
        the head's timeout; HTTP begins when the handshake is done (connection_made again,
        with the TLS transport). A connection over its source's share is closed unanswered:
        a plain HTTP answer means nothing to a client expecting TLS."""
        assert self.tls is not None
        peer = raw.get_extra_info("peername")
        try:
            context = self.tls.server_context()  # loaded at the worker's first connection
        except (OSError, ValueError) as error:  # the files moved or changed since the start
            log.error("closed a connection from %s: cannot serve TLS with %s and %s: %s",
                      peer, self.tls.cert, self.tls.key, error)
            raw.close()
            return
        source = source_of(peer[0] if peer else None)
        refusal = self.admission.refusal(source)
        if refusal is not None:
            log.info("closed a connection from %s before TLS: %s", peer, refusal)
            raw.close()
            return
        self.source = source
        self.raw = raw
        # A server that stops tells its connections to end (shutdown): this one too.
        self.connections.add(self)
        # What the loop's own TLS server does at accept (and loop.start_tls later, too late:
        # the ClientHello may reach this protocol first): the TLS protocol takes the
        # connection now, before anything is read from it. Its closing waits for the peer's
        # close_notify no longer than a head may take (the loop's default is 30 s, in which
        # the connection keeps its place).
        handshake = self.loop.create_future()
        handshake.add_done_callback(self.handshake_ended)
        secured = _tls_protocol(self.loop)(
            self.loop, self, context, handshake, server_side=True,
            ssl_handshake_timeout=self.limits.header_timeout,
            ssl_shutdown_timeout=self.limits.header_timeout)
        raw.set_protocol(secured)
        secured.connection_made(raw)

    def handshake_ended(self, handshake: asyncio.Future[None]) -> None:
        """A handshake that failed (or a connection lost during it) gives its place back:
        this protocol never spoke, so connection_lost does not come to it."""
        failure = None if handshake.cancelled() else handshake.exception()
        if self.speaking:
            return
        log.info("TLS handshake with %s failed: %s", self.source, failure or "connection lost")
        self.connections.discard(self)
        if self.source is not None:
            self.admission.release(self.source)
            self.source = None

    def shutdown(self) -> None:
        """The server stops: a connection still in its handshake is closed now (one that
        finished it would have been served on, with keep-alive, while the server waited)."""
        if not self.speaking:
            if self.raw is not None:
                self.raw.close()
            return
        super().shutdown()

    def connection_lost(self, exc: Exception | None) -> None:
        self.clear_deadline()
        if self.source is not None:
            self.admission.release(self.source)
            self.source = None
        if self.speaking:
            super().connection_lost(exc)

    def _should_upgrade_to_ws(self) -> bool:
        # No WebSocket here: an Upgrade is answered as plain HTTP and never leaves this class.
        return False

    def data_received(self, data: bytes) -> None:
        if self.refused or self.draining or self.transport.is_closing():
            return
        self._unset_keepalive_if_required()
        while data:
            room = self.head_room
            if room == 0:  # the head took all it may and goes on
                if self.line_done:
                    self.refuse(431, f"the request line and headers exceed "
                                     f"{size_text(self.limits.max_header_size)}")
                else:
                    self.refuse(414, f"the request line exceeds "
                                     f"{size_text(self.limits.max_header_size)}; send long "
                                     "filters in several requests")
                return
            # A head is fed only what it may still take, never more.
            piece = data if room is None else data[:room]
            data = data[len(piece):]
            heads = self.heads
            if room is not None and not self.line_done:
                self.line_done = b"\n" in piece
            if not self.feed(piece):
                return
            if room is not None and self.heads == heads:
                self.head_room = room - len(piece)

    def feed(self, piece: bytes) -> bool:
        """Parse PIECE; False when the connection was refused on the way."""
        try:
            self.parser.feed_data(piece)
        except httptools.HttpParserUpgrade:
            if self.cycle is not None:  # answered as plain HTTP, then closed
                self.cycle.keep_alive = False
        except httptools.HttpParserError as error:
            if not self.refused and not self.draining:
                self.refuse(400, f"this is not a valid HTTP/1.1 request ({error})")
            return False
        return not self.refused and not self.draining

    # -- parser callbacks ------------------------------------------------------------------

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > LONGEST_URL:  # reachable with a head limit above 64 KiB
            self.refuse(414, f"the request target exceeds {LONGEST_URL} bytes, the most this "
                             "server parses; send long filters in several requests")
            raise _Refused

    def on_header(self, name: bytes, value: bytes) -> None:
        if self.head_room is None:
            # A trailer, after a chunked body's last chunk: past the head's count, and uvicorn
            # kept each one in the request's headers (50 MB of "a:b" lines held 1.2 GB).
            # Counted against the head's limit, and not kept: nothing here reads trailers.
            self.trailer_bytes += len(name) + len(value) + 4
            if self.trailer_bytes > self.limits.max_header_size:
                self.refuse(431, f"the request's trailers exceed "
                                 f"{size_text(self.limits.max_header_size)}")
                raise _Refused
            return
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        body = body_of(self.headers)
        fault = head_fault(self.parser.get_http_version(), self.headers, self.url, body)
        if fault is not None:
            self.refuse(*fault)
            raise _Refused
        if self.cycle is not None and not self.cycle.response_complete \
                and len(self.pipeline) >= self.limits.max_pipelined:
            self.drain()
            raise _Refused
        self.head_room = None
        self.trailer_bytes = 0
        self.heads += 1
        self.clear_deadline()
        super().on_headers_complete()
        if body.length or body.is_chunked:
            self.body_start = self.loop.time()
            self.body_length = None if body.is_chunked else body.length
            self.body_received = 0
            self.body_answered = False
            # Due as what came so far allows, moved on as more comes (body_overdue): a length
            # declared is not time granted before a byte of it arrives.
            self.set_deadline(self.limits.body_due(0), self.body_overdue)

    def on_body(self, body: bytes) -> None:
        self.body_received += len(body)
        super().on_body(body)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self.clear_deadline()
        self.head_room = self.limits.max_header_size
        self.line_done = False
        if self.cycle.response_complete:  # answered before its body ended
            self.set_deadline(self.limits.header_timeout, self.head_overdue)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.transport.is_closing():
            return
        if self.deferred is not None:
            if not self.pipeline and self.cycle.response_complete:
                self.transport.write(self.deferred)
                self.transport.close()
            return
        if self.head_room is None and not self.cycle.response_complete:
            return  # the body coming is the next request's, its turn now: its deadline runs on
        if self.head_room is None:
            # Answered while its body still comes: the rest is read only to keep the
            # connection, and within the body timeout at most.
            self.body_answered = True
            left = self.limits.body_timeout
            if self.deadline is not None:
                left = min(left, self.deadline.when() - self.loop.time())
            self.set_deadline(left, self.body_overdue)
        elif self.cycle.response_complete:  # not a pipelined request's response to come
            self.set_deadline(self.limits.header_timeout, self.head_overdue)

    # -- deadlines -------------------------------------------------------------------------

    def set_deadline(self, seconds: float, then: Callable[[], None]) -> None:
        self.clear_deadline()
        self.deadline = self.loop.call_later(max(0.0, seconds), then)

    def clear_deadline(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def head_overdue(self) -> None:
        self.deadline = None
        if self.head_room == self.limits.max_header_size:
            self.transport.close()  # nothing was asked: nothing to answer
            return
        self.refuse(408, f"the request line and headers did not arrive within "
                         f"{self.limits.header_timeout:g} s")

    def body_overdue(self) -> None:
        self.deadline = None
        if self.body_answered:
            self.transport.close()
            return
        if self.flow.read_paused:
            # This server is not reading the body (a request ahead of it is being answered,
            # or the app has not taken what came): the time does not count against the client.
            self.body_start += self.limits.body_timeout
            self.set_deadline(self.limits.body_timeout, self.body_overdue)
            return
        left = self.body_start + self.limits.body_due(self.body_received) - self.loop.time()
        if left > 0:  # the deadline moves with what came
            self.set_deadline(left, self.body_overdue)
            return
        expected = "" if self.body_length is None else f" of {self.body_length}"
        self.refuse(408, f"the request body came too slowly: {self.body_received}{expected} "
                         f"bytes in {self.loop.time() - self.body_start:.1f} s; a body may take "
                         f"{self.limits.body_timeout:g} s plus its length at "
                         f"{size_text(self.limits.min_body_rate)}/s")

    # -- refusing --------------------------------------------------------------------------

    def drain(self) -> None:
        """Take no more requests on this connection: those waiting are answered in turn, and
        the last of them closes it (its answer says `Connection: close`)."""
        self.draining = True
        self.flow.pause_reading()
        newest = self.pipeline[0][0] if self.pipeline else self.cycle
        if newest is not None:
            newest.keep_alive = False
        log.info("%s pipelined more than %d requests: the connection closes after answering "
                 "them", self.client, self.limits.max_pipelined)

    def refuse(self, status: int, description: str,
               headers: dict[str, str] | None = None) -> None:
        """Answer STATUS with a TAXII error message where one can be written, and close."""
        if self.refused:
            return
        self.refused = True
        self.clear_deadline()
        log.info("%d to %s: %s", status, self.client, description)
        cycle = self.cycle
        pending = cycle is not None and not cycle.response_complete
        if pending and self.head_room is not None and not cycle.more_body:
            # A request after those being answered is refused (its head): they are answered
            # first, whole, and then this.
            self.deferred = self.error_message(status, description, headers)
            self.flow.pause_reading()
            return
        if pending:
            cycle.disconnected = True  # the app's receive() ends; its send() writes nothing
            cycle.message_event.set()
            if cycle.response_started or self.head_room is not None or self.pipeline:
                # A response is under way, or another is due first (this request is
                # pipelined behind it, its body cut): no room for an answer.
                self.transport.close()
                return
        if not self.transport.is_closing():
            self.transport.write(self.error_message(status, description, headers))
            self.transport.close()

    def error_message(self, status: int, description: str,
                      headers: dict[str, str] | None) -> bytes:
        response = error_response(status, description, headers=headers)
        lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}".encode()]
        for name, value in [*self.server_state.default_headers, *response.raw_headers,
                            NOT_STORED, (b"connection", b"close")]:
            lines.append(name + b": " + value)
        return b"\r\n".join(lines) + b"\r\n\r\n" + response.body


def _tls_protocol(loop: asyncio.AbstractEventLoop) -> Any:
    """The TLS protocol class of LOOP's kind (uvloop has its own, as asyncio has), which the
    loop's TLS servers and start_tls use; tests/unit/serving/test_listener.py holds both."""
    if type(loop).__module__.startswith("uvloop"):
        import uvloop.loop

        return uvloop.loop.SSLProtocol  # type: ignore[attr-defined]
    return asyncio.sslproto.SSLProtocol


def uvicorn_options(limits: Limits, tls: ListenerTls | None = None) -> dict[str, Any]:
    """What `uvicorn.run` needs to serve under LIMITS, over TLS when given. The protocol is a
    partial, which pickles: worker processes receive it, limits and all, with their
    configuration. No `Server` header: what runs the node is nobody's business."""
    options = {"http": functools.partial(GuardedHttpProtocol, limits=limits, tls=tls),
               "server_header": False}
    return options | (tls.uvicorn_options() if tls is not None else {})


# Files a worker needs besides its connections: database, logs, listening sockets.
SPARE_FILES = 256


def raise_open_files(limits: Limits) -> str | None:
    """Raise this process's open-files limit (workers inherit it) to what max_connections
    needs; a warning when the hard limit does not allow it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = limits.max_connections + SPARE_FILES
    if soft >= wanted:
        return None
    if hard != resource.RLIM_INFINITY and hard < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return (f"the open-files limit is {hard}: a worker cannot hold "
                f"{limits.max_connections} connections (ulimit -n, or lower "
                "--max-connections)")
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return None
