"""The hot reads' statements run on the driver's cursor, past SQLAlchemy's execution machinery.

Every TAXII read runs one or two small statements (the token with its grant, the objects).
On PostgreSQL, SQLAlchemy's execute — parameters built, the cached compilation looked up,
result metadata made from the cursor's description, events — cost four times the round trip
itself: 0.12 ms of CPU against 0.03 ms for the same prepared statement on the psycopg cursor
(bench/README.md, "CPU a request"). Here a Core statement is compiled once per dialect, its
SQL text and constant parameters kept, and each call binds the caller's values and reads the
rows as plain tuples.

Only what needs no help from SQLAlchemy takes this way: no expanding IN list, no parameter or
column type with a processor, an integer LIMIT rendered into the text. Anything else, and
SQLite (in process, where the machinery costs relatively little), runs through SQLAlchemy as
before. Errors are handed to SQLAlchemy's own handling, so they are the same `DBAPIError`s
(and a connection the server dropped is invalidated) whichever way a statement ran.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Integer, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.sql.compiler import SQLCompiler

from accord.store.engine import BINARY_ROWS


@dataclass(frozen=True, slots=True)
class _Plan:
    """A statement compiled for the driver: its SQL, the values SQLAlchemy bound itself
    (literals in the statement), the names the caller must bind, the LIMITs rendered into the
    text, and the shape of a row."""

    sql: str
    constants: Mapping[str, Any]
    required: frozenset[str]
    literal_limits: tuple[str, ...]
    binary: bool
    record: Any  # a namedtuple class named after the statement's columns

    def text_for(self, values: Mapping[str, Any]) -> str:
        sql = self.sql
        for name in self.literal_limits:
            sql = sql.replace(f"__[POSTCOMPILE_{name}]", str(int(values[name])))
        return sql


# None: the statement runs through SQLAlchemy on that dialect.
_plans: WeakKeyDictionary[Select[Any], dict[str, _Plan | None]] = WeakKeyDictionary()


def rows(conn: Connection, statement: Select[Any], values: Mapping[str, Any]
         ) -> Sequence[tuple[Any, ...]]:
    """Every row of `statement` with `values` bound, as tuples in the order of its columns."""
    plan = _plan_for(statement, conn.dialect)
    if plan is None:
        return conn.execute(statement, dict(values)).all()
    return _run(conn, plan, values)


def records(conn: Connection, statement: Select[Any], values: Mapping[str, Any]
            ) -> Sequence[Any]:
    """Every row of `statement`, each with its columns by name as attributes too."""
    plan = _plan_for(statement, conn.dialect)
    if plan is None:
        return conn.execute(statement, dict(values)).all()
    return [plan.record._make(row) for row in _run(conn, plan, values)]


def first(conn: Connection, statement: Select[Any], values: Mapping[str, Any]) -> Any:
    """The first row of `statement` (its columns by name as attributes), or None."""
    plan = _plan_for(statement, conn.dialect)
    if plan is None:
        return conn.execute(statement, dict(values)).first()
    found = _run(conn, plan, values)
    return plan.record._make(found[0]) if found else None


def _run(conn: Connection, plan: _Plan, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    missing = plan.required - values.keys()
    if missing:
        raise InvalidRequestError(f"a value is required for bind parameter(s) {sorted(missing)}")
    bound = {**plan.constants, **values}
    sql = plan.text_for(bound)
    driver = conn.connection.driver_connection
    try:
        with driver.cursor() as cursor:  # type: ignore[union-attr]
            if conn.dispatch.before_cursor_execute:  # who watches statements sees these too
                conn.dispatch.before_cursor_execute(conn, cursor, sql, bound, None, False)
            cursor.execute(sql, bound, binary=plan.binary)
            return cursor.fetchall()  # type: ignore[no-any-return]
    except conn.dialect.loaded_dbapi.Error as error:
        conn._handle_dbapi_exception(error, sql, bound, None, None)


def _plan_for(statement: Select[Any], dialect: Dialect) -> _Plan | None:
    per_dialect = _plans.get(statement)
    if per_dialect is None:
        per_dialect = _plans[statement] = {}
    if dialect.name not in per_dialect:
        per_dialect[dialect.name] = _plan(statement, dialect)
    return per_dialect[dialect.name]


def _plan(statement: Select[Any], dialect: Dialect) -> _Plan | None:
    if dialect.name != "postgresql" or dialect.paramstyle != "pyformat":
        return None
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    binds = compiled.bind_names  # each parameter and the name it has in the SQL
    if (compiled.escaped_bind_names or compiled.post_compile_params or compiled._bind_processors
            or any(b.expanding for b in binds)
            or any(b.required and name != b.key for b, name in binds.items())
            or any(not isinstance(b.type, Integer) for b in compiled.literal_execute_params)):
        return None
    if any(c.type._cached_result_processor(dialect, None) is not None
           for c in compiled._result_columns):
        return None
    try:
        record = namedtuple("Row", statement.selected_columns.keys())  # type: ignore[misc]
    except ValueError:  # names that are no identifiers, or twice the same
        return None
    given = compiled.construct_params(_check=False)
    constants = {name: given[name] for b, name in binds.items() if not b.required}
    required = frozenset(name for b, name in binds.items() if b.required)
    limits = tuple(binds[b] for b in compiled.literal_execute_params)
    return _Plan(compiled.string, constants, required, limits,
                 bool(statement.get_execution_options().get(BINARY_ROWS)), record)
