"""What an operator's mistake with --db or a backup's path does: a clear error, and nothing
made or replaced where the mistake points. And a PostgreSQL backup restored where a new
server's database has nothing yet (no extension, another schema)."""

from __future__ import annotations

import os
import stat
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import text
from tests.conftest import _PG_UNAVAILABLE, PG_ADMIN_URL
from tests.e2e.conftest import ATTACK_SAMPLE, OWN_PARTY, created, run_accord, serving_process

from accord.store.engine import open_engine


def refused(done, *words: str) -> None:
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    for word in words:
        assert word in done.stderr, done.stderr


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new PostgreSQL database (not a schema of the test one): no extension in it yet."""
    if _PG_UNAVAILABLE:
        pytest.skip(_PG_UNAVAILABLE)
    import psycopg

    name = f"accord_m_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def tables(url: str, schema: str = "public") -> set[str]:
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = "
                                         ":s"), {"s": schema}).scalars())
    finally:
        engine.dispose()


def found_by_name(url: str) -> set[str]:
    """What a search by name finds (the web UI's: the trigram index over names)."""
    from accord.node import open_node
    from accord.store.browse import Browse

    node = open_node(url, migrate_schema=False)
    try:
        return {f.id for f in Browse(node.engine).search(node.party.id, "APT")}
    finally:
        node.engine.dispose()


def rows(url: str, statement: str) -> list[tuple[Any, ...]]:
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(statement))]
    finally:
        engine.dispose()


def execute(url: str, *statements: str) -> None:
    engine = open_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


# -- SQLite files that are not a node ---------------------------------------------------------

@pytest.mark.parametrize("command", [("export",), ("db", "check"), ("db", "migrate"),
                                     ("backup", "b.db"), ("collection", "list"),
                                     ("audit", "verify"), ("init", "--party", OWN_PARTY)])
def test_a_file_that_is_not_sqlite_is_named_and_left_as_it_was(tmp_path, command):
    notes = tmp_path / "notes.db"
    notes.write_bytes(os.urandom(5000))
    before = notes.read_bytes()
    done = run_accord(*[str(tmp_path / a) if a == "b.db" else a for a in command],
                      db=str(notes))
    refused(done, "notes.db", "not a SQLite database")
    assert notes.read_bytes() == before


@pytest.mark.parametrize("command", [("export",), ("db", "check"), ("audit", "verify"),
                                     ("collection", "list")])
def test_a_read_on_an_empty_file_makes_no_database_of_it(tmp_path, command):
    empty = tmp_path / "typo.db"
    empty.touch()
    refused(run_accord(*command, db=str(empty)), "typo.db")
    assert empty.stat().st_size == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["typo.db"]  # no -wal, no -shm


def test_init_takes_an_empty_file_and_makes_it_readable_by_its_owner_only(tmp_path):
    made = tmp_path / "node.db"
    created("init", "--party", OWN_PARTY, db=str(made))
    assert stat.S_IMODE(made.stat().st_mode) == 0o600  # it holds the node's signing key
    empty = tmp_path / "touched.db"
    empty.touch()
    created("init", "--party", OWN_PARTY, db=str(empty))
    assert run_accord("db", "check", db=str(empty)).returncode == 0


def test_init_in_a_folder_that_is_not_there_says_so(tmp_path):
    done = run_accord("init", "--party", OWN_PARTY, db=str(tmp_path / "no" / "node.db"))
    refused(done, "no folder", "create it first")
    assert not (tmp_path / "no").exists()


def test_a_sqlite_file_of_another_application_is_not_made_a_node(tmp_path):
    import sqlite3

    other = tmp_path / "crm.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE customers (name TEXT)")
    before = other.read_bytes()
    for command in (("init", "--party", OWN_PARTY), ("db", "migrate"), ("export",)):
        refused(run_accord(*command, db=str(other)), "customers", "did not make")
    refused(run_accord("db", "migrate", "--check", db=str(other)), "customers")
    # Read, never opened as a node: not switched to WAL (bytes 18-19 of its header), no
    # -wal or -shm beside it, not a byte changed.
    assert other.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crm.db"]
    with sqlite3.connect(other) as conn:
        assert [n for (n,) in conn.execute("SELECT name FROM sqlite_master")] == ["customers"]


