"""Many rows at once: what a batch of thousands of objects writes and looks up, at the speed each
backend allows. PostgreSQL: COPY, one `= ANY(array)` per look-up, fresh planner statistics
only when a table has grown enough to need them. SQLite: a plain executemany and IN lists.

SQLAlchemy's per-row parameter handling costs more than the inserts themselves, so the rows go
to the driver as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Connection, any_, bindparam

from accord.store.page_memo import note_written

_CHUNK = 500  # values per IN (…) list: well under SQLite's bound-parameter limit
# Below this many pages (64 KB) a table's statistics matter little: its scans are short anyway.
_WORTH_ANALYZING = 8


def insert_rows(conn: Connection, table: str, columns: Sequence[str],
                rows: Sequence[Sequence[Any]], types: Sequence[str] | None = None) -> None:
    """Insert `rows` (values in the order of `columns`) in the caller's transaction.

    `types`: the PostgreSQL types of the columns, for a binary COPY (needed for bytea, which
    text COPY would send hex-escaped at twice its size); None: text COPY, which PostgreSQL
    converts itself.
    """
    if not rows:
        return
    names = ", ".join(columns)
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})",
            list(rows))
        return
    note_written(conn, table)  # past SQLAlchemy's events: said here
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    binary = " (FORMAT BINARY)" if types is not None else ""
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN{binary}") as copy:
        if types is not None:
            copy.set_types(list(types))
        for row in rows:
            copy.write_row(row)


def among(conn: Connection, column: ColumnElement[Any], values: Sequence[Any]
          ) -> list[ColumnElement[bool]]:
    """Conditions that together select `column` in `values`: one per statement to run.

    PostgreSQL: one `= ANY(array)`, a single bound parameter however many values (an IN list of
    thousands is planned and sent parameter by parameter). SQLite: IN lists of at most _CHUNK.
    """
    if not values:
        return []
    if conn.dialect.name != "sqlite":
        return [column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))]
    return [column.in_(values[start:start + _CHUNK]) for start in range(0, len(values), _CHUNK)]


def among_bound(dialect: str, column: ColumnElement[Any], name: str) -> ColumnElement[bool]:
    """`column` in the values bound later as `name`, for a statement built once: `among`'s
    forms. PostgreSQL: one `= ANY(array)`, the same text whatever the number of values, so
    psycopg prepares it and PostgreSQL plans it once per connection (an IN list of each length
    is another statement, parsed and planned at each call). SQLite: an IN list (give it at most
    _CHUNK values)."""
    if dialect != "sqlite":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


def analyze_if_grown(conn: Connection, tables: Sequence[str]) -> None:
    """Fresh planner statistics for the tables whose files have doubled since their last
    ANALYZE, or that were never analysed and are now worth it (PostgreSQL only).

    Without statistics after a bulk load, PostgreSQL plans the next batch's look-ups as if the
    table were empty, and scans it; and it plans a page of a collection as if the collection
    held 0.5 % of the table (an equality's default selectivity): it sorts the whole collection
    for each page instead of walking the paging index (ATT&CK Enterprise posted in envelopes of
    500: 41 ms a page, 0.5 ms once analysed). Autovacuum would analyse within a minute, if it
    runs at all (it may be off). Called after every batch, however small: many small batches
    double a table as surely as one large one. Analysing after every batch would cost more,
    the larger the table; at each doubling, it happens a few dozen times in a table's life.
    Sizes, not the statistics collector's counts of changes: those arrive up to seconds late.
    """
    if conn.dialect.name == "sqlite":
        return
    grown = [
        name for name, pages, size in conn.exec_driver_sql(
            "SELECT relname, relpages, pg_relation_size(oid) / "
            "current_setting('block_size')::int FROM pg_class WHERE oid = ANY(%s::regclass[])",
            (list(tables),))
        # relpages is 0 for a table never analysed, or analysed empty.
        if size >= max(_WORTH_ANALYZING, 2 * pages)]
    if grown:
        conn.exec_driver_sql(f"ANALYZE {', '.join(grown)}")


def analyze_schema(conn: Connection) -> None:
    """Fresh planner statistics for every table of the connection's schema (PostgreSQL only),
    in the caller's transaction.

    After a migration (tables and indexes made or rewritten) or a restore (pg_restore does not
    restore statistics), PostgreSQL plans as if the tables were empty until autovacuum comes
    round: at 10 M objects the first pages after a migration took 34 s each. Only this
    schema's tables: a bare ANALYZE would read every schema of the database.
    """
    if conn.dialect.name == "sqlite":
        return
    tables = conn.exec_driver_sql(
        "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables "
        "WHERE schemaname = current_schema() ORDER BY tablename").scalars().all()
    if tables:
        conn.exec_driver_sql(f"ANALYZE {', '.join(tables)}")
