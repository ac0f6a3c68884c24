"""Fixtures shared by every layer: databases on both backends, and a ready node."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
PG_ADMIN_URL = os.environ.get("ACCORD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_reason() -> str | None:
    """None when the test PostgreSQL server answers, else why it cannot be used."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL.replace("postgresql://", "postgresql://", 1),
                             connect_timeout=3):
            return None
    except Exception as error:  # any failure means: no server for these tests
        return f"no PostgreSQL server reachable at {PG_ADMIN_URL}: {error}"


_PG_UNAVAILABLE = _pg_reason()
_BACKENDS = ("sqlite", "postgresql")


def backends() -> list[object]:
    """The backends that tests taking a database run on: both, or those that
    ACCORD_TEST_BACKENDS names (comma-separated), e.g. `postgresql` for a run on PostgreSQL
    alone; a PostgreSQL one carries the `postgres` mark."""
    named = [name.strip() for name in os.environ.get("ACCORD_TEST_BACKENDS", "").split(",")
             if name.strip()] or list(_BACKENDS)
    if unknown := sorted(set(named) - set(_BACKENDS)):
        raise pytest.UsageError(f"ACCORD_TEST_BACKENDS names {', '.join(unknown)}: the "
                                f"backends are {', '.join(_BACKENDS)}")
    return [name if name == "sqlite" else pytest.param(name, marks=pytest.mark.postgres)
            for name in _BACKENDS if name in named]


@contextmanager
def fresh_pg_schema(prefix: str) -> Iterator[str]:
    """A URL to a new, empty schema in the test PostgreSQL database; dropped afterwards.

    Skips the calling test, saying why, when no server is reachable.
    """
    if _PG_UNAVAILABLE:
        pytest.skip(_PG_UNAVAILABLE)
    import psycopg

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="session")
def pg_schemas() -> Callable[[str], AbstractContextManager[str]]:
    """For fixtures of any scope (e.g. a session-wide server): fresh_pg_schema itself."""
    return fresh_pg_schema


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_pg_schema("t") as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return str(tmp_path / "accord.db")


@pytest.fixture(params=backends())
def db_url(request: pytest.FixtureRequest) -> str:
    """Each test that takes this runs once on SQLite and once on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(name))


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say how a run differs from the default: one backend, several server processes."""
    said = []
    if os.environ.get("ACCORD_TEST_BACKENDS"):
        said.append(f"backends: {os.environ['ACCORD_TEST_BACKENDS']} (ACCORD_TEST_BACKENDS)")
    if os.environ.get("ACCORD_TEST_SERVERS", "1") != "1":
        said.append(f"accord serve processes behind each end-to-end server: "
                    f"{os.environ['ACCORD_TEST_SERVERS']} (ACCORD_TEST_SERVERS)")
    return said
