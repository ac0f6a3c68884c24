"""What one answer of a peer may cost this node: its bytes, and its time.

A peer's node is run by another party, which may be hostile or broken. Read whole, one answer
of ten gigabytes (or a gzip bomb that inflates to it) would take this node's memory; one byte
every 29 seconds would hold a sync round, and every round after it with the peers behind this
one in `sync_all`, for as long as the peer liked, since a read timeout only bounds the wait
for each byte. So an answer is read as it arrives and given up, the round failing with a
SyncError that says why, once it passes:

- MOST_BYTES, counted after decompression. An Accord node's page holds at most 16 MiB of
  objects, or one object of up to what one POST may carry (64 MiB by default); other TAXII
  servers page by count, and 128 MiB is a thousand objects of 128 KiB;
- GRACE seconds plus what is exchanged at MIN_RATE (the server's own rule for a request
  body, docs/limits.md): a large answer may take its time, a trickle may not. The clock runs
  from the request's first step, and counts every byte either way: the connection (the first
  _ADDRESSES addresses of a name, each within the time left), the TLS handshake, the
  request sent, the status line and headers, the body; only as many bytes earn time as the
  exchange may hold (a server sending `102 Processing` for ever earns none past it). A
  socket's own timeout bounds only the wait for each byte, so a peer that sent its headers a
  byte every 29 s would otherwise hold the round for days; every connection to a peer is
  made through a TimedTransport, whose sockets wait no longer than the answer has left.

Answers are asked for uncompressed, and one compressed all the same is refused: what a
compressed answer costs is not what arrives (a brotli answer of 1.6 KB inflated to 1 GiB in
one read, before anything here could count it; deflate's empty blocks inflate to nothing, so
an answer could arrive for ever with nothing to time).
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

MOST_BYTES = 128 * 2**20
GRACE = 30.0  # seconds
MIN_RATE = 128 * 1024  # bytes a second, after the grace
_PIECE = 64 * 1024  # a request body is sent in pieces, the time left checked between them
_HEADERS = 64 * 1024  # an answer's status line and headers, counted as earning time
_ADDRESSES = 4  # of a host name's addresses, those tried (each within the time left)


class AnswerRefused(Exception):
    """The answer passed MOST_BYTES, came too slowly or compressed: what it said is not used."""


class AnswerTooLarge(AnswerRefused):
    """The answer passed MOST_BYTES: a smaller page may not."""


@dataclass(frozen=True, slots=True)
class Answer:
    status_code: int
    headers: httpx.Headers
    content: bytes


def fetch(client: httpx.Client, method: str, url: str, *, most_bytes: int | None = None,
          params: Mapping[str, Any] | None = None, content: bytes | None = None,
          headers: Mapping[str, str] | None = None, timeout: float | None = None) -> Answer:
    """The peer's answer to one request, read within `most_bytes` and in time; raises
    AnswerRefused past either, httpx.HTTPError when the exchange fails. `most_bytes`:
    MOST_BYTES unless given."""
    most_bytes = MOST_BYTES if most_bytes is None else most_bytes
    extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
    asked = {**(headers or {}), "Accept-Encoding": "identity"}
    sent = len(content or b"")
    with _timed(sent + most_bytes + _HEADERS) as allowance:
        try:
            with client.stream(method, url, params=params, content=content, headers=asked,
                               **extra) as answer:
                return _read(client, url, answer, most_bytes, allowance, sent)
        except httpx.TimeoutException:
            if allowance.left() > 0.01:
                raise  # one wait ran out (the client's timeout), not the answer's time
            raise AnswerRefused(f"{_where(client, url)} had not answered whole after "
                                f"{allowance.spent():.1f} s: {_too_slowly()}") from None


def _read(client: httpx.Client, url: str, answer: httpx.Response, most_bytes: int,
          allowance: _Allowance, sent: int) -> Answer:
    encoding = answer.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise AnswerRefused(f"{_where(client, url)} answered compressed ({encoding}) when "
                            "asked for an uncompressed answer")
    declared = answer.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > most_bytes:
        raise AnswerTooLarge(f"{_where(client, url)} announced {int(declared):,} bytes, "
                             f"more than the {most_bytes:,} this node reads in one answer")
    chunks: list[bytes] = []
    size = 0
    # (A transport may hand over an answer read whole already: tests' MockTransport.)
    arriving = [answer.content] if answer.is_stream_consumed else answer.iter_raw()
    for chunk in arriving:
        size += len(chunk)
        if size > most_bytes:
            raise AnswerTooLarge(f"{_where(client, url)} sent more than the "
                                 f"{most_bytes:,} bytes this node reads in one answer")
        if allowance.spent() > allowance.earned(sent + size):  # (no socket: MockTransport)
            raise AnswerRefused(f"{_where(client, url)} sent {size:,} bytes in "
                                f"{allowance.spent():.1f} s: {_too_slowly()}")
        chunks.append(chunk)
    return Answer(answer.status_code, answer.headers, b"".join(chunks))


def _too_slowly() -> str:
    return (f"too slowly (this node waits {GRACE:g} s plus what is exchanged at "
            f"{MIN_RATE // 1024} KiB/s)")


def _where(client: httpx.Client, url: str) -> str:
    return str(client.base_url.join(url))


@dataclass(slots=True)
class _Allowance:
    """The time one exchange has: GRACE from its start, and more for each byte moved, up to
    the most it may move (what is sent, the answer's MOST_BYTES and its headers): a server
    that sent informational answers (102, 103) for ever would otherwise earn time for ever."""

    started: float
    most: int  # bytes that earn time
    moved: int = 0  # bytes sent and received so far, on the sockets

    def spent(self) -> float:
        return time.monotonic() - self.started

    def earned(self, counted: int = 0) -> float:
        """GRACE and the time the bytes moved have earned (`counted`: those known to have
        moved where no socket is timed, a test's MockTransport)."""
        return GRACE + min(max(self.moved, counted), self.most) / MIN_RATE

    def left(self) -> float:
        return self.earned() - self.spent()


_ALLOWANCE: ContextVar[_Allowance | None] = ContextVar("accord_answer", default=None)


@contextmanager
def _timed(most: int) -> Iterator[_Allowance]:
    allowance = _Allowance(time.monotonic(), most)
    token = _ALLOWANCE.set(allowance)
    try:
        yield allowance
    finally:
        _ALLOWANCE.reset(token)


def _wait(timeout: float | None, failure: type[Exception]) -> float | None:
    """How long one socket operation may wait: its own timeout, and no longer than the answer
    under way has left (none under way: its own)."""
    allowance = _ALLOWANCE.get()
    if allowance is None:
        return timeout
    left = allowance.left()
    if left <= 0:
        raise failure("the answer's time ran out")
    return left if timeout is None else min(timeout, left)


def _moved(count: int) -> None:
    allowance = _ALLOWANCE.get()
    if allowance is not None:
        allowance.moved += count


class _TimedStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self.inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data = self.inner.read(max_bytes, _wait(timeout, httpcore.ReadTimeout))
        _moved(len(data))
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        # In pieces, the time left checked before each. A plain socket's pieces go by
        # sendall, whose timeout bounds the whole call: the stream's own loop would give each
        # send() the whole wait again, and a reader opening its window a byte at a time would
        # stretch a piece for as long as it liked. A TLS socket's write of a piece runs
        # against one deadline already (CPython's ssl).
        sock = self.inner.get_extra_info("socket")
        plain = isinstance(sock, socket.socket) and not isinstance(sock, ssl.SSLSocket)
        for start in range(0, len(buffer), _PIECE):
            piece = buffer[start:start + _PIECE]
            wait = _wait(timeout, httpcore.WriteTimeout)
            if plain:
                try:
                    sock.settimeout(wait)
                    sock.sendall(piece)
                except TimeoutError:
                    raise httpcore.WriteTimeout("the answer's time ran out") from None
                except OSError as error:
                    raise httpcore.WriteError(str(error)) from None
            else:
                self.inner.write(piece, wait)
            _moved(len(piece))

    def close(self) -> None:
        self.inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        try:
            wait = _wait(timeout, httpcore.ConnectTimeout)
        except httpcore.ConnectTimeout:
            self.inner.close()
            raise
        return _TimedStream(self.inner.start_tls(ssl_context, server_hostname, wait))

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class _TimedBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self.inner = inner

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
                    ) -> httpcore.NetworkStream:
        # Each address on its own, within the time left: given the name, the socket module
        # would try every address the name has, each with the whole wait (a host name of
        # twenty unanswering addresses: twenty waits). TLS still checks the name: httpcore
        # hands start_tls the URL's host, not the address.
        options = list(socket_options or [])
        failure: Exception = httpcore.ConnectError(f"{host} has no address")
        for address in _addresses(host, port, timeout):
            try:
                return _TimedStream(self.inner.connect_tcp(
                    address, port, _wait(timeout, httpcore.ConnectTimeout), local_address,
                    options))
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        raise failure

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
                            ) -> httpcore.NetworkStream:
        return _TimedStream(self.inner.connect_unix_socket(
            path, _wait(timeout, httpcore.ConnectTimeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


def _addresses(host: str, port: int, timeout: float | None) -> list[str]:
    """The first _ADDRESSES addresses of `host`, as the system resolves it (its own timeouts
    bound the look-up)."""
    _wait(timeout, httpcore.ConnectTimeout)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:  # socket.gaierror among them
        raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in found))[:_ADDRESSES]


class TimedTransport(httpx.HTTPTransport):
    """httpx's transport, its sockets waiting no longer than the answer under way (`fetch`)
    has left; outside a `fetch`, as httpx's own."""

    def __init__(self, verify: ssl.SSLContext | bool = True, trust_env: bool = False) -> None:
        super().__init__(verify=verify, trust_env=trust_env)
        # httpx lets no network backend be named for its pool: the pool's own, wrapped.
        pool = self._pool
        pool._network_backend = _TimedBackend(pool._network_backend)  # type: ignore[union-attr]
