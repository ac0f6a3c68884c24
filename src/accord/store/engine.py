"""Open the database a `--db` URL names, and bring its schema up to date.

SQLite is the embedded default; a `postgresql://` URL selects PostgreSQL through psycopg 3.
`?pgbouncer=true` on it says a pooler in transaction mode stands between (docs/deployment.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from weakref import WeakSet

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url

from accord.store.bulk import analyze_schema
from accord.store.database_checks import (
    NoSuchDatabase,
    check_sqlite_file,
    foreign,
    foreign_tables,
    require_schema,
)
from accord.store.page_memo import committed, watch_writes
from accord.store.pg_sessions import (
    check_before_use,
    in_binary,
    names_serving,
    transactions_again,
    without_jit,
)
from accord.store.replica import primary_of
from accord.store.resident import Taken, give_back, take
from accord.store.urls import DatabaseUrlError, normalise_url, sqlite_file

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration under migrations/versions (a test keeps the two in step).
SCHEMA_REVISION = "0043"


def existing_engine(db: str) -> Engine:
    """An engine on a database that exists: a SQLite file that is there, a PostgreSQL database
    whose schema is there. Neither is created, and nothing is migrated."""
    path = sqlite_file(db)
    if path is not None:
        if path.is_dir():
            raise NoSuchDatabase(f"{path} is a folder: name the node's database file in it "
                                 "with --db")
        if not path.is_file():
            raise NoSuchDatabase(f"no database at {path}: name an existing one with --db (or "
                                 "create a node with `accord init --party NAME`)")
        check_sqlite_file(path)
        if path.stat().st_size == 0:
            # Opening it would make it a database (WAL mode, 16 KiB pages): say so, change nothing.
            raise NoSuchDatabase(f"{path} is an empty file, not an Accord database: name the "
                                 "node's database with --db (or create a node in it with "
                                 "`accord init --party NAME`)")
    engine = open_engine(db)
    if path is None and not is_sqlite(engine):
        try:
            with engine.connect() as conn:
                require_schema(conn)
        except NoSuchDatabase:
            engine.dispose()
            raise
    return engine


def open_engine(db: str, *, replica: bool = False, serving: bool = False) -> Engine:
    """The engine of a --db URL; `replica`: of a --read-db (a streaming replica); `serving`:
    of `accord serve`, whose PostgreSQL connections say which node they serve."""
    url = make_url(normalise_url(db))
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    url, connect_args = _pooler_settings(url)
    if replica:
        # A replica that stopped answering must not hold a request long: the read goes to the
        # primary instead (store.replica). Named, it shows in the replica's pg_stat_activity.
        connect_args |= {"connect_timeout": 3, "application_name": "accord-read"}
    engine = create_engine(url, pool_size=8, max_overflow=8, connect_args=connect_args)
    if "prepare_threshold" in connect_args:
        POOLED.add(engine)
    check_before_use(engine)
    if not replica:
        watch_writes(engine)
    event.listen(engine, "checkin", transactions_again)
    event.listen(engine, "do_execute", in_binary)
    event.listen(engine, "connect", without_jit)
    if serving and not replica:
        event.listen(engine, "connect", names_serving)
    return engine


# Engines behind a pooler in transaction mode (`?pgbouncer=true`): no LISTEN through them
# (store.page_memo).
POOLED: WeakSet[Engine] = WeakSet()


def _pooler_settings(url: URL) -> tuple[URL, dict[str, Any]]:
    """`?pgbouncer=true`: psycopg prepares no statements. A pooler in transaction mode hands
    each transaction to any server connection, where a statement prepared on another is
    unknown ("prepared statement … does not exist"); pgbouncer before 1.21 cannot track them."""
    value = url.query.get("pgbouncer")
    if value is None:
        return url, {}
    if not isinstance(value, str) or value.lower() not in ("true", "false", "1", "0", "yes",
                                                           "no"):
        raise DatabaseUrlError(f"pgbouncer={value!r} in the database URL: give pgbouncer=true "
                               "(a pooler in transaction mode) or pgbouncer=false")
    url = url.difference_update_query(["pgbouncer"])
    if value.lower() in ("true", "1", "yes"):
        return url, {"prepare_threshold": None}
    return url, {}


def _yes() -> int:
    return 1


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
        # This connection fills the search's FTS5 index itself, a batch at a time: the
        # trigger that would, name by name, stands aside (migration 0028).
        dbapi_connection.create_function("accord_fills_search_index", 0, _yes,
                                          deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A writer takes the write lock up front: two workers that both read first and then
        # write would otherwise deadlock on the lock upgrade and one would fail with BUSY.
        # Readers run each statement in SQLite's own implicit transaction: every read here is
        # one statement, and skipping BEGIN/ROLLBACK halves the cost of a small read.
        begin = _begin_for(conn)
        if begin is not None:
            conn.exec_driver_sql(begin)

    return engine


def _begin_for(conn: Connection) -> str | None:
    """What a SQLite transaction on `conn` begins with (`_on_begin`): a writer's BEGIN
    IMMEDIATE, a snapshot's BEGIN, or nothing (a reader's)."""
    options = conn.get_execution_options()
    if options.get("accord_write"):
        return "BEGIN IMMEDIATE"
    if options.get("accord_snapshot"):
        return "BEGIN"
    return None


def begins_explicitly(conn: Connection) -> bool:
    """Whether SQLAlchemy sends a BEGIN before the next statement on this SQLite connection
    (a snapshot's or writer's first): a statement run past SQLAlchemy would miss it."""
    return not conn.in_transaction() and _begin_for(conn) is not None


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection whose statements all see one snapshot (SQLite: a BEGIN; PostgreSQL:
    REPEATABLE READ), for reads that must agree with each other: a write committed between
    two of them cannot show in one and not the other."""
    with engine.connect().execution_options(accord_snapshot=True) as conn, conn.begin():
        if not is_sqlite(engine):
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        yield conn


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A connection in a write transaction: committed on success, rolled back on error.
    Always on the primary, also where reads may go to a replica (store.replica)."""
    with primary_of(engine).connect().execution_options(accord_write=True) as conn:
        with conn.begin():
            yield conn
        committed(conn)  # pages kept in this process are forgotten once it is seen


# Two int4 keys: the schema and the name. Nodes (or tests) in other schemas of the same
# database never wait on each other, and the space never meets the one-bigint form of the lock.
_TURN = text("SELECT pg_advisory_xact_lock(hashtext(current_schema()), hashtext(:key))")


def take_turn(conn: Connection, key: str) -> None:
    """Wait until no other transaction, in any process on any host, holds the turn `key`, and
    hold it until this transaction ends: what is read after this is what the previous holder
    committed, and no one else acts on `key` before this one commits or rolls back.

    PostgreSQL: a transaction-level advisory lock. SQLite: nothing to do, since a write
    transaction (`writing`, BEGIN IMMEDIATE) already holds the only write lock there is.
    Call it in a write transaction, first thing for what it guards.
    """
    if conn.dialect.name != "sqlite":
        conn.execute(_TURN, {"key": key})


_SHARED_TURN = text("SELECT pg_advisory_xact_lock_shared(hashtext(current_schema()), "
                    "hashtext(:key))")


def share_turn(conn: Connection, key: str) -> None:
    """Hold `key` shared until this transaction ends: any number of transactions hold it so at
    once, and `take_turn(key)` waits until none does (and holds the others off meanwhile)."""
    if conn.dialect.name != "sqlite":
        conn.execute(_SHARED_TURN, {"key": key})


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for reads whose statements need no common snapshot: each statement is its
    own transaction. On PostgreSQL (READ COMMITTED: a statement sees what was committed when it
    began, in a transaction or not) this spares the BEGIN and ROLLBACK round trips around
    every read (a quarter of a busy server's time on the hot TAXII reads, bench/README.md);
    SQLite's readers already skip them (see _on_begin). Nothing may be written through it.
    A connection handed over in a transaction already (a replica's, checked for its replayed
    position in the transaction its reads then use: store.replica) stays in it."""
    held = _held.get()
    if held is None:
        with engine.connect() as conn:
            yield _for_reads(engine, conn)
        return
    if engine not in held:
        held[engine] = take(engine, lambda: _for_reads(engine, engine.connect()))
    yield held[engine][0]