# -- backups: where they go, who may read them --------------------------------------------------

def test_a_backup_is_readable_by_its_owner_only(db_url, tmp_path):
    created("init", "--party", OWN_PARTY, db=db_url)
    backup = tmp_path / "node.backup"
    assert run_accord("backup", str(backup), db=db_url).returncode == 0
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600


def test_a_backup_never_replaces_what_is_not_a_regular_file(db_url, tmp_path):
    created("init", "--party", OWN_PARTY, db=db_url)
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    refused(run_accord("backup", str(pipe), db=db_url), "not a regular file")
    assert stat.S_ISFIFO(pipe.stat().st_mode)  # still the pipe, not a file put in its place
    folder = tmp_path / "folder"
    folder.mkdir()
    refused(run_accord("backup", str(folder), db=db_url), "not a regular file")
    assert folder.is_dir() and not any(folder.iterdir())


def test_a_restore_never_replaces_what_is_not_a_regular_file(tmp_path):
    node = tmp_path / "node.db"
    created("init", "--party", OWN_PARTY, db=str(node))
    backup = tmp_path / "node.backup"
    assert run_accord("backup", str(backup), db=str(node)).returncode == 0
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    refused(run_accord("restore", str(backup), db=str(pipe)), "not a regular file")
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    refused(run_accord("restore", str(backup), db=str(tmp_path / "no" / "r.db")), "no folder")


# -- PostgreSQL: a database or schema that is not (yet) a node ---------------------------------

@pytest.mark.postgres
def test_a_read_on_an_empty_postgresql_database_makes_no_schema_in_it():
    with fresh_database() as url:
        for command in (("export",), ("audit", "verify"), ("collection", "list")):
            refused(run_accord(*command, db=url), "holds no Accord node", "accord init")
        assert tables(url) == set()


@pytest.mark.postgres
def test_another_applications_postgresql_database_is_not_made_a_node():
    with fresh_database() as url:
        execute(url, "CREATE TABLE customers (name text)")
        for command in (("init", "--party", OWN_PARTY), ("db", "migrate")):
            refused(run_accord(*command, db=url), "customers", "did not make")
        assert tables(url) == {"customers"}


@pytest.mark.postgres
def test_an_extensions_own_table_is_not_another_applications():
    with fresh_database() as url:
        # As PostGIS's spatial_ref_sys: a table an extension made, in the schema it is in.
        execute(url, "CREATE EXTENSION pg_trgm", "CREATE TABLE spatial_ref_sys (srid int)",
                "ALTER EXTENSION pg_trgm ADD TABLE spatial_ref_sys")
        created("init", "--party", OWN_PARTY, db=url)
        assert run_accord("db", "check", db=url).returncode == 0


@pytest.mark.postgres
@pytest.mark.parametrize(("path", "named"), [
    ("node_d", "'node_d'"),
    ("Node_E,public", "'node_e'"),  # as PostgreSQL reads it; nothing made in public
])
def test_init_in_a_schema_that_is_not_there_names_it(path, named):
    with fresh_database() as url:
        done = run_accord("init", "--party", OWN_PARTY,
                          db=f"{url}?options=-csearch_path%3D{path}")
        refused(done, named, "does not exist")
        assert tables(url) == set()


@pytest.mark.postgres
def test_db_check_notes_a_schema_with_no_node_yet():
    with fresh_database() as url:
        assert run_accord("db", "migrate", db=url).returncode == 0
        done = run_accord("db", "check", db=url)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "no node in it yet" in done.stdout


# -- PostgreSQL: restoring on a new server ------------------------------------------------------

@pytest.fixture(scope="module")
def public_backup(tmp_path_factory) -> tuple[Path, set[str]]:
    """A backup of a node in a database's public schema, where pg_trgm is (as on a server
    Accord has to itself), and what a search by name finds in it."""
    backup = tmp_path_factory.mktemp("public") / "node.backup"
    with fresh_database() as source:
        created("init", "--party", OWN_PARTY, db=source)
        assert run_accord("import", str(ATTACK_SAMPLE), "--collection", "evidence",
                          db=source).returncode == 0
        assert run_accord("backup", str(backup), db=source).returncode == 0
        names = found_by_name(source)
    assert names  # ATTACK_SAMPLE names intrusion sets "APT…"
    return backup, names


