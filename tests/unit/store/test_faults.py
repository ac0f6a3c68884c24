"""Which database failures are the operator's (storage full, database away), and how each is
answered."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from accord.store.faults import Fault, storage_fault


def _sqlite(code: int, message: str) -> OperationalError:
    cause = sqlite3.OperationalError(message)
    cause.sqlite_errorcode = code  # type: ignore[attr-defined]  (set by sqlite3 when raised)
    return OperationalError("INSERT …", {}, cause)


@pytest.mark.parametrize(("error", "kind", "status"), [
    (_sqlite(13, "database or disk is full"), Fault.UNWRITABLE, 507),
    (_sqlite(778, "disk I/O error"), Fault.UNWRITABLE, 507),  # SQLITE_IOERR_WRITE
    (_sqlite(5, "database is locked"), Fault.UNREACHABLE, 503),
    (OperationalError("SELECT 1", {}, psycopg.OperationalError(
        "connection failed: Connection refused")), Fault.UNREACHABLE, 503),
    (OperationalError("INSERT …", {}, psycopg.errors.DiskFull(
        "could not extend file: No space left on device")), Fault.UNWRITABLE, 507),
    (OperationalError("SELECT 1", {}, psycopg.errors.AdminShutdown(
        "terminating connection due to administrator command")), Fault.UNREACHABLE, 503),
    (PoolTimeout("QueuePool limit reached"), Fault.UNREACHABLE, 503),
])
def test_the_operators_faults_are_told_apart(error, kind, status):
    fault = storage_fault(error)
    assert fault is not None and fault.kind is kind and fault.status == status
    assert ("Retry-After" in fault.headers) is (status == 503)
    assert fault.reason in fault.words and "nothing of this request" in fault.words


@pytest.mark.parametrize("error", [
    _sqlite(1, "no such table: objects"),  # a bug of ours, not the operator's
    IntegrityError("INSERT …", {}, sqlite3.IntegrityError("UNIQUE constraint failed")),
    IntegrityError("INSERT …", {}, psycopg.errors.UniqueViolation("duplicate key")),
    ValueError("not a database error"),
])
def test_anything_else_is_not_classified(error):
    assert storage_fault(error) is None


def test_a_database_read_only_for_its_user_is_told_from_a_full_disk():
    read_only = storage_fault(_sqlite(8, "attempt to write a readonly database"))
    full = storage_fault(_sqlite(13, "database or disk is full"))
    assert read_only is not None and read_only.is_read_only
    assert full is not None and not full.is_read_only