def _for_reads(engine: Engine, conn: Connection) -> Connection:
    if is_sqlite(engine) or conn.in_transaction():
        return conn
    # The driver's own switch rather than SQLAlchemy's isolation_level option, whose
    # characteristics, set here and reset at the return, cost a request's checkout 26 µs
    # more than the switch itself (bench/README.md, "CPU a request"). `transactions_again`
    # turns it off when the connection goes back to the pool.
    conn.connection.driver_connection.autocommit = True  # type: ignore[union-attr]
    return conn


# The connections `reading` hands out within `one_connection`, by engine (None: outside).
_held: ContextVar[dict[Engine, Taken] | None] = ContextVar("accord_held", default=None)


@contextmanager
def one_connection() -> Iterator[None]:
    """Within this block, `reading` hands out one connection per engine, checked out at the
    first read and returned at the end: a request's reads (its token, its collection's grant,
    its page) take one connection from the pool, not one each. Checking a connection out and
    in again costs more than a small read on it (bench/README.md, "CPU a request").

    For blocks that only read, and read in turn: the connection is shared by every read in
    the block, including those of threads the block waits for, never by two at once. In the
    thread of a server's event loop, it is kept for the next block (store.resident)."""
    if _held.get() is not None:  # nested: the outer block holds them
        yield
        return
    held: dict[Engine, Taken] = {}
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
        for taken in held.values():
            give_back(taken)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def schema_revision(engine: Engine) -> str | None:
    """The newest migration applied to the database; None for a new, empty database."""
    with engine.connect() as conn:
        return _revision_in(conn)