@pytest.mark.postgres
def test_a_backup_restores_into_a_new_database_without_pg_trgm_and_into_another_schema(
        public_backup):
    backup, names = public_backup
    with fresh_database() as target:  # a new server's database: pg_trgm not installed
        done = run_accord("restore", str(backup), db=target)
        assert done.returncode == 0, done.stderr
        assert run_accord("db", "check", db=target).returncode == 0
        assert found_by_name(target) == names
    with fresh_database() as target:
        # The dump is of `public`, where pg_trgm lives: restored under another schema's name.
        execute(target, "CREATE SCHEMA node_c")
        url = f"{target}?options=-csearch_path%3Dnode_c"
        done = run_accord("restore", str(backup), db=url)
        assert done.returncode == 0, done.stderr
        assert "objects" in tables(target, "node_c") and "objects" not in tables(target)
        assert run_accord("db", "check", db=url).returncode == 0
        assert found_by_name(url) == names


@pytest.mark.postgres
def test_a_damaged_postgresql_backup_is_called_damaged(pg_url, tmp_path):
    created("init", "--party", OWN_PARTY, db=pg_url)
    assert run_accord("import", str(ATTACK_SAMPLE), "--collection", "evidence",
                      db=pg_url).returncode == 0
    backup = tmp_path / "node.backup"
    assert run_accord("backup", str(backup), db=pg_url).returncode == 0
    data = bytearray(backup.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 4000] = bytes(reversed(data[middle:middle + 4000]))
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(bytes(data))
    done = run_accord("restore", str(damaged), "--force", db=pg_url)
    refused(done, "damaged", "nothing of it was kept")
    assert run_accord("db", "check", db=pg_url).returncode == 0


@pytest.mark.postgres
def test_a_restore_waits_for_no_server_but_is_refused_while_one_serves_the_node(
        pg_url, tmp_path):
    created("init", "--party", OWN_PARTY, db=pg_url)
    backup = tmp_path / "node.backup"
    assert run_accord("backup", str(backup), db=pg_url).returncode == 0
    with fresh_database() as elsewhere:  # another node's server, in another database
        created("init", "--party", OWN_PARTY, db=elsewhere)
        with serving_process(elsewhere, tmp_path / "elsewhere.log"), \
                serving_process(pg_url, tmp_path / "serve.log") as (url, _):
            assert requests.get(f"{url}taxii2/", timeout=10).status_code == 401  # it serves
            done = run_accord("restore", str(backup), "--force", db=pg_url)
            refused(done, "in use by `accord serve`", "stop the servers")
        # Stopped: the restore goes ahead (another node's server never stood in its way).
        done = run_accord("restore", str(backup), "--force", db=pg_url)
        assert done.returncode == 0, done.stderr


@contextmanager
def owned_database() -> Iterator[tuple[str, str]]:
    """A new database and the URL of a role that owns it (and its public schema) but is no
    superuser, as a hosting provider gives: (the superuser's URL, the owner's)."""
    import psycopg

    role = f"accord_o_{uuid.uuid4().hex[:10]}"
    try:
        with fresh_database() as url:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'CREATE ROLE "{role}" LOGIN')
                conn.execute(f'ALTER DATABASE "{url.rsplit("/", 1)[1]}" OWNER TO "{role}"')
            try:
                yield url, url.replace("://postgres@", f"://{role}@")
            finally:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(f'DROP OWNED BY "{role}"')
    finally:  # a role belongs to the server, not the database: it outlives a failed test
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


