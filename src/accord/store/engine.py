"""Open the database a `--db` URL names, and bring its schema up to date.

SQLite is the embedded default; a `postgresql://` URL selects PostgreSQL through psycopg 3.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration under migrations/versions (a test keeps the two in step).
SCHEMA_REVISION = "0019"


class DatabaseUrlError(ValueError):
    """The --db value names no database Accord can use."""


def normalise_url(db: str) -> str:
    """Accept a plain path (SQLite file), `sqlite:///…` or `postgresql://…`."""
    if "://" not in db:
        return f"sqlite:///{db}"
    scheme = db.split("://", 1)[0]
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return "postgresql+psycopg://" + db.split("://", 1)[1]
    if scheme == "sqlite":
        return db
    raise DatabaseUrlError(f"unsupported database URL scheme {scheme!r}: use a file path, "
                           "sqlite:///PATH or postgresql://USER@HOST/DB")


def sqlite_file(db: str) -> Path | None:
    """The file a SQLite --db names (None for PostgreSQL or an in-memory database)."""
    url = make_url(normalise_url(db))
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def open_engine(db: str) -> Engine:
    url = make_url(normalise_url(db))
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    # pool_pre_ping: a pooled connection is checked (one round trip) before each use, and a
    # dead one replaced. After PostgreSQL restarts, or a firewall drops idle connections, the
    # pool holds only dead ones; without the check, the first requests after are the ones to
    # find out, with an error.
    return create_engine(url, pool_size=8, max_overflow=8, pool_pre_ping=True)


def _sqlite_engine(url: Any) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # 16 KiB pages (for new files; set before WAL, which fixes the size): objects of a few
        # KiB then rarely spill to overflow pages, and a bulk load writes ~20% faster.
        cursor.execute("PRAGMA page_size=16384")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Up to 256 MiB of page cache per connection, taken only as pages are read: bulk loads
        # update the id and value indexes at random places, and once those outgrow the cache
        # every insert reads pages back (1 M indicators: 16,600/s with 64 MiB).
        cursor.execute("PRAGMA cache_size=-262144")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A writer takes the write lock up front: two workers that both read first and then
        # write would otherwise deadlock on the lock upgrade and one would fail with BUSY.
        # Readers run each statement in SQLite's own implicit transaction: every read here is
        # one statement, and skipping BEGIN/ROLLBACK halves the cost of a small read.
        if conn.get_execution_options().get("accord_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif conn.get_execution_options().get("accord_snapshot"):
            conn.exec_driver_sql("BEGIN")

    return engine


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A connection in a write transaction: committed on success, rolled back on error."""
    with engine.connect().execution_options(accord_write=True) as conn, conn.begin():
        yield conn


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def schema_revision(engine: Engine) -> str | None:
    """The newest migration applied to the database; None for a new, empty database."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate(engine: Engine) -> None:
    """Apply every migration the database lacks (Alembic, versions under migrations/)."""
    if schema_revision(engine) == SCHEMA_REVISION:
        return  # the common case, checked without loading Alembic (a command starts faster)
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with writing(engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
