"""A node whose database connections were cut (PostgreSQL restarted, a proxy or firewall
dropped them while the node was quiet) uses fresh ones at once: the first request after does
not fail on a dead pooled connection."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text
from tests.conftest import PG_ADMIN_URL

from accord.store.engine import open_engine


@pytest.mark.postgres
def test_a_pooled_connection_cut_meanwhile_is_replaced_before_use(pg_url):
    engine = open_engine(pg_url)
    try:
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        # Only this test's own connection: the shared server and its other clients go on.
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