@pytest.mark.postgres
def test_a_restore_under_another_schemas_name_touches_no_extension_but_pg_trgm(
        public_backup):
    backup, names = public_backup
    with fresh_database() as target:
        # An extension the node never used, in the public schema the restore sets aside.
        execute(target, "CREATE EXTENSION pgcrypto", "CREATE SCHEMA node_c")
        extensions = "SELECT e.extname, n.nspname FROM pg_extension e JOIN pg_namespace n " \
                     "ON n.oid = e.extnamespace WHERE e.extname IN ('pgcrypto', 'pg_trgm')"
        url = f"{target}?options=-csearch_path%3Dnode_c"
        done = run_accord("restore", str(backup), db=url)
        assert done.returncode == 0, done.stderr
        assert found_by_name(url) == names
        assert set(rows(target, extensions)) == {("pgcrypto", "public"), ("pg_trgm", "public")}
    with owned_database() as (admin, owner):
        # pg_trgm's functions are the superuser's: the database's owner may not move them.
        execute(owner, "CREATE EXTENSION pg_trgm", "CREATE SCHEMA node_c")
        done = run_accord("restore", str(backup), db=f"{owner}?options=-csearch_path%3Dnode_c")
        refused(done, "pg_trgm", "restore as a superuser, or into the schema 'public'")
        assert tables(admin, "node_c") == set()
        # Into the schema it is a dump of, nothing moves: the owner restores it.
        done = run_accord("restore", str(backup), db=owner)
        assert done.returncode == 0, done.stderr
        assert found_by_name(owner) == names


@pytest.mark.postgres
def test_a_server_is_seen_by_a_restore_whatever_its_url_or_schema_is_called(tmp_path):
    schema = "Äbc节点"  # not ASCII: PostgreSQL would show it as "??bc??"
    with fresh_database() as url:
        execute(url, f'CREATE SCHEMA "{schema}"')
        node = f"{url}?options=-csearch_path%3D{schema}"  # unquoted: Ä stays (A-Z alone fold)
        created("init", "--party", OWN_PARTY, db=node)
        backup = tmp_path / "node.backup"
        assert run_accord("backup", str(backup), db=node).returncode == 0
        # The URL names its connections itself: the server's name holds all the same.
        with serving_process(f"{node}&application_name=mine", tmp_path / "serve.log") as (
                served, _):
            assert requests.get(f"{served}taxii2/", timeout=10).status_code == 401
            done = run_accord("restore", str(backup), "--force", db=node)
            refused(done, "in use by `accord serve`")
        assert run_accord("restore", str(backup), "--force", db=node).returncode == 0


@pytest.mark.postgres
@pytest.mark.parametrize("where", ["the role's search_path", "$user"])
def test_a_node_in_the_schema_the_connection_finds_is_backed_up_and_guarded(tmp_path, where):
    with owned_database() as (admin, owner):
        role = owner.split("://", 1)[1].split("@", 1)[0]
        if where == "$user":  # the schema named after the role, first on the default path
            schema, url = role, f"{owner}?options=-csearch_path%3D%24user,public"
        else:
            schema, url = "node_r", owner  # no search_path in the URL
            execute(admin, f'ALTER ROLE "{role}" SET search_path = node_r')
        execute(admin, f'CREATE SCHEMA "{schema}" AUTHORIZATION "{role}"')
        created("init", "--party", OWN_PARTY, db=url)
        assert "objects" in tables(admin, schema) and tables(admin) == set()
        backup = tmp_path / "node.backup"
        done = run_accord("backup", str(backup), db=url)
        assert done.returncode == 0, done.stderr
        with serving_process(url, tmp_path / "serve.log") as (served, _):
            assert requests.get(f"{served}taxii2/", timeout=10).status_code == 401
            refused(run_accord("restore", str(backup), "--force", db=url),
                    "in use by `accord serve`")
        done = run_accord("restore", str(backup), "--force", db=url)  # its own dump
        assert done.returncode == 0, done.stderr
        assert tables(admin) == set()  # public untouched
        assert run_accord("db", "check", db=url).returncode == 0


@pytest.mark.postgres
def test_a_backup_through_a_url_meant_for_a_pooler(pg_url, tmp_path):
    created("init", "--party", OWN_PARTY, db=pg_url)
    pooled = pg_url + ("&" if "?" in pg_url else "?") + "pgbouncer=true"
    backup = tmp_path / "node.backup"
    done = run_accord("backup", str(backup), db=pooled)
    assert done.returncode == 0, done.stderr
    done = run_accord("restore", str(backup), "--force", db=pooled)
    assert done.returncode == 0, done.stderr
