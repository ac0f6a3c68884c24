"""The hot reads' statements run on the driver's cursor, past SQLAlchemy's execution machinery.

Every TAXII read runs one or two small statements (the token with its grant, the objects).
On PostgreSQL, SQLAlchemy's execute — parameters built, the cached compilation looked up,
result metadata made from the cursor's description, events — cost four times the round trip
itself: 0.12 ms of CPU against 0.03 ms for the same prepared statement on the psycopg cursor
(bench/README.md, "CPU a request"). Here a Core statement is compiled once per dialect, its
SQL text and constant parameters kept, and each call binds the caller's values and reads the
rows as plain tuples.

On SQLite the same machinery cost a read of one object by id a third of its time in the
server (0.1 ms of 0.3 ms, bench/README.md, "GET by id on SQLite: the driver's cursor"): there
the statement is compiled with named parameters (`:name`, which sqlite3 binds from a dict)
and run on sqlite3's cursor, which keeps the prepared statement per connection.

Only what needs no help from SQLAlchemy takes this way: no parameter or column type with a
processor (but an array of plain values, given as a list), IN lists and integer LIMITs
rendered into the text. Anything else runs through SQLAlchemy as before, and so does a
statement that would open a SQLite transaction of the caller's (a snapshot's or a writer's
BEGIN, which SQLAlchemy sends before a transaction's first statement: store.engine). Errors
are handed to SQLAlchemy's own handling, so they are the same `DBAPIError`s (and a connection
the server dropped is invalidated) whichever way a statement ran.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import ARRAY, CompoundSelect, Connection, Integer, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.sql.compiler import SQLCompiler

from accord.store.engine import begins_explicitly
from accord.store.pg_sessions import BINARY_ROWS

# Texts kept per statement for its post-compile parameters (how many values each IN list
# has, each LIMIT): a client's filters make a handful.
_TEXTS_PER_STATEMENT = 256


@dataclass(frozen=True, slots=True)
class _Plan:
    """A statement compiled for the driver: its SQL, the values SQLAlchemy bound itself
    (literals in the statement), the names the caller must bind, those rendered into the text
    when it runs (IN lists, LIMITs), and the shape of a row."""

    compiled: SQLCompiler
    constants: Mapping[str, Any]
    required: frozenset[str]
    lists: tuple[str, ...]  # expanding: one placeholder per value, name_1, name_2, …
    literals: tuple[str, ...]  # integers written into the text
    binary: bool
    record: Any  # a namedtuple class named after the statement's columns
    sqlite: bool
    texts: dict[tuple[int, ...], str] = field(default_factory=dict)

    def bound(self, values: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
        """The SQL and the parameters for `values`; None when SQLAlchemy should run it."""
        bound = {**self.constants, **values}
        if not self.lists and not self.literals:
            return self.compiled.string, bound
        for name in self.lists:
            for n, value in enumerate(bound.pop(name), 1):
                bound[f"{name}_{n}"] = value
        shape = (*(len(values[name]) for name in self.lists),
                 *(int(values[name]) for name in self.literals))
        text = self.texts.get(shape)
        if text is None:
            expanded = self.compiled.construct_expanded_state({**self.constants, **values})
            if expanded.parameters != {k: v for k, v in bound.items()
                                       if k in expanded.parameters} \
                    or not set(expanded.parameters) <= set(bound):
                return None  # not named as this expects: SQLAlchemy's own way
            if len(self.texts) >= _TEXTS_PER_STATEMENT:
                self.texts.clear()
            text = self.texts[shape] = expanded.statement
        return text, bound


# A SELECT, or a UNION of them.
Statement = Select[Any] | CompoundSelect[Any]

# None: the statement runs through SQLAlchemy on that dialect.
_plans: WeakKeyDictionary[Statement, dict[str, _Plan | None]] = WeakKeyDictionary()


def rows(conn: Connection, statement: Statement, values: Mapping[str, Any], *,
         prelude: str | None = None) -> Sequence[tuple[Any, ...]]:
    """Every row of `statement` with `values` bound, as tuples in the order of its columns.

    `prelude` (PostgreSQL; ignored on SQLite): a statement without parameters (a
    `set_config(…, true)`) that holds for `statement` and no further. Both go in one round
    trip (psycopg's pipeline): statements sent before one Sync are one implicit transaction,
    and a SET LOCAL lasts until it ends (or, on a connection already in a transaction, until
    that one does)."""
    plan = _plan_for(statement, conn.dialect)
    if prelude is not None and conn.dialect.name == "postgresql":
        return _after(conn, prelude, statement, plan, values)
    if plan is None:
        return conn.execute(statement, dict(values)).all()
    return _run(conn, statement, plan, values)


def records(conn: Connection, statement: Statement, values: Mapping[str, Any], *,
            prelude: str | None = None) -> Sequence[Any]:
    """Every row of `statement`, each with its columns by name as attributes too (`prelude`:
    as for `rows`)."""
    plan = _plan_for(statement, conn.dialect)
    if prelude is not None and conn.dialect.name == "postgresql":
        found = _after(conn, prelude, statement, plan, values)
        return found if plan is None else [plan.record._make(row) for row in found]
    if plan is None:
        return conn.execute(statement, dict(values)).all()
    return [plan.record._make(row) for row in _run(conn, statement, plan, values)]


def first(conn: Connection, statement: Statement, values: Mapping[str, Any]) -> Any:
    """The first row of `statement` (its columns by name as attributes), or None."""
    plan = _plan_for(statement, conn.dialect)
    if plan is None:
        return conn.execute(statement, dict(values)).first()
    found = _run(conn, statement, plan, values)
    return plan.record._make(found[0]) if found else None


def _after(conn: Connection, prelude: str, statement: Statement, plan: _Plan | None,
           values: Mapping[str, Any]) -> Sequence[Any]:
    driver: Any = conn.connection.driver_connection
    ready = None if plan is None else _ready(plan, values)
    if plan is None or ready is None:
        # SQLAlchemy's way: the two in a transaction of their own (two round trips more).
        with driver.transaction():
            conn.exec_driver_sql(prelude)
            return conn.execute(statement, dict(values)).all()
    sql, bound = ready
    try:
        with driver.pipeline(), driver.cursor() as setting, driver.cursor() as cursor:
            _watched(conn, setting, prelude, {})
            setting.execute(prelude)
            _watched(conn, cursor, sql, bound)
            cursor.execute(sql, bound, binary=plan.binary, prepare=_prepare(driver))
            return cursor.fetchall()  # type: ignore[no-any-return]
    except conn.dialect.loaded_dbapi.Error as error:
        if driver.pgconn.pipeline_status:
            # The server went away mid-pipeline (a restart, a crash): psycopg could not leave
            # pipeline mode, and no ROLLBACK can be sent on the connection, neither here nor
            # when the pool takes it back (which logged the failure as a traceback). It is
            # not used again.
            conn.invalidate(error)
        conn._handle_dbapi_exception(error, sql, bound, None, None)


def _ready(plan: _Plan, values: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    missing = plan.required - values.keys()
    if missing:
        raise InvalidRequestError(f"a value is required for bind parameter(s) {sorted(missing)}")
    return plan.bound(values)


def _prepare(driver: Any) -> bool | None:
    """Prepared at the first call, where psycopg prepares at all (not behind pgbouncer:
    engine's `prepare_threshold` None): these statements are built once to be run again and
    again, and psycopg's default (prepared at the fifth call) planned each shape of them anew
    four times on each connection first, 5-11 ms a time for a look-up's statement at 10 M."""
    return True if driver.prepare_threshold is not None else None


def _watched(conn: Connection, cursor: Any, sql: str, bound: Mapping[str, Any]) -> None:
    if conn.dispatch.before_cursor_execute:  # who watches statements sees these too
        conn.dispatch.before_cursor_execute(conn, cursor, sql, bound, None, False)


def _run(conn: Connection, statement: Statement, plan: _Plan, values: Mapping[str, Any]
         ) -> list[tuple[Any, ...]]:
    ready = _ready(plan, values)
    if ready is None or (plan.sqlite and begins_explicitly(conn)):
        return list(conn.execute(statement, dict(values)).all())
    sql, bound = ready
    driver: Any = conn.connection.driver_connection
    try:
        if plan.sqlite:  # sqlite3's cursor is no context manager
            with closing(driver.cursor()) as cursor:
                _watched(conn, cursor, sql, bound)
                return cursor.execute(sql, bound).fetchall()  # type: ignore[no-any-return]
        with driver.cursor() as cursor:
            _watched(conn, cursor, sql, bound)
            cursor.execute(sql, bound, binary=plan.binary, prepare=_prepare(driver))
            return cursor.fetchall()  # type: ignore[no-any-return]
    except conn.dialect.loaded_dbapi.Error as error:
        conn._handle_dbapi_exception(error, sql, bound, None, None)


def _plan_for(statement: Statement, dialect: Dialect) -> _Plan | None:
    per_dialect = _plans.get(statement)
    if per_dialect is None:
        per_dialect = _plans[statement] = {}
    if dialect.name not in per_dialect:
        per_dialect[dialect.name] = _plan(statement, dialect)
    return per_dialect[dialect.name]


def _as_given(bind: Any, dialect: Dialect) -> bool:
    """Whether the driver takes the bound value as the caller gives it, though SQLAlchemy has
    a processor for it: an array (`= ANY(%(x)s)`, store.bulk.among_bound) of items that need
    none, whose processor only copies the list. Give such a value as a list."""
    return (isinstance(bind.type, ARRAY)
            and bind.type.item_type.dialect_impl(dialect).bind_processor(dialect) is None)


# Per dialect class and driver module: the dialect with named parameters (see `_named`).
_NAMED: dict[tuple[type, Any], Dialect] = {}


def _named(dialect: Dialect) -> Dialect:
    """`dialect` with named parameters: sqlite3 binds :name from a dict, as psycopg binds
    %(name)s (SQLAlchemy's own way on SQLite: ?, in order). With the engine's driver, so that
    each type's processors are the engine's (a blob's, for one)."""
    dbapi = getattr(dialect, "dbapi", None)
    key = (type(dialect), dbapi)
    if key not in _NAMED:
        _NAMED[key] = type(dialect)(paramstyle="named", dbapi=dbapi)  # type: ignore[call-arg]
    return _NAMED[key]


def _plan(statement: Statement, dialect: Dialect) -> _Plan | None:
    sqlite = dialect.name == "sqlite" and dialect.driver == "pysqlite"
    if sqlite:
        dialect = _named(dialect)
    elif dialect.name != "postgresql" or dialect.paramstyle != "pyformat":
        return None
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    binds = compiled.bind_names  # each parameter and the name it has in the SQL
    if (compiled.escaped_bind_names
            or any(not _as_given(compiled.binds[name], dialect)
                   for name in compiled._bind_processors)
            or any(b.required and name != b.key for b, name in binds.items())
            or any(b.expanding and b.literal_execute for b in binds)
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
    # Each name once: a list bound in two places (the arms of a UNION) is one parameter.
    lists = tuple(dict.fromkeys(binds[b] for b in compiled.post_compile_params if b.expanding))
    literals = tuple(dict.fromkeys(binds[b] for b in compiled.literal_execute_params))
    if set(lists) - required or set(literals) - required:
        return None  # a list or limit fixed in the statement: rare, left to SQLAlchemy
    return _Plan(compiled, constants, required, lists, literals,
                 bool(statement.get_execution_options().get(BINARY_ROWS)), record, sqlite)
