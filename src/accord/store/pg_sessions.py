"""How each PostgreSQL connection of a node is set up and looked after: settings made once
per session, rows in binary where asked, dead connections replaced before use, and the name
a server's connections carry in pg_stat_activity."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError, InvalidatePoolError

from accord.store.resident import RESTED, has_unread


def without_jit(dbapi_connection: Any, _record: Any) -> None:
    """No JIT compilation in the node's sessions. PostgreSQL compiles a statement whose
    estimated cost passes jit_above_cost, which a statement reading a growing table soon does:
    at 100,000 requests the dashboard's receipt count spent 353 ms of its 384 compiling
    (docs/plans.md). Every statement here reads an index and stops at a page: compiling never
    pays back. SET is transactional, so it is committed at once. (Behind pgbouncer in
    transaction mode a session's settings do not follow the client: set it for the database
    there, docs/deployment.md.)"""
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    dbapi_connection.commit()


# An execution option: PostgreSQL sends the statement's rows in binary, not as text.
BINARY_ROWS = "accord_binary_rows"


def in_binary(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
    """Rows of bodies in binary: as text, PostgreSQL sends a bytea hex-encoded, twice its
    size, and hex_encode took an eighth of its CPU for a TAXII page (and psycopg as long to
    decode it). Only for statements that ask (`BINARY_ROWS`): their columns' Python values
    are the same either way."""
    if not context.execution_options.get(BINARY_ROWS):
        return False  # SQLAlchemy executes it as usual
    cursor.execute(statement, parameters, binary=True)
    return True


def check_before_use(engine: Engine) -> None:
    """Replace a dead pooled connection before it is used. After PostgreSQL restarts, or a
    firewall drops idle connections, the pool holds only dead ones; unchecked, the first
    requests after would be the ones to find out, with an error.

    A round trip before every use (SQLAlchemy's pool_pre_ping) cost a busy server a fifth of
    its time (bench/README.md). A server that ends a session (a restart, a crash, a
    terminated backend, idle_session_timeout) says so on its socket, which then has something
    to read while the connection rests: that costs one poll(2), no round trip. Only a
    connection with something to read, or one that rested longer than RESTED, is pinged."""

    def rested_since_now(_dbapi_connection: Any, record: Any, *_: Any) -> None:
        record.info["accord_rested_since"] = time.monotonic()

    event.listen(engine, "connect", rested_since_now)
    event.listen(engine, "checkin", rested_since_now)

    @event.listens_for(engine, "checkout")
    def _checked(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("accord_rested_since")
        if since is not None and time.monotonic() - since < RESTED \
                and not has_unread(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                # As pool_pre_ping: the server went away, so every connection made before is
                # suspect; the pool makes new ones (and retries this checkout once).
                raise InvalidatePoolError(str(error)) from error
            raise DisconnectionError(str(error)) from error


def transactions_again(dbapi_connection: Any, _record: Any) -> None:
    """A pooled connection is handed out in transaction mode, whatever `_for_reads` made it."""
    if dbapi_connection is not None and not dbapi_connection.closed \
            and dbapi_connection.autocommit:
        dbapi_connection.autocommit = False


def serving_name(schema: str) -> str:
    """The application_name of a server's connections to the node in `schema` (several nodes
    may share a database), as pg_stat_activity shows it: what a restore looks for before it
    replaces the node under a running server. PostgreSQL keeps 63 bytes of a name and turns
    what is not printable ASCII into "?": such a schema's name is given by its hash."""
    if schema.isascii() and schema.isprintable() and len(schema) <= 50:
        return f"accord serve {schema}"
    return f"accord serve #{hashlib.sha1(schema.encode()).hexdigest()[:16]}"


def names_serving(dbapi_connection: Any, _record: Any) -> None:
    """Name a server's new connection after the schema it works in, as PostgreSQL resolved
    it (the URL's search_path, else the role's or the server's default). Set in the session,
    not through the URL or PGAPPNAME, so that neither an application_name in the URL nor the
    environment stands in its way."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        found = cursor.fetchone()
        schema = found[0] if found and found[0] is not None else "public"
        cursor.execute("SELECT set_config('application_name', %s, false)",
                       (serving_name(schema),))
    dbapi_connection.commit()
