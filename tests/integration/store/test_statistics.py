"""Planner statistics after `accord db migrate` and `accord restore` on PostgreSQL: without them
the first pages after a migration or a restore are planned as if every table were empty."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert
from tests.conftest import fresh_pg_schema
from tests.integration.store.migrating import upgrade

from accord.store.engine import SCHEMA_REVISION, known_revisions, migrate, open_engine, writing
from accord.store.pg_backup import PgToolsMissing, backup_pg, restore_pg
from accord.store.schema import collections

COLLECTIONS = 3


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    engine = open_engine(pg_url)
    yield engine
    engine.dispose()


def _add_collections(engine: Engine) -> None:
    with writing(engine) as conn:
        conn.execute(insert(collections), [
            {"id": f"c{n}", "title": f"t{n}", "description": "", "created": "2020-01-01T00:00:00Z"}
            for n in range(COLLECTIONS)])


def _never_analysed(engine: Engine) -> list[str]:
    """The schema's tables PostgreSQL has no statistics for (reltuples is -1 until the first
    ANALYZE or VACUUM, PostgreSQL 14 and later)."""
    with engine.connect() as conn:
        return list(conn.exec_driver_sql(
            "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
            "AND relkind = 'r' AND reltuples < 0 ORDER BY relname").scalars())


def _estimated_collections(engine: Engine) -> tuple[float, int]:
    """What the planner believes of `collections`: its row count, and how many of its columns
    have a pg_stats row."""
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT reltuples FROM pg_class WHERE oid = 'collections'::regclass").scalar_one()
        columns = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_stats WHERE schemaname = current_schema() "
            "AND tablename = 'collections'").scalar_one()
    return rows, columns


def test_migrating_a_postgresql_database_gathers_statistics_on_every_table(pg_engine: Engine):
    previous = known_revisions()[-2]
    upgrade(pg_engine, previous)
    _add_collections(pg_engine)
    assert _never_analysed(pg_engine), "the test needs tables without statistics to begin with"

    assert migrate(pg_engine) == previous

    assert _never_analysed(pg_engine) == []
    rows, columns = _estimated_collections(pg_engine)
    assert rows == COLLECTIONS
    assert columns >= 3  # id, title, created… each has its statistics


def test_restoring_a_postgresql_backup_gathers_statistics_on_every_table(
        pg_engine: Engine, pg_url: str, tmp_path: Path):
    migrate(pg_engine)
    _add_collections(pg_engine)
    file = tmp_path / "node.dump"
    try:
        backup_pg(pg_engine, pg_url, file)
    except PgToolsMissing as missing:
        pytest.skip(f"PostgreSQL's client tools are needed to back up and restore: {missing}")
    with fresh_pg_schema("t") as other_url:
        other = open_engine(other_url)
        try:
            restore_pg(other, other_url, file, known=known_revisions())

            assert _never_analysed(other) == []
            rows, columns = _estimated_collections(other)
            assert rows == COLLECTIONS
            assert columns >= 3
            with other.connect() as conn:
                assert conn.exec_driver_sql(
                    "SELECT version_num FROM alembic_version").scalar() == SCHEMA_REVISION
        finally:
            other.dispose()
