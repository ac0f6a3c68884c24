"""PostgreSQL: the change listener of a serving process (store.page_memo) hears every change
to the tables pages are read from, made by any connection, and turns the memory off whenever
it cannot vouch for that."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import psycopg
import pytest

from accord.node import Node, open_node
from accord.store.page_memo import (
    CHANGES,
    TRIGGER_PREFIX,
    WATCHED,
    ChangeListener,
    PageMemo,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def db_url(pg_url: str) -> str:
    return pg_url  # the node fixture's database: PostgreSQL alone


@pytest.fixture
def listening(node: Node) -> Iterator[ChangeListener]:
    listener = ChangeListener(node.engine, PageMemo())
    listener.start()
    try:
        yield listener
    finally:
        listener.stop()


def _until(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def _another_host(url: str, statement: str) -> None:
    """A statement from a connection this process's engines know nothing of."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)


def test_the_triggers_are_on_the_tables_pages_are_read_from(node: Node) -> None:
    with psycopg.connect(node.engine.url.render_as_string(hide_password=False)
                         .replace("postgresql+psycopg", "postgresql")) as conn:
        found = {(table, name) for table, name in conn.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal")}
    assert found == {(table, TRIGGER_PREFIX + table) for table in WATCHED}


@pytest.mark.parametrize("table", sorted(WATCHED))
def test_a_change_made_on_another_connection_is_heard(pg_url: str, listening: ChangeListener,
                                                      table: str) -> None:
    assert _until(lambda: listening.memo.generation() is not None)
    before = CHANGES.count
    # A statement that changes no row is announced too: the trigger is per statement.
    _another_host(pg_url, f"DELETE FROM {table} WHERE false")
    assert _until(lambda: CHANGES.count > before, 2.0)


def test_a_change_in_another_nodes_schema_is_not_this_nodes(
        pg_url: str, listening: ChangeListener,
        pg_schemas: Callable[..., object]) -> None:
    assert _until(lambda: listening.memo.generation() is not None)
    with pg_schemas("other") as other_url:  # type: ignore[attr-defined]
        open_node(other_url).engine.dispose()  # another node's schema, migrated
        time.sleep(0.3)  # what the migration announced, heard
        before = CHANGES.count
        _another_host(other_url, "DELETE FROM objects WHERE false")
        time.sleep(0.3)
        assert CHANGES.count == before
        _another_host(pg_url, "DELETE FROM objects WHERE false")
        assert _until(lambda: CHANGES.count > before, 2.0)


def test_without_its_triggers_nothing_is_remembered(pg_url: str, node: Node) -> None:
    _another_host(pg_url, "DROP TRIGGER accord_changed_recipients ON recipients")
    listener = ChangeListener(node.engine, PageMemo())
    listener.start()
    try:
        time.sleep(1.0)
        assert listener.memo.generation() is None
    finally:
        listener.stop()


def test_a_listener_cut_off_turns_the_memory_off_then_on_again(
        pg_url: str, listening: ChangeListener) -> None:
    assert _until(lambda: listening.memo.generation() is not None)
    cut = listening.backend_pid
    _another_host(pg_url, f"SELECT pg_terminate_backend({cut})")
    assert _until(lambda: listening.memo.live_until == 0.0, 2.0)  # off
    # It connects again (a change may have come meanwhile: everything is forgotten).
    assert _until(lambda: listening.backend_pid != cut
                  and listening.memo.generation() is not None, 10.0)


def test_a_listener_stopped_vouches_for_nothing(listening: ChangeListener) -> None:
    assert _until(lambda: listening.memo.generation() is not None)
    listening.stop()
    assert listening.memo.generation() is None


def test_db_check_names_a_missing_trigger(pg_url: str, node: Node) -> None:
    from accord.store.checkup import reference_objects, schema_finding, schema_objects
    from accord.store.engine import SCHEMA_REVISION

    _another_host(pg_url, "DROP TRIGGER accord_changed_objects ON objects")
    finding = schema_finding(reference_objects(node.engine, SCHEMA_REVISION),
                             schema_objects(node.engine))
    assert finding.problems == ("trigger accord_changed_objects is missing",)


def test_a_write_cut_off_by_the_database_fails_with_the_databases_error(
        pg_url: str, node: Node) -> None:
    """The write's own bookkeeping (watch_writes) on a connection the database dropped must not
    raise in place of the database's error, which the node answers 503 (a 500 otherwise)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from accord.store.engine import writing

    with pytest.raises(DBAPIError), writing(node.engine) as conn:
        conn.execute(text("DELETE FROM walk_marks WHERE false"))  # a watched write, noted
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        _another_host(pg_url, f"SELECT pg_terminate_backend({pid})")
        conn.execute(text("SELECT 1"))
