"""Whether what a `--db` names is a node, or may become one: a file that is SQLite, a schema
that exists, a database holding no other application's tables. Checked before anything is
written there, so that a mistyped --db changes nothing."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from sqlalchemy import Connection, inspect, text

from accord.store.urls import search_path_schema


class NoSuchDatabase(ValueError):
    """The --db value names a database that does not exist (yet)."""


class NotSqlite(ValueError):
    """The --db value names a file that is not a SQLite database."""


class ForeignTables(ValueError):
    """The database (or schema) holds no Accord schema but other tables: not Accord's to use."""


_SQLITE_HEADER = b"SQLite format 3\x00"
_SCHEMA_VERSION = "alembic_version"


def check_sqlite_file(path: Path) -> None:
    """Raise NotSqlite for a file that is there, holds bytes, and is not a SQLite database
    (SQLite would say so only at the first statement, and a command would fail midway), and
    ForeignTables for another application's database. Read only: opening it as a node would
    first switch it to WAL."""
    if path.exists() and not path.is_file():
        raise NotSqlite(f"{path} is not a regular file: name the node's database file with "
                        "--db")
    try:
        with path.open("rb") as file:
            head = file.read(len(_SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as error:
        raise NotSqlite(f"cannot read {path}: {error.strerror}") from None
    if head and head != _SQLITE_HEADER:
        raise NotSqlite(f"{path} is not a SQLite database (nor an Accord node): name the "
                        "node's database with --db")
    if head:
        tables = _sqlite_tables(path)
        if tables and _SCHEMA_VERSION not in tables:
            raise foreign(sorted(tables))


def _sqlite_tables(path: Path) -> set[str]:
    """The tables of a SQLite file, read without writing to it (a damaged file is not opened
    at all: opening it as a node would first switch it to WAL)."""
    try:
        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro",
                                                uri=True)) as conn:
            return {name for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%'")}
    except sqlite3.OperationalError:
        # Locked, or needing a write to be read (a crashed writer's WAL where the folder is
        # read-only): opening it decides, and a lock stops the switch to WAL as well.
        return set()
    except sqlite3.DatabaseError as error:  # "file is not a database", "malformed"
        raise NotSqlite(f"cannot read {path} as a SQLite database ({error}): name the node's "
                        "database with --db") from None


def require_schema(conn: Connection) -> None:
    """PostgreSQL: the schema the URL's search_path names must exist and be the one its
    connections work in (nothing is made in it otherwise, nor in the next one on the path;
    PostgreSQL's own words name no schema)."""
    current = conn.execute(text("SELECT current_schema()")).scalar()
    named = search_path_schema(conn.engine.url.render_as_string(hide_password=True))
    if current is None or (named is not None and current != named):
        raise NoSuchDatabase(f"the schema {named or 'public'!r} that the "
                             "URL's search_path names does not exist in that database: create "
                             "it first (CREATE SCHEMA), or name another")


def foreign_tables(conn: Connection) -> list[str]:
    """The tables of a database (PostgreSQL: of its schema) that holds no Accord schema:
    another application's, or what a failed tool left. Empty: Accord may make its own. An
    extension's own tables (PostGIS's spatial_ref_sys) are the extension's, not another
    application's."""
    if conn.dialect.name == "postgresql":
        names = conn.execute(text(
            "SELECT c.relname FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM "
            "pg_namespace WHERE nspname = current_schema()) AND c.relkind IN ('r', 'p', 'f') "
            "AND NOT c.relispartition AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE "
            "d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')")
        ).scalars().all()
    else:
        names = inspect(conn).get_table_names()
    return sorted(name for name in names
                  if name != _SCHEMA_VERSION and not name.startswith("sqlite_"))


def foreign(tables: list[str]) -> ForeignTables:
    shown = ", ".join(tables[:6]) + (f" and {len(tables) - 6} more" if len(tables) > 6 else "")
    return ForeignTables(
        f"this database holds tables that Accord did not make ({shown}) and no Accord "
        "schema: Accord keeps its tables in a database (PostgreSQL: or a schema, with "
        "?options=-csearch_path%3DNAME) of their own; name an empty one with --db")
