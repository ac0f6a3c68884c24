"""Which requests read from the replica, and how a writer still reads its own writes.

Only read-only requests (GET, HEAD, OPTIONS) may read from the replica; everything else uses
the primary. After a request that wrote, the primary's WAL position is remembered for its
client: in the `accord_lsn` cookie (browsers, and clients that keep cookies, whichever host
answers next) and, per token, in this process (API clients that keep none). Before a read for
a client with such a position, the replica is asked whether it has replayed that far; it is
given a short while to (`wait`), then the read goes to the primary. A replica that does not
answer sends the read to the primary too (store.replica logs it); never an error.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio
import anyio.to_thread
from sqlalchemy.exc import DBAPIError
from starlette.requests import cookie_parser

from accord.store.replica import (
    LsnError,
    ReplicatedEngine,
    format_lsn,
    parse_lsn,
    replica_reads,
    watching_writes,
)

log = logging.getLogger("accord.replica")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "accord_lsn"
READ_ONLY = frozenset({"GET", "HEAD", "OPTIONS"})
# On loopback or a LAN a replica replays a commit within milliseconds; a replica further
# behind than this is better skipped than waited for.
WAIT = 0.5
POLL = 0.01
# The cookie outlives any sane replication delay; then it is noise and the browser drops it.
COOKIE_AGE = 300


class WritePositions:
    """Per client (a digest of its Authorization header): the WAL position after its latest
    write, kept as long as the cookie. Bounded: the least recently written clients are
    forgotten first."""

    def __init__(self, limit: int = 10_000, keep: float = COOKIE_AGE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = limit
        self._keep = keep
        self._clock = clock
        self._positions: OrderedDict[str, tuple[int, float]] = OrderedDict()

    def remember(self, client: str, lsn: int) -> None:
        self._positions[client] = (max(lsn, self.after(client)), self._clock())
        self._positions.move_to_end(client)
        while len(self._positions) > self._limit:
            self._positions.popitem(last=False)

    def after(self, client: str) -> int:
        """The position the client's reads must see (0: none, or long replayed)."""
        lsn, at = self._positions.get(client, (0, 0.0))
        return lsn if self._clock() - at < self._keep else 0


def client_of(headers: list[tuple[bytes, bytes]]) -> str | None:
    """Who the request comes from, for remembering its writes: its credential, digested."""
    for name, value in headers:
        if name == b"authorization" and value:
            return hashlib.sha256(value).hexdigest()
    return None


def cookie_position(headers: list[tuple[bytes, bytes]]) -> int:
    """The position in the request's `accord_lsn` cookie (0: none, or not a position)."""
    for name, value in headers:
        if name == b"cookie":
            found = cookie_parser(value.decode("latin-1")).get(COOKIE)
            if found:
                try:
                    return parse_lsn(found)
                except LsnError:
                    return 0  # a mangled cookie costs only the replica's use
    return 0


def position_cookie(lsn: int, *, secure: bool) -> str:
    # Written by hand: http.cookies would quote the value for its "/", valid in a cookie
    # (RFC 6265 §4.1.1 cookie-octet).
    return (f"{COOKIE}={format_lsn(lsn)}; Path=/; Max-Age={COOKIE_AGE}; HttpOnly; SameSite=Lax"
            + ("; Secure" if secure else ""))


class ReadYourWrites:
    """ASGI middleware: route each request's reads, remember each writer's position."""

    def __init__(self, app: App, engine: ReplicatedEngine, *, wait: float = WAIT,
                 poll: float = POLL, positions: WritePositions | None = None) -> None:
        self.app = app
        self.engine = engine
        self.wait = wait
        self.poll = poll
        self.positions = positions if positions is not None else WritePositions()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        client = client_of(headers)
        on_replica, needed = False, 0
        if scope["method"] in READ_ONLY:
            needed = max(cookie_position(headers),
                         self.positions.after(client) if client else 0)
            on_replica = await self.replica_has(needed)
        with replica_reads(on_replica, after=needed), watching_writes() as mark:

            async def noting_position(message: Message) -> None:
                if message["type"] == "http.response.start" and mark.wrote:
                    message["headers"] = [*message.get("headers", []), *(
                        await self.position_headers(client, scope.get("scheme") == "https"))]
                await send(message)

            await self.app(scope, receive, noting_position)

    async def replica_has(self, lsn: int) -> bool:
        """Whether reads needing position `lsn` may go to the replica: at once when it has
        replayed that far, after a bounded wait when it gets there, else not."""
        if not lsn:
            return self.engine.is_replica_up()
        deadline = time.monotonic() + self.wait
        while True:
            replayed = await anyio.to_thread.run_sync(self.engine.has_replayed, lsn)
            if replayed:
                return True
            if replayed is None:
                return False  # unreachable: store.replica logged it
            if time.monotonic() >= deadline:
                log.info("read replica has not replayed %s after %.2f s: this read goes to "
                         "the primary", format_lsn(lsn), self.wait)
                return False
            await anyio.sleep(self.poll)

    async def position_headers(self, client: str | None, secure: bool
                               ) -> list[tuple[bytes, bytes]]:
        try:
            lsn = await anyio.to_thread.run_sync(self.engine.primary_position)
        except DBAPIError as error:  # the write is done; only its position is unknown
            log.warning("could not read the primary's WAL position after a write: %s", error)
            return []
        if client:
            self.positions.remember(client, lsn)
        return [(b"set-cookie", position_cookie(lsn, secure=secure).encode("latin-1"))]
