"""The pure parts of PostgreSQL backup and restore: reading pg_restore's list, finding the
client tools, the connection handed to them, and the statements around a restore."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from accord.store.backup import BackupError
from accord.store.pg_backup import PgToolsMissing, find_tool, parse_toc, target_of
from accord.store.pg_restore_scripts import epilogue, prologue

LISTING = """;
; Archive created at 2026-12-01 10:32:02 UTC
;     dbname: test
;
9; 2615 46998 SCHEMA - node_a postgres
275; 1259 47342 TABLE node_a alembic_version postgres
282; 1259 47418 TABLE node_a objects postgres
281; 1259 47417 SEQUENCE node_a objects_seq_seq postgres
3867; 0 0 SEQUENCE OWNED BY node_a objects_seq_seq postgres
3868; 2604 47421 DEFAULT node_a objects seq postgres
4012; 0 47342 TABLE DATA node_a alembic_version postgres
4020; 0 0 SEQUENCE SET node_a objects_seq_seq postgres
3700; 2606 47426 CONSTRAINT node_a objects objects_pkey postgres
3710; 1259 47441 INDEX node_a ix_objects_paging postgres
3720; 2606 47489 FK CONSTRAINT node_a objects objects_collection_id_fkey postgres
292; 1255 43068 FUNCTION node_a accord_announce_change() postgres
3562; 2620 43069 TRIGGER node_a objects accord_changed_objects postgres
"""
TRIGRAM_INDEX = "3711; 1259 47442 INDEX node_a ix_object_names_text postgres\n"


def test_the_list_names_the_dumps_schema_and_its_tables_and_sequences():
    toc = parse_toc(LISTING)
    assert toc.schema == "node_a"
    assert toc.relations == (("TABLE", "alembic_version"), ("TABLE", "objects"),
                             ("SEQUENCE", "objects_seq_seq"))
    assert toc.functions == ("accord_announce_change()",)


def test_a_schema_with_a_space_in_its_name_is_read_by_its_own_entry():
    # pg_restore --list does not quote names.
    toc = parse_toc(LISTING.replace("node_a", "my node"))
    assert toc.schema == "my node"
    assert ("TABLE", "objects") in toc.relations and ("TABLE", "alembic_version") in toc.relations


def test_the_list_handed_back_to_pg_restore_leaves_out_the_schema_itself():
    kept = parse_toc(LISTING).without_schema()
    assert "SCHEMA - node_a" not in kept
    assert "TABLE node_a objects postgres" in kept and "TABLE DATA" in kept


def test_a_dump_without_the_schema_version_is_not_a_backup_of_a_node():
    with pytest.raises(BackupError, match="alembic_version"):
        parse_toc("282; 1259 47418 TABLE node_a objects postgres\n")
    with pytest.raises(BackupError, match="no tables"):
        parse_toc(";\n; Archive created\n")


def test_a_dump_of_several_schemas_is_refused():
    with pytest.raises(BackupError, match="several schemas"):
        parse_toc(LISTING + "300; 1259 1 TABLE other things postgres\n")


def _tool(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tool = folder / name
    tool.write_text("#!/bin/sh\n")
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    return tool


def test_the_tools_of_the_servers_version_come_first(tmp_path):
    debian = tmp_path / "lib"
    exact = _tool(debian / "15" / "bin", "pg_dump")
    _tool(debian / "16" / "bin", "pg_dump")
    on_path = _tool(tmp_path / "bin", "pg_dump")
    assert find_tool("pg_dump", 15, debian=debian, path=str(tmp_path / "bin")) == exact
    assert find_tool("pg_dump", 14, debian=debian, path=str(tmp_path / "bin")) == on_path


def test_without_tools_on_path_a_newer_version_serves_an_older_server(tmp_path):
    debian = tmp_path / "lib"
    newer = _tool(debian / "16" / "bin", "pg_restore")
    _tool(debian / "13" / "bin", "pg_restore")
    assert find_tool("pg_restore", 15, debian=debian, path=str(tmp_path / "none")) == newer


def test_missing_tools_are_named_with_the_package_to_install(tmp_path):
    debian = tmp_path / "lib"
    _tool(debian / "13" / "bin", "pg_dump")  # too old for a 15 server
    with pytest.raises(PgToolsMissing) as missing:
        find_tool("pg_dump", 15, debian=debian, path=str(tmp_path / "none"))
    assert "postgresql-client-15" in str(missing.value) and "pg_dump" in str(missing.value)


def test_the_tools_get_a_libpq_url_with_the_schema_and_the_password_aside():
    target = target_of("postgresql://accord:s3cret@db.example:5433/cert"
                       "?options=-csearch_path%3Dnode_a&sslmode=require")
    assert target.schema == "node_a"
    assert target.password == "s3cret"
    assert target.url.startswith("postgresql://accord@db.example:5433/cert?")
    assert "s3cret" not in target.url and "sslmode=require" in target.url
    assert target_of("postgresql://postgres@localhost/test").schema == "public"


def test_a_restore_into_its_own_schema_only_makes_room():
    toc = parse_toc(LISTING)
    before = prologue("node_a", toc, clean=False)
    assert 'CREATE SCHEMA IF NOT EXISTS "node_a";' in before
    assert 'DROP TABLE IF EXISTS "node_a"."objects" CASCADE;' in before
    assert "RENAME" not in before and "DO $$" not in before
    # The function the dump makes again, dropped first (with the triggers calling it).
    assert 'DROP FUNCTION IF EXISTS "node_a"."accord_announce_change"() CASCADE;' in before
    # Servers serving the schema are told it changed (store.page_memo), and nothing else.
    assert epilogue("node_a", toc) == (
        "DO $$ BEGIN PERFORM pg_notify('accord_changed', 'node_a'); END $$;\n")
    assert "DO $$" in prologue("node_a", toc, clean=True)  # every relation, by the catalogue


def test_a_restore_into_another_schema_puts_the_dumps_schema_aside_and_back():
    toc = parse_toc(LISTING)
    before, after = prologue("node_b", toc, clean=False), epilogue("node_b", toc)
    assert 'DROP TABLE IF EXISTS "node_b"."objects" CASCADE;' in before
    assert 'ALTER SCHEMA "node_a" RENAME TO "accord_aside_' in before
    assert 'CREATE SCHEMA "node_a";' in before
    assert 'SET SCHEMA "node_b"' in after and 'DROP SCHEMA "node_a";' in after
    assert 'RENAME TO "node_a"' in after
    # The trigger function goes with the tables (its triggers name it by oid), before the
    # dump's schema is dropped; the servers of the target are told.
    moved = after.index('ALTER FUNCTION "node_a"."accord_announce_change"() SET SCHEMA "node_b";')
    assert moved < after.index('DROP SCHEMA "node_a";')
    assert "pg_notify('accord_changed', 'node_b')" in after
    # No trigram index in this dump: no extension is touched (moving one takes its owner).
    assert "EXTENSION" not in before + after


def test_pg_trgm_alone_moves_with_the_schema_set_aside_when_the_dump_uses_it():
    toc = parse_toc(LISTING + TRIGRAM_INDEX)
    assert toc.has_trigram_index and not parse_toc(LISTING).has_trigram_index
    before, after = prologue("node_b", toc, clean=False), epilogue("node_b", toc)
    aside = before.split('RENAME TO "')[1].split('"')[0]
    # The dump names pg_trgm's operator class by its schema (node_a.gin_trgm_ops): set aside
    # with that schema, pg_trgm comes into the new one, and goes back before it is dropped.
    moved_in = before.index('ALTER EXTENSION pg_trgm SET SCHEMA "node_a"')
    assert before.index('CREATE SCHEMA "node_a";') < moved_in
    assert f"n.nspname = '{aside}'" in before[before.index('CREATE SCHEMA "node_a";'):]
    moved_back = after.index(f'ALTER EXTENSION pg_trgm SET SCHEMA "{aside}"')
    assert moved_back < after.index('DROP SCHEMA "node_a";')
    assert "r.extname" not in before + after  # by name, not every extension found there


def test_find_tool_needs_an_executable(tmp_path):
    debian = tmp_path / "lib"
    tool = _tool(debian / "15" / "bin", "psql")
    os.chmod(tool, 0o644)
    with pytest.raises(PgToolsMissing):
        find_tool("psql", 15, debian=debian, path=str(tmp_path / "none"))