def _revision_in(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer Accord than this one: its code would misread it."""

    def __init__(self, revision: str) -> None:
        super().__init__(
            f"the database's schema is at revision {revision}, which this Accord does not know "
            f"(it knows up to {SCHEMA_REVISION}): a newer Accord migrated it. Run that version, "
            "or restore a backup made before the upgrade")
        self.revision = revision


class EmptyDatabase(RuntimeError):
    """migrate(create=False) on a database that holds no Accord schema."""


def migrate(engine: Engine, *, create: bool = True) -> str | None:
    """Apply every migration the database lacks (Alembic, versions under migrations/), and
    return the revision it was at before (None: it was empty). Raises SchemaTooNew for a
    database a newer Accord migrated, ForeignTables for one holding other tables and no
    Accord schema, and (unless `create`) EmptyDatabase for one holding no Accord schema: a
    command that reads a node must not make one where a mistyped --db points."""
    current = schema_revision(engine)
    if current == SCHEMA_REVISION:
        return current  # the common case, checked without loading Alembic (starts faster)
    if current is None and not create:
        raise EmptyDatabase("this database holds no Accord node")
    with writing(engine) as connection:
        # Several hosts may start at once after an upgrade: the first migrates, the others
        # wait here (PostgreSQL's DDL is transactional) and then read the revision it left.
        # (SQLite: BEGIN IMMEDIATE did this.)
        take_turn(connection, "migrate")
        current = _revision_in(connection)
        if current == SCHEMA_REVISION:
            return current
        if current is not None and current not in known_revisions():
            raise SchemaTooNew(current)
        if current is None:
            if not is_sqlite(engine):
                require_schema(connection)
            if found := foreign_tables(connection):
                raise foreign(found)
        upgrade_in(connection, "head")
        # What the migrations leave to the node's own code, which they must not import: the
        # request summaries they added or widened, derived from the ledgers. Imported here:
        # the store's modules import this one.
        from accord.store.summaries import mend_in

        mend_in(connection)
        # The migrations made or rewrote tables and indexes: without statistics PostgreSQL
        # plans the first pages as if they were empty (34 s a page at 10 M objects).
        analyze_schema(connection)
    return current


def is_standby(engine: Engine) -> bool:
    """Whether the database is a PostgreSQL hot standby (a streaming replica: read only)."""
    if is_sqlite(engine):
        return False
    with engine.connect() as conn:
        return bool(conn.exec_driver_sql("SELECT pg_is_in_recovery()").scalar())


def is_read_only_refusal(error: BaseException) -> bool:
    """A write refused because the database is read only (SQLSTATE 25006): a standby's."""
    return "25006" in (getattr(error, "sqlstate", None),
                       getattr(getattr(error, "orig", None), "sqlstate", None))


def known_revisions() -> list[str]:
    """Every revision this Accord's migrations define, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    return [s.revision for s in reversed(list(script.walk_revisions()))]


def upgrade_in(connection: Connection, revision: str) -> None:
    """Run the migrations up to `revision` on the caller's connection, in its transaction."""
    from alembic import command

    config = _alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config
