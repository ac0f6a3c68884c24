"""Reads from a PostgreSQL streaming replica (`accord serve --read-db URL`).

`ReplicatedEngine` stands where the primary's engine stood, so the stores and the domain never
know a replica exists: a connection asked for while reads may go to the replica (the HTTP edge
allows it for read-only requests, see serving.read_your_writes) comes from the replica; every
other one, and every write (`store.engine.writing`, `begin`), from the primary. When the
replica cannot be reached, reads go to the primary for a while, and a log line says so.

WAL positions (LSNs) are what read-your-writes compares: the primary's after a write, the
replica's replayed position before a read.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine.base import OptionEngine
from sqlalchemy.exc import DBAPIError

log = logging.getLogger("accord.replica")

# How long reads stay on the primary after the replica failed to answer: long enough not to
# try a dead host on every request, short enough that a restarted replica is soon used again.
DOWN_FOR = 5.0

_LSN = re.compile(r"^([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})$")


class LsnError(ValueError):
    """A text that is no PostgreSQL WAL position (pg_lsn: two hex numbers, "16/B374D848")."""


def parse_lsn(text: str) -> int:
    """A WAL position as a number, so that positions compare (pg_lsn's text form)."""
    found = _LSN.match(text.strip())
    if found is None:
        raise LsnError(f"{text!r} is not a WAL position such as 16/B374D848")
    return (int(found.group(1), 16) << 32) | int(found.group(2), 16)


def format_lsn(lsn: int) -> str:
    """The pg_lsn text of a position (parse_lsn's inverse)."""
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


# Whether connections asked for now may come from the replica: False unless a read-only HTTP
# request set it (background work, the CLI and every write use the primary).
_replica_allowed: ContextVar[bool] = ContextVar("accord_replica_allowed", default=False)
# The WAL position those reads must see (0: any): the client's latest write.
_reads_after: ContextVar[int] = ContextVar("accord_reads_after", default=0)


@contextmanager
def replica_reads(allowed: bool = True, *, after: int = 0) -> Iterator[None]:
    """Within this block (and the threads it hands work to), reads may use the replica, each
    connection to it only if it has replayed up to `after`."""
    allowed_token = _replica_allowed.set(allowed)
    after_token = _reads_after.set(after)
    try:
        yield
    finally:
        _reads_after.reset(after_token)
        _replica_allowed.reset(allowed_token)


@dataclass
class WriteMark:
    """Set once the work within `watching_writes` opened a write transaction on the primary
    (`store.engine.writing`): its reads go to the primary from then on, where that write is
    (a read that makes what it lacks, and reads it back, e.g. a node's first signing key),
    and its client's reads afterwards wait for the replica to have it."""

    wrote: bool = False


_write_mark: ContextVar[WriteMark | None] = ContextVar("accord_write_mark", default=None)


@contextmanager
def watching_writes() -> Iterator[WriteMark]:
    """Note whether the work in this block (and the threads it hands work to) wrote."""
    mark = WriteMark()
    token = _write_mark.set(mark)
    try:
        yield mark
    finally:
        _write_mark.reset(token)


def _note_write(conn: Connection) -> None:
    if conn.get_execution_options().get("accord_write"):
        mark = _write_mark.get()
        if mark is not None:
            mark.wrote = True


def _has_written() -> bool:
    mark = _write_mark.get()
    return mark is not None and mark.wrote


class ReplicatedEngine(OptionEngine):
    """The primary's engine (same pool, dialect and events), whose reads may go to a replica."""

    def __init__(self, primary: Engine, replica: Engine, *, down_for: float = DOWN_FOR,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(primary, {})
        self.primary = primary
        self.replica = replica
        self._down_for = down_for
        self._clock = clock
        self._down_until = 0.0
        self._lock = threading.Lock()
        self._replayed = 0  # the furthest position the replica was seen to have replayed
        # Whether the replica was seen to hold this very database (`mismatch`): checked on
        # its first connection that answers; a reason here sends every read to the primary.
        self._matched = False
        self._refused: str | None = None
        event.listen(primary, "begin", _note_write)

    # -- routing -------------------------------------------------------------------------

    def connect(self) -> Connection:
        if _replica_allowed.get() and not _has_written() and self.is_replica_up() \
                and self._refused is None:
            try:
                conn = self.replica.connect()
                if not self._matched and not self._matches(conn):
                    conn.close()
                    return self.primary.connect()
                after = _reads_after.get()
                # Checked on this very connection, in the transaction its reads then use:
                # behind a pooler or a balancer, --read-db may be several replicas, each
                # at its own position.
                if not after or self.replayed_on(conn) >= after:
                    return conn
                conn.close()
            except DBAPIError as error:
                self.replica_failed(error)
        return self.primary.connect()

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        # A transaction block may write: always the primary.
        with self.primary.connect().execution_options(accord_write=True) as conn, \
                conn.begin():
            yield conn

    def dispose(self, close: bool = True) -> None:
        self.replica.dispose(close)
        self.primary.dispose(close)

    # -- health --------------------------------------------------------------------------

    def is_replica_up(self) -> bool:
        return self._clock() >= self._down_until

    def replica_failed(self, error: BaseException) -> None:
        """The replica did not answer: reads use the primary for `down_for` seconds."""
        with self._lock:
            was_up = self.is_replica_up()
            self._down_until = self._clock() + self._down_for
        if was_up:
            log.warning("read replica unreachable (%s): reads go to the primary; trying the "
                        "replica again in %.0f s", _first_line(error), self._down_for)

    def replica_answers(self) -> bool:
        """Ask the replica now (e.g. at start, to say so if it is away)."""
        try:
            with self.replica.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except DBAPIError as error:
            self.replica_failed(error)
            return False
        return True

    # -- which database ------------------------------------------------------------------

    def mismatch(self) -> str | None:
        """Why the replica is not a copy of the primary's database, in words; None when it
        is (or cannot be asked now: then it is asked again at its first use).

        A --read-db naming another node's database would serve that node's collections and
        let its tokens in, and its WAL positions would mean nothing against the primary's:
        read-your-writes compares them. A streaming replica shares its primary's system
        identifier (pg_basebackup copies it), and is asked for the same database and schema.
        """
        try:
            with self.replica.connect() as conn:
                self._matches(conn)
        except DBAPIError as error:
            self.replica_failed(error)
        return self._refused

    def _matches(self, conn: Connection) -> bool:
        if conn.dialect.name != "postgresql":  # --read-db is PostgreSQL's (tests use SQLite)
            self._matched = True
            return True
        with self.primary.connect() as primary:
            wanted = _whose(primary)
        found = _whose(conn)
        problem = _differs(found, wanted)
        if problem is None:
            self._matched = True
            return True
        if self._refused is None:
            log.error("--read-db is not a replica of --db (%s): every read goes to the "
                      "primary", problem)
        self._refused = problem
        return False

    # -- WAL positions -------------------------------------------------------------------

    def primary_position(self) -> int:
        """The primary's WAL position: every transaction committed so far is below it."""
        with self.primary.connect() as conn:
            # The insert position, not pg_current_wal_lsn (what is written out): with
            # synchronous_commit off, a commit may still wait in the WAL buffers, beyond it.
            return parse_lsn(str(conn.exec_driver_sql("SELECT pg_current_wal_insert_lsn()::text")
                                 .scalar_one()))

    def has_replayed(self, lsn: int) -> bool | None:
        """Whether the replica has replayed the WAL up to `lsn` (its reads then show every
        write before it); None when the replica cannot be asked."""
        if self._replayed >= lsn:
            return True  # replay only moves forward: no need to ask again
        if not self.is_replica_up():
            return None
        try:
            with self.replica.connect() as conn:
                replayed = self.replayed_on(conn)
        except DBAPIError as error:
            self.replica_failed(error)
            return None
        return replayed >= lsn

    def replayed_on(self, conn: Connection) -> int:
        """How far the replica behind `conn` has replayed the WAL (0: not yet streaming)."""
        text = conn.exec_driver_sql(
            # A --read-db that is no standby (a primary behind a pooler, say) has nothing to
            # replay: it is as current as it gets.
            "SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
            "ELSE pg_current_wal_lsn() END)::text").scalar()
        if text is None:  # a standby still restoring from an archive, not yet streaming
            return 0
        replayed = parse_lsn(str(text))
        with self._lock:
            self._replayed = max(self._replayed, replayed)
        return replayed


@dataclass(frozen=True, slots=True)
class _Whose:
    cluster: int
    database: str
    schema: str


def _whose(conn: Connection) -> _Whose:
    row = conn.exec_driver_sql(
        "SELECT (SELECT system_identifier FROM pg_control_system()), current_database(), "
        "current_schema()").one()
    return _Whose(int(row[0]), str(row[1]), str(row[2]))


def _differs(replica: _Whose, primary: _Whose) -> str | None:
    if replica.cluster != primary.cluster:
        return (f"it is another PostgreSQL cluster (system identifier {replica.cluster}, the "
                f"primary's {primary.cluster}): a streaming replica is made from the primary "
                "with pg_basebackup")
    if replica.database != primary.database:
        return (f"it names database {replica.database!r}, and --db {primary.database!r}: "
                "name the same database on the replica")
    if replica.schema != primary.schema:
        return (f"its tables are looked for in schema {replica.schema!r}, and the primary's "
                f"in {primary.schema!r}: give both URLs the same search_path")
    return None


def primary_of(engine: Engine) -> Engine:
    """The engine writes go to (the engine itself when it has no replica)."""
    return engine.primary if isinstance(engine, ReplicatedEngine) else engine


def _first_line(error: BaseException) -> str:
    orig: Any = getattr(error, "orig", None) or error
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
