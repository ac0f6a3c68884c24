"""store.database_checks on SQLite files: what is a node's, what is another program's, what
cannot be read; each found without writing a byte to the file."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from accord.store.database_checks import ForeignTables, NotSqlite, check_sqlite_file


def test_another_programs_database_is_named_by_its_tables_and_left_as_it_was(tmp_path):
    other = tmp_path / "crm.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE customers (name TEXT)")
    before = other.read_bytes()
    with pytest.raises(ForeignTables, match="customers"):
        check_sqlite_file(other)
    assert other.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["crm.db"]


def test_a_file_that_cannot_be_read_as_sqlite_is_refused_not_taken_for_empty(tmp_path):
    # SQLite's header, then what is not a database: the tables cannot be listed.
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    with pytest.raises(NotSqlite, match="cannot read"):
        check_sqlite_file(damaged)


def test_a_node_a_new_file_and_an_empty_one_pass(tmp_path):
    node = tmp_path / "node.db"
    with sqlite3.connect(node) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num TEXT)")
        conn.execute("CREATE TABLE objects (seq INTEGER)")
    empty = tmp_path / "empty.db"
    empty.touch()
    for path in (node, empty, tmp_path / "new.db"):
        check_sqlite_file(path)


def test_a_node_whose_writer_crashed_is_still_read(tmp_path):
    # The process died with the file in WAL mode: its -wal and -shm are left beside it.
    node = tmp_path / "node.db"
    code = ("import os, sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
            "c.execute('PRAGMA journal_mode=WAL'); "
            "c.execute('CREATE TABLE alembic_version (version_num TEXT)'); c.commit(); "
            "c.execute('INSERT INTO alembic_version VALUES (1)'); c.commit(); os._exit(0)")
    subprocess.run([sys.executable, "-c", code, str(node)], check=True)
    assert (tmp_path / "node.db-wal").exists()
    check_sqlite_file(node)
