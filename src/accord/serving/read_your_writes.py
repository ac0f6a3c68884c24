"""Which requests read from the replica, and how a writer still reads its own writes.

Only read-only requests (GET, HEAD, OPTIONS) may read from the replica; everything else uses
the primary. After a request that wrote, the primary's WAL position is remembered for its
client: in the `accord_lsn` cookie (browsers, and clients that keep cookies) and, per
credential, in the primary (store.write_positions: API clients that keep none), so that
whichever host answers next knows it. Before a read for a client with such a position, the
replica is asked whether it has replayed that far; it is given a short while to (`wait`), then
the read goes to the primary. A replica that does not answer sends the read to the primary too
(store.replica logs it); never an error.

A read with a credential costs one primary-key read on the primary (the position); no copy is
kept in the process, as it could not know of the client's writes through other hosts.
"""

from __future__ import annotations

import hashlib
import logging
import time
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
from accord.store.write_positions import WritePositions

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
        self.positions = positions if positions is not None else WritePositions(
            engine.primary, keep=COOKIE_AGE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        client = client_of(headers)
        on_replica, needed = False, 0
        if scope["method"] in READ_ONLY and self.engine.is_replica_up():
            stored = await self.stored_position(client) if client else 0
            if stored is not None:
                needed = max(cookie_position(headers), stored)
                on_replica = await self.replica_has(needed)
        with replica_reads(on_replica, after=needed), watching_writes() as mark:

            async def noting_position(message: Message) -> None:
                if message["type"] == "http.response.start" and mark.wrote:
                    message["headers"] = [*message.get("headers", []), *(
                        await self.position_headers(client, scope.get("scheme") == "https"))]
                await send(message)

            await self.app(scope, receive, noting_position)

    async def stored_position(self, client: str) -> int | None:
        """The client's latest write position kept in the primary (None: unknown, as the
        primary did not answer; the read then goes to the primary)."""
        try:
            return await anyio.to_thread.run_sync(self.positions.after, client)
        except DBAPIError as error:
            log.warning("could not read a client's write position from the primary: %s",
                        error)
            return None

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
            try:
                await anyio.to_thread.run_sync(self.positions.remember, client, lsn)
            except DBAPIError as error:  # the cookie still carries it, for clients keeping it
                log.warning("could not keep a client's write position in the primary: %s",
                            error)
        return [(b"set-cookie", position_cookie(lsn, secure=secure).encode("latin-1"))]
