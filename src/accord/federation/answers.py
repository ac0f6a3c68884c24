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
- GRACE seconds plus its length at MIN_RATE (the server's own rule for a request body,
  docs/limits.md): a large answer may take its time, a trickle may not. The clock runs from
  the request's first step, and holds every byte either way: the connection, the TLS
  handshake, the request sent, the status line and headers, the body. A socket's own timeout
  bounds only the wait for each byte, so a peer that sent its headers a byte every 29 s would
  otherwise hold the round for days; every connection to a peer is made through a
  TimedTransport, whose sockets wait no longer than the answer has left.

Answers are asked for uncompressed, and one compressed all the same is refused: what a
compressed answer costs is not what arrives (a brotli answer of 1.6 KB inflated to 1 GiB in
one read, before anything here could count it; deflate's empty blocks inflate to nothing, so
an answer could arrive for ever with nothing to time).
"""

from __future__ import annotations

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
    with _timed() as allowance:
        try:
            with client.stream(method, url, params=params, content=content, headers=asked,
                               **extra) as answer:
                return _read(client, url, answer, most_bytes, allowance)
        except httpx.TimeoutException:
            if allowance.left() > 0.01:
                raise  # one wait ran out (the client's timeout), not the answer's time
            raise AnswerRefused(f"{_where(client, url)} had not answered whole after "
                                f"{allowance.spent():.1f} s: too slowly (this node waits "
                                f"{GRACE:g} s plus what is exchanged at "
                                f"{MIN_RATE // 1024} KiB/s)") from None


def _read(client: httpx.Client, url: str, answer: httpx.Response, most_bytes: int,
          allowance: _Allowance) -> Answer:
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
        if allowance.spent() > GRACE + size / MIN_RATE:  # (sockets not timed: MockTransport)
            raise AnswerRefused(f"{_where(client, url)} sent {size:,} bytes in "
                                f"{allowance.spent():.1f} s: too slowly (this node waits "
                                f"{GRACE:g} s plus its length at {MIN_RATE // 1024} KiB/s)")
        chunks.append(chunk)
    return Answer(answer.status_code, answer.headers, b"".join(chunks))


def _where(client: httpx.Client, url: str) -> str:
    return str(client.base_url.join(url))


@dataclass(slots=True)
class _Allowance:
    """The time one answer has: GRACE from its start, and more for each byte moved."""

    started: float
    moved: int = 0  # bytes sent and received so far

    def spent(self) -> float:
        return time.monotonic() - self.started

    def left(self) -> float:
        return GRACE + self.moved / MIN_RATE - self.spent()


_ALLOWANCE: ContextVar[_Allowance | None] = ContextVar("accord_answer", default=None)


@contextmanager
def _timed() -> Iterator[_Allowance]:
    allowance = _Allowance(time.monotonic())
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
        # In pieces: the stream's own loop would give each send the whole wait again.
        for start in range(0, len(buffer), _PIECE):
            piece = buffer[start:start + _PIECE]
            self.inner.write(piece, _wait(timeout, httpcore.WriteTimeout))
            _moved(len(piece))

    def close(self) -> None:
        self.inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _TimedStream(self.inner.start_tls(
            ssl_context, server_hostname, _wait(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class _TimedBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self.inner = inner

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
                    ) -> httpcore.NetworkStream:
        return _TimedStream(self.inner.connect_tcp(
            host, port, _wait(timeout, httpcore.ConnectTimeout), local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
                            ) -> httpcore.NetworkStream:
        return _TimedStream(self.inner.connect_unix_socket(
            path, _wait(timeout, httpcore.ConnectTimeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class TimedTransport(httpx.HTTPTransport):
    """httpx's transport, its sockets waiting no longer than the answer under way (`fetch`)
    has left; outside a `fetch`, as httpx's own."""

    def __init__(self, verify: ssl.SSLContext | bool = True, trust_env: bool = False) -> None:
        super().__init__(verify=verify, trust_env=trust_env)
        # httpx lets no network backend be named for its pool: the pool's own, wrapped.
        pool = self._pool
        pool._network_backend = _TimedBackend(pool._network_backend)  # type: ignore[union-attr]
