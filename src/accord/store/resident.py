"""The connection a server's event loop keeps from one request to the next.

A TAXII read takes one pooled connection for its statements (`store.engine.one_connection`);
checking it out of SQLAlchemy's pool and in again cost a read of one object a sixth of its
server CPU once the statements themselves were cheap (bench/README.md, "CPU a request"). The
event loop serves its requests' reads one block at a time, so the thread that runs it may keep
the connection between blocks instead: `keep_resident` (the app's lifespan, in that thread)
starts it, `release_resident` (at shutdown) returns it to the pool.

On SQLite too: once its statements ran on sqlite3's cursor (store.direct), the checkout and
return were a fifth of a read by id in process (bench/README.md, "GET by id on SQLite").

Kept only for a plain engine (not one that sends reads to a replica, which picks a connection
per request), only in that thread, only when idle (a block that begins while another holds it
takes one from the pool), and only while healthy: a PostgreSQL connection is checked before
each use as a pooled connection is at checkout (`store.engine`: its socket polled, a round
trip after RESTED), replaced when dead; either is given back to the pool if it failed or is in
a transaction (a SQLite connection in one would keep reading the snapshot it began with).
A SQLite statement left unfinished holds its snapshot too, and sqlite3 does not show it: every
read here consumes its rows (`.all()`, `.first()`, store.direct's fetchall) and frees its
cursor, as it did when a pooled connection's ROLLBACK, a no-op outside a transaction, was no
guard either; a test holds WAL checkpoints free after the reads of a server's loop.
"""

from __future__ import annotations

import select
import threading
import time
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine

# A pooled connection that rested longer than this is asked (one round trip) before its next
# use: a firewall or a proxy that drops quiet connections does so silently, after minutes.
RESTED = 5.0


class _Resident:
    __slots__ = ("busy", "conn", "since", "thread")

    def __init__(self, thread: int) -> None:
        self.thread = thread
        self.conn: Connection | None = None
        self.since = 0.0  # when it was last given back
        self.busy = False


_residents: WeakKeyDictionary[Engine, _Resident] = WeakKeyDictionary()


def keep_resident(engine: Engine) -> None:
    """From now on, the calling thread's `one_connection` blocks keep their connection to
    `engine` for the next block (a plain PostgreSQL or SQLite engine; one that sends reads to
    a replica is left as it is)."""
    if engine.dialect.name not in ("postgresql", "sqlite") \
            or getattr(engine, "primary", engine) is not engine:
        return
    _residents[engine] = _Resident(threading.get_ident())


def release_resident(engine: Engine) -> None:
    """Stop keeping one; the connection kept goes back to the pool."""
    resident = _residents.pop(engine, None)
    if resident is not None and resident.conn is not None:
        resident.conn.close()
        resident.conn = None


Taken = tuple[Connection, "_Resident | None"]


def take(engine: Engine, fresh: Callable[[], Connection]) -> Taken:
    """A connection for a block: the one kept, if it may be used, else `fresh()`."""
    resident = _residents.get(engine)
    if resident is None or resident.busy or resident.thread != threading.get_ident():
        return fresh(), None
    conn, resident.conn = resident.conn, None
    if conn is not None and not _is_alive(conn, resident.since):
        conn.invalidate()  # the pool makes a new one in its place
        conn.close()
        conn = None
    resident.busy = True
    if conn is None:
        try:
            conn = fresh()
        except BaseException:
            resident.busy = False
            raise
    return conn, resident


def give_back(taken: Taken) -> None:
    """The block ended: keep its connection for the next if it is clean, else return it."""
    conn, resident = taken
    if resident is None:
        conn.close()
        return
    resident.busy = False
    if _residents.get(conn.engine) is not resident or not _is_clean(conn):
        conn.close()
        return
    if conn.in_transaction():  # SQLAlchemy's own; the driver, in autocommit, has none
        conn.rollback()
    resident.conn, resident.since = conn, time.monotonic()


def _is_alive(conn: Connection, since: float) -> bool:
    """The pool's check at checkout (store.engine): a socket with something to read (the
    server's goodbye) is dead; one that rested longer than RESTED is asked. A SQLite
    connection is a file opened in this process: nothing to ask."""
    if conn.dialect.name == "sqlite":
        return True
    driver: Any = conn.connection.driver_connection
    if has_unread(driver):
        return False
    if time.monotonic() - since < RESTED:
        return True
    try:
        return bool(conn.dialect.do_ping(driver))
    except conn.dialect.loaded_dbapi.Error:
        return False


def _is_clean(conn: Connection) -> bool:
    if conn.closed or conn.invalidated:
        return False
    driver: Any = conn.connection.driver_connection
    if conn.dialect.name == "sqlite":
        # Outside any transaction a BEGIN opened (store.engine._on_begin: snapshots, writes).
        try:
            return not driver.in_transaction
        except driver.Error:  # closed under SQLAlchemy: not to be kept, nor to fail here
            return False
    # Idle, outside any transaction, reads only (autocommit, as store.engine.reading made it).
    return (not driver.closed and driver.autocommit
            and driver.info.transaction_status.name == "IDLE")  # psycopg.pq.TransactionStatus


def has_unread(dbapi_connection: Any) -> bool:
    """Whether a resting connection's socket holds something to read (or is closed): a
    healthy idle PostgreSQL session is sent nothing, a session the server ended is sent its
    reason and then end-of-file."""
    try:
        if dbapi_connection.closed:
            return True
        poller = select.poll()
        poller.register(dbapi_connection.fileno(), select.POLLIN)
    except Exception:  # no socket to look at: ask the server
        return True
    return bool(poller.poll(0))
