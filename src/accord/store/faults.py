"""What a failure of the database means to whoever asked: its storage cannot take more (full,
or failing to write), or the database cannot be reached just now. Either is the operator's to
fix, not a fault in Accord: the edges answer it in plain words (507 or 503 over HTTP, a line
on the command line) and log one line, not a traceback. Anything else is not classified here.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from enum import Enum

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout


class Fault(Enum):
    UNWRITABLE = "unwritable"  # the disk is full, or writing to it fails
    UNREACHABLE = "unreachable"  # the database is down, restarting, locked or unreachable


@dataclass(frozen=True, slots=True)
class StorageFault:
    kind: Fault
    reason: str  # the database's own words, e.g. "database or disk is full"

    @property
    def is_read_only(self) -> bool:
        """Whether the storage refused because it may not be written (a file or folder
        read-only for this user), not because it is full or failing."""
        return self.kind is Fault.UNWRITABLE and "readonly" in self.reason.replace("-", "")

    @property
    def status(self) -> int:
        """The HTTP status that says it: 507 Insufficient Storage (RFC 4918 §11.5), or 503."""
        return 507 if self.kind is Fault.UNWRITABLE else 503

    @property
    def headers(self) -> dict[str, str]:
        """A database away is soon back: clients may retry after a few seconds (RFC 9110
        §10.2.3); a full disk waits for its operator."""
        return {"Retry-After": "5"} if self.kind is Fault.UNREACHABLE else {}

    @property
    def words(self) -> str:
        """What happened, for a person: nothing of the request was stored."""
        if self.kind is Fault.UNWRITABLE:
            return (f"this node's storage cannot take more ({self.reason}): nothing of this "
                    "request was stored; try again once its operator has freed space")
        return (f"this node's database cannot be reached just now ({self.reason}): nothing of "
                "this request was done; try again in a few seconds")


# SQLite's primary result codes (sqlite3.h) for what is not Accord's fault.
_SQLITE_UNWRITABLE = {8: "read-only", 10: "I/O error", 13: "full"}  # READONLY, IOERR, FULL
_SQLITE_UNREACHABLE = {5, 6, 14}  # BUSY (past busy_timeout), LOCKED, CANTOPEN
_PG_DISK_FULL = "53100"


def storage_fault(error: BaseException) -> StorageFault | None:
    """The fault `error` reports, or None if it is not one of these."""
    if isinstance(error, PoolTimeout):  # every connection busy past the pool's timeout
        return StorageFault(Fault.UNREACHABLE, "no database connection free")
    if not isinstance(error, DBAPIError):
        return None
    cause = error.orig
    reason = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    if isinstance(cause, sqlite3.Error):
        code = getattr(cause, "sqlite_errorcode", None)
        primary = None if code is None else code & 0xFF
        if primary in _SQLITE_UNWRITABLE:
            return StorageFault(Fault.UNWRITABLE, reason)
        if primary in _SQLITE_UNREACHABLE:
            return StorageFault(Fault.UNREACHABLE, reason)
        return None
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return None
    if isinstance(cause, psycopg.OperationalError) or error.connection_invalidated:
        # psycopg raises OperationalError for what concerns the server or the connection
        # (refused, closed, shut down, out of resources), never for a bad statement.
        if getattr(cause, "sqlstate", None) == _PG_DISK_FULL:
            return StorageFault(Fault.UNWRITABLE, reason)
        return StorageFault(Fault.UNREACHABLE, reason)
    return None


class FaultLog:
    """Logs storage faults one line each, at most one line per `every` seconds: a database
    away for a minute under load must not write a line (or a traceback) per request."""

    def __init__(self, logger: logging.Logger, every: float = 10.0) -> None:
        self.logger, self.every = logger, every
        self._lock = threading.Lock()
        self._last = -every
        self._quiet = 0

    def note(self, fault: StorageFault, what: str) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last < self.every:
                self._quiet += 1
                return
            quiet, self._quiet, self._last = self._quiet, 0, now
        self.logger.warning("%s: the database is %s (%s)%s", what, fault.kind.value,
                            fault.reason,
                            f"; {quiet} more like it since the last line" if quiet else "")


_LOG = FaultLog(logging.getLogger("accord"))


def noted(error: BaseException, what: str) -> StorageFault | None:
    """The fault `error` reports, logged (throttled) with `what` was being done; None if
    `error` is no such fault."""
    fault = storage_fault(error)
    if fault is not None:
        _LOG.note(fault, what)
    return fault
