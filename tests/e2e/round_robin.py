"""A round-robin HTTP/1.1 proxy in a thread: one address in front of several `accord serve`
processes, as a load balancer puts one name in front of several hosts.

Each *request* goes to the next server, not each connection: clients keep connections alive
(taxii2-client holds one per collection), and a node that kept a paging cursor, a status or a
web session in one process would pass its tests if the next page came back through the same
connection. h11 frames the messages on both sides; bodies are forwarded as they arrive.
"""

from __future__ import annotations

import itertools
import socket
import socketserver
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import h11

_CHUNK = 65536
_HOP_BY_HOP = {b"connection", b"keep-alive", b"proxy-connection", b"upgrade"}


class RoundRobin:
    """Where the next request goes, and how many each server got."""

    def __init__(self, backends: list[tuple[str, int]]) -> None:
        self.backends = backends
        self.served: Counter[tuple[str, int]] = Counter()
        self._next = itertools.cycle(backends)
        self._lock = threading.Lock()

    def pick(self) -> tuple[str, int]:
        with self._lock:
            backend = next(self._next)
            self.served[backend] += 1
            return backend


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], rotation: RoundRobin) -> None:
        self.rotation = rotation
        super().__init__(address, _Connection)


class _Connection(socketserver.BaseRequestHandler):
    """One client connection: its requests, one after another, each to the next server."""

    server: _Server

    def handle(self) -> None:
        client = h11.Connection(h11.SERVER)
        while True:
            request, body = _read_request(self.request, client)
            if request is None:
                return
            try:
                _forward(self.request, client, request, body, self.server.rotation.pick())
            except OSError:
                return  # the client or the server went away mid-answer: drop the connection
            if client.our_state is h11.MUST_CLOSE or client.their_state is h11.MUST_CLOSE:
                return
            try:
                client.start_next_cycle()
            except h11.LocalProtocolError:
                return


def _receive(sock: socket.socket, conn: h11.Connection) -> h11.Event | type[h11.PAUSED]:
    """The next event on `conn`, reading from `sock` as long as it needs more (a closed
    socket is ConnectionClosed)."""
    while True:
        event = conn.next_event()
        if event is h11.PAUSED or isinstance(event, h11.Event):
            return event
        try:
            data = sock.recv(_CHUNK)
        except OSError:
            data = b""
        conn.receive_data(data)


def _read_request(sock: socket.socket, client: h11.Connection
                  ) -> tuple[h11.Request | None, list[bytes]]:
    """The next request on the client's connection and its body; None when the client is done
    (or sent something that is not HTTP/1.1)."""
    try:
        event = _receive(sock, client)
        if not isinstance(event, h11.Request):
            return None, []
        body: list[bytes] = []
        while True:
            part = _receive(sock, client)
            if isinstance(part, h11.Data):
                body.append(bytes(part.data))
            elif isinstance(part, h11.EndOfMessage):
                return event, body
            else:
                return None, []
    except h11.RemoteProtocolError:
        return None, []


def _forward(sock: socket.socket, client: h11.Connection, request: h11.Request,
             body: list[bytes], backend: tuple[str, int]) -> None:
    """Send one request to `backend` on a fresh connection and its answer back to the client."""
    headers = [(name, value) for name, value in request.headers if name not in _HOP_BY_HOP]
    try:
        upstream_sock = socket.create_connection(backend, timeout=120)
    except OSError:
        _answer(sock, client, 502, b"the server behind the test proxy is not listening")
        return
    with upstream_sock:
        upstream = h11.Connection(h11.CLIENT)
        outgoing = [h11.Request(method=request.method, target=request.target,
                                headers=[*headers, (b"connection", b"close")]),
                    *(h11.Data(data=part) for part in body), h11.EndOfMessage()]
        for sent in outgoing:
            upstream_sock.sendall(upstream.send(sent) or b"")
        while True:
            event = _receive(upstream_sock, upstream)
            if isinstance(event, h11.InformationalResponse):
                continue
            if isinstance(event, h11.Response):
                kept = [(n, v) for n, v in event.headers if n not in _HOP_BY_HOP]
                event = h11.Response(status_code=event.status_code, headers=kept,
                                     reason=event.reason)
            elif not isinstance(event, h11.Data | h11.EndOfMessage):
                raise OSError("the server closed the connection before its answer ended")
            sock.sendall(client.send(event) or b"")
            if isinstance(event, h11.EndOfMessage):
                return


def _answer(sock: socket.socket, client: h11.Connection, status: int, words: bytes) -> None:
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(words)).encode())]
    for event in (h11.Response(status_code=status, headers=headers), h11.Data(data=words),
                  h11.EndOfMessage()):
        sock.sendall(client.send(event) or b"")


@contextmanager
def round_robin(backends: list[tuple[str, int]]) -> Iterator[tuple[int, RoundRobin]]:
    """A proxy on a free loopback port in front of `backends`: (its port, its rotation)."""
    server = _Server(("127.0.0.1", 0), RoundRobin(backends))
    thread = threading.Thread(target=server.serve_forever, name="round-robin", daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1]), server.rotation
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
