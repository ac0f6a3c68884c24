"""Fixtures of the store's integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from accord.store.audit_log import AuditLog
from accord.store.engine import open_engine, upgrade_in, writing


@pytest.fixture
def log(db_url: str) -> Iterator[AuditLog]:
    """An audit trail on a fresh schema, on each backend."""
    engine = open_engine(db_url)
    with writing(engine) as conn:
        upgrade_in(conn, "head")
    yield AuditLog(engine)
    engine.dispose()
