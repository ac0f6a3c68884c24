"""The operator's database commands, as an operator runs them, on SQLite and PostgreSQL:
`accord backup` and `accord restore` round-trip a node, `accord db migrate [--check]` and
`accord db check` say what is wrong in plain words and exit non-zero."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.conftest import fresh_pg_schema
from tests.e2e.conftest import ATTACK_SAMPLE, OWN_PARTY, PARTNER, created, run_accord

from accord.node import open_node
from accord.store.browse import Browse
from accord.store.engine import (
    SCHEMA_REVISION,
    known_revisions,
    open_engine,
    schema_revision,
    upgrade_in,
    writing,
)

EVIDENCE = "intrusion-set--0bbdf25b-30ff-4894-a1cd-49260d0dd2d9"  # in ATTACK_SAMPLE


@pytest.fixture
def other_db(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty database on the same backend as db_url: where a backup is restored."""
    if "://" not in db_url:
        yield str(tmp_path / "restored.db")
        return
    with fresh_pg_schema("r") as url:
        yield url


def run(db: str, *args: str) -> str:
    done = run_accord(*args, db=db)
    assert done.returncode == 0, f"accord {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


def make_node(db: str, *, with_objects: bool = True) -> dict[str, str]:
    """A node with ATT&CK objects, a request acknowledged by the partner (its ledger), and a
    token of the partner's analyst; without objects, only its parties and the token."""
    admin = created("init", "--party", OWN_PARTY, db=db)
    created("party", "add", PARTNER, db=db)
    token = created("token", "create", "--party", PARTNER, "--name", "Li Wei", db=db)
    if not with_objects:
        return {"admin": admin, "token": token}
    run(db, "import", str(ATTACK_SAMPLE), "--collection", "evidence")
    request = created("request", "create", "--to", PARTNER, "--kind", "information",
                      "--category", "intrusion", "--urgency", "urgent",
                      "--summary", "Who operates 10.0.0.0?", "--evidence", EVIDENCE, db=db)
    run(db, "request", "ack", request, "--as", PARTNER, "--note", "looking")
    return {"admin": admin, "token": token, "request": request}


def state(db: str, request: str) -> dict[str, object]:
    """What an operator or a party sees of a node: its objects, the request and its ledger,
    its parties and collections."""
    bundle = json.loads(run(db, "export", "--all-versions"))
    shown = json.loads(run(db, "request", "show", request, "--json"))
    return {"objects": sorted(json.dumps(o, sort_keys=True) for o in bundle["objects"]),
            "request": shown,
            "parties": run(db, "party", "list", "--json"),
            "collections": run(db, "collection", "list", "--json")}


def _change(db: str, statement: str) -> None:
    """What an operator, a tool or an intruder did to the database behind Accord's back."""
    engine = open_engine(db)
    try:
        with writing(engine) as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def _schema_one_revision_behind(db: str) -> str:
    """An empty database migrated to the revision before this Accord's; that revision."""
    previous = known_revisions()[-2]
    engine = open_engine(db)
    try:
        with writing(engine) as conn:
            upgrade_in(conn, previous)
    finally:
        engine.dispose()
    return previous


def test_backup_and_restore_round_trip_a_node(db_url, other_db, tmp_path):
    node = make_node(db_url)
    before = state(db_url, node["request"])
    assert len(before["objects"]) > 600
    backup = tmp_path / "node.backup"
    done = run_accord("backup", str(backup), db=db_url)
    assert done.returncode == 0, done.stderr
    assert "Backed up" in done.stderr and backup.stat().st_size > 0

    done = run_accord("restore", str(backup), db=other_db)
    assert done.returncode == 0, done.stderr
    assert state(other_db, node["request"]) == before
    verified = run_accord("audit", "verify", db=other_db)
    assert verified.returncode == 0, verified.stderr
    actions = [json.loads(line)["action"] for line in run(other_db, "audit", "--json",
                                                           "--limit", "3").splitlines()]
    assert actions[0] == "db.restore"  # the restore itself is on the record, chained
    # The tokens made before the backup open the restored node, as they opened the original.
    restored = open_node(other_db)
    try:
        assert restored.directory.principal(node["token"]) is not None
        assert restored.directory.principal(node["admin"]) is not None
        assert restored.directory.principal("not-a-token") is None
    finally:
        restored.engine.dispose()
    check = run_accord("db", "check", db=other_db)
    assert check.returncode == 0, check.stdout + check.stderr


def test_restore_refuses_a_database_that_holds_data_unless_forced(db_url, tmp_path):
    make_node(db_url, with_objects=False)
    backup = tmp_path / "node.backup"
    run(db_url, "backup", str(backup))
    created("party", "add", "Germany (CERT-Bund)", db=db_url)  # after the backup

    refused = run_accord("restore", str(backup), db=db_url)
    assert refused.returncode != 0
    assert "holds data" in refused.stderr and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert "Germany" in run(db_url, "party", "list")  # nothing was touched

    forced = run_accord("restore", str(backup), "--force", db=db_url)
    assert forced.returncode == 0, forced.stderr
    assert "Germany" not in run(db_url, "party", "list")  # as it was at the backup


def test_an_upgrade_is_rolled_back_by_restoring_the_backup_made_before_it(db_url, tmp_path):
    make_node(db_url, with_objects=False)
    backup = tmp_path / "node.backup"
    run(db_url, "backup", str(backup))
    # A newer Accord migrated the node (a table of its own, its revision) and wrote to it.
    created("party", "add", "Germany (CERT-Bund)", db=db_url)
    _change(db_url, "CREATE TABLE newer_things (n INTEGER PRIMARY KEY)")
    _change(db_url, "UPDATE alembic_version SET version_num = '9999'")

    refused = run_accord("restore", str(backup), db=db_url)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "a node migrated by a newer Accord (schema 9999" in refused.stderr
    assert "--force" in refused.stderr and "another application" not in refused.stderr

    if db_url.startswith("postgresql"):
        # The newer Accord's own tables would stay beside the backup's: --clean, said aloud.
        unclean = run_accord("restore", str(backup), "--force", db=db_url)
        assert unclean.returncode != 0 and "needs --clean too" in unclean.stderr
        assert "Traceback" not in unclean.stderr
    forced = run_accord("restore", str(backup), "--force", "--clean", db=db_url)
    assert forced.returncode == 0, forced.stderr
    assert "Germany" not in run(db_url, "party", "list")  # as it was at the backup
    assert run_accord("db", "check", db=db_url).returncode == 0  # nothing of the newer left
    assert run_accord("db", "migrate", db=db_url).returncode == 0


def test_a_backup_whose_trail_does_not_hold_never_replaces_a_node_unasked(tmp_path):
    node, other = str(tmp_path / "node.db"), str(tmp_path / "other.db")
    make_node(other, with_objects=False)
    backup = tmp_path / "other.backup"
    run(other, "backup", str(backup))
    _change(str(backup), "UPDATE audit SET action = 'party.remove' WHERE seq = 2")
    make_node(node, with_objects=False)
    created("party", "add", "Germany (CERT-Bund)", db=node)
    before = run(node, "party", "list")

    refused = run_accord("restore", str(backup), "--force", db=node)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "audit trail is broken at record 2" in refused.stderr
    assert "--broken-trail" in refused.stderr and "nothing was changed" in refused.stderr
    assert run(node, "party", "list") == before
    assert run_accord("audit", "verify", db=node).returncode == 0

    done = run_accord("restore", str(backup), "--force", "--broken-trail", db=node)
    assert done.returncode == 1 and "broken at record 2" in done.stderr  # restored, and said
    assert "Germany" not in run(node, "party", "list")


def test_a_node_whose_trail_was_broken_when_backed_up_replaces_no_node_unasked(
        db_url, other_db, tmp_path):
    make_node(db_url, with_objects=False)
    _change(db_url, "UPDATE audit SET action = 'party.remove' WHERE seq = 2")
    backup = tmp_path / "node.backup"
    run(db_url, "backup", str(backup))
    make_node(other_db, with_objects=False)
    created("party", "add", "Germany (CERT-Bund)", db=other_db)
    before = run(other_db, "party", "list")

    refused = run_accord("restore", str(backup), "--force", "--clean", db=other_db)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
    message = " ".join(refused.stderr.split())
    assert "audit trail is broken at record 2" in message, message
    assert "--broken-trail" in message and "nothing was changed" in message
    assert run(other_db, "party", "list") == before
    assert run_accord("audit", "verify", db=other_db).returncode == 0

    done = run_accord("restore", str(backup), "--force", "--clean", "--broken-trail",
                      db=other_db)
    assert done.returncode == 1 and "broken at record 2" in done.stderr  # restored, and said
    assert "Germany" not in run(other_db, "party", "list")


def test_a_failed_restore_leaves_the_database_as_it_was(db_url, other_db, tmp_path):
    created("init", "--party", OWN_PARTY, db=db_url)
    run(db_url, "import", str(ATTACK_SAMPLE), "--collection", "evidence")
    backup = tmp_path / "node.backup"
    run(db_url, "backup", str(backup))
    created("init", "--party", "Germany (CERT-Bund)", db=other_db)
    # Cut: its table of contents (at the start) reads, its data stops half-way.
    cut = tmp_path / "cut.backup"
    cut.write_bytes(backup.read_bytes()[: backup.stat().st_size // 2])

    failed = run_accord("restore", str(cut), "--force", "--clean", db=other_db)
    assert failed.returncode != 0
    assert "Traceback" not in failed.stderr and "error:" in failed.stderr
    assert "Germany (CERT-Bund)" in run(other_db, "party", "list")
    assert run_accord("audit", "verify", db=other_db).returncode == 0


def test_a_backup_is_restored_only_into_its_own_kind_of_database(db_url, tmp_path):
    created("init", "--party", OWN_PARTY, db=db_url)
    backup = tmp_path / "node.backup"
    run(db_url, "backup", str(backup))
    other = ("postgresql://postgres@127.0.0.1:9/none" if "://" not in db_url
             else str(tmp_path / "x.db"))
    done = run_accord("restore", str(backup), db=other)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "backup" in done.stderr and "restore it into a" in done.stderr
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    done = run_accord("restore", str(not_a_backup), db=db_url)
    assert done.returncode != 0 and "not a backup made by `accord backup`" in done.stderr


def test_backup_of_a_database_that_does_not_exist_says_so(tmp_path):
    # SQLite's: a --db file that is not there (a PostgreSQL URL names a server, not a file).
    done = run_accord("backup", str(tmp_path / "b"), db=str(tmp_path / "missing.db"))
    assert done.returncode != 0 and "no database at" in done.stderr
    assert not (tmp_path / "missing.db").exists()


def test_migrate_check_finds_a_pending_migration_and_migrate_applies_it(db_url):
    previous = _schema_one_revision_behind(db_url)

    pending = run_accord("db", "migrate", "--check", db=db_url)
    assert pending.returncode == 1
    assert f"at {previous}" in pending.stderr and SCHEMA_REVISION in pending.stderr
    engine = open_engine(db_url)
    try:
        assert schema_revision(engine) == previous  # --check changed nothing
    finally:
        engine.dispose()

    done = run_accord("db", "migrate", db=db_url)
    assert done.returncode == 0, done.stderr
    assert f"from {previous} to {SCHEMA_REVISION}" in done.stderr
    assert run_accord("db", "migrate", "--check", db=db_url).returncode == 0
    again = run_accord("db", "migrate", db=db_url)
    assert again.returncode == 0 and "nothing to do" in again.stderr


def test_a_schema_newer_than_this_accord_is_a_plain_error(db_url):
    created("init", "--party", OWN_PARTY, db=db_url)
    _change(db_url, "UPDATE alembic_version SET version_num = '9999'")
    for args in (("db", "migrate"), ("db", "migrate", "--check"), ("party", "list")):
        done = run_accord(*args, db=db_url)
        assert done.returncode != 0, args
        assert "Traceback" not in done.stderr
        assert "revision 9999" in done.stderr and "newer Accord" in done.stderr, done.stderr
    check = run_accord("db", "check", "--json", db=db_url)
    assert check.returncode == 1
    assert json.loads(check.stdout)["checks"][0]["ok"] is False


def test_db_check_finds_a_dropped_index(db_url):
    created("init", "--party", OWN_PARTY, db=db_url)
    assert run_accord("db", "check", db=db_url).returncode == 0
    _change(db_url, "DROP INDEX ix_audit_at")
    done = run_accord("db", "check", db=db_url)
    assert done.returncode == 1
    assert "index ix_audit_at is missing" in done.stdout
    document = json.loads(run_accord("db", "check", "--json", db=db_url).stdout)
    assert document["healthy"] is False
    schema = next(c for c in document["checks"] if c["check"] == "schema")
    [missing] = schema["problems"]
    assert missing.startswith("index ix_audit_at is missing: make it again with CREATE INDEX "
                              "ix_audit_at ON audit")
    assert all(c["ok"] for c in document["checks"] if c["check"] != "schema")


def test_db_check_finds_a_column_dropped_or_changed(db_url):
    # A column dropped by hand: `db check` said healthy, and `party list` then failed with
    # "column parties.time_zone does not exist".
    created("init", "--party", OWN_PARTY, db=db_url)
    _change(db_url, "ALTER TABLE parties DROP COLUMN time_zone")
    if "://" in db_url:
        _change(db_url, "ALTER TABLE objects ALTER COLUMN type DROP NOT NULL")
    document = json.loads(run_accord("db", "check", "--json", db=db_url).stdout)
    schema = next(c for c in document["checks"] if c["check"] == "schema")
    assert "column parties.time_zone is missing" in schema["problems"]
    if "://" in db_url:
        assert any(p.startswith("column objects.type differs:") and "varying(250) null'" in p
                   for p in schema["problems"]), schema["problems"]


@pytest.mark.postgres
def test_db_check_finds_dropped_planner_statistics(pg_url):
    created("init", "--party", OWN_PARTY, db=pg_url)
    _change(pg_url, "DROP STATISTICS audit_objects_hash_of_id")
    document = json.loads(run_accord("db", "check", "--json", db=pg_url).stdout)
    schema = next(c for c in document["checks"] if c["check"] == "schema")
    assert schema["problems"] == ["statistics audit_objects_hash_of_id is missing"]


def test_db_check_finds_a_tampered_audit_record(db_url):
    created("init", "--party", OWN_PARTY, db=db_url)
    created("party", "add", PARTNER, db=db_url)
    _change(db_url, "UPDATE audit SET action = 'party.remove' WHERE seq = 2")
    done = run_accord("db", "check", db=db_url)
    assert done.returncode == 1
    assert "audit trail broken at record 2" in done.stdout


@pytest.mark.parametrize("column,written", [
    ("detail", "not json"), ("object_ids", "not json"), ("detail", '{"k": 2}')])
def test_db_check_names_a_record_written_over_with_bytes_that_are_not_json(db_url, column,
                                                                           written):
    created("init", "--party", OWN_PARTY, db=db_url)
    created("party", "add", PARTNER, db=db_url)
    sqlite = db_url.endswith(".db")
    if written == "not json":
        _change(db_url, f"UPDATE audit SET {column} = "
                        + ("X'00ff'" if sqlite else "'\\x00ff'::bytea") + " WHERE seq = 2")
    else:  # JSON text, as an edit in SQLite's shell leaves it
        _change(db_url, f"UPDATE audit SET {column} = "
                        + (f"'{written}'" if sqlite else f"convert_to('{written}', 'UTF8')")
                        + " WHERE seq = 2")
    done = run_accord("db", "check", db=db_url)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "audit trail broken at record 2: its content does not match its hash" in done.stdout
    assert "schema" in done.stdout  # and the other checks ran
    checked = run_accord("db", "check", "--json", db=db_url)
    assert checked.returncode == 1
    assert any("record 2" in problem for finding in json.loads(checked.stdout)["checks"]
               for problem in finding["problems"])
    verified = run_accord("audit", "verify", db=db_url)
    assert verified.returncode == 1 and "broken at record 2" in verified.stderr
    listed = run_accord("audit", "--json", db=db_url)  # still listed, as it is
    assert listed.returncode == 0, listed.stderr


def test_db_check_finds_a_row_pointing_at_nothing(db_url):
    created("init", "--party", OWN_PARTY, db=db_url)
    engine = open_engine(db_url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            else:  # as a restore with triggers off, or a hand edit, could leave it
                conn.exec_driver_sql("SET session_replication_role = replica")
            conn.execute(text("UPDATE tokens SET party_id = 'identity--gone'"))
            conn.commit()
    finally:
        engine.dispose()
    done = run_accord("db", "check", db=db_url)
    assert done.returncode == 1
    assert "tokens.party_id names parties rows that do not exist (identity--gone)" \
        in done.stdout


def test_db_check_thorough_finds_a_summary_apart_from_its_ledger_and_rebuild_mends_it(db_url):
    request = make_node(db_url)["request"]  # acknowledged, not answered
    assert run_accord("db", "check", "--thorough", db=db_url).returncode == 0
    engine = open_engine(db_url)
    try:  # as a hand edit or a bug could leave it: the list would show it answered
        with writing(engine) as conn:
            conn.execute(text("UPDATE request_summaries SET is_answered = :yes"), {"yes": True})
    finally:
        engine.dispose()
    assert run_accord("db", "check", db=db_url).returncode == 0  # only --thorough derives
    done = run_accord("db", "check", "--thorough", db=db_url)
    assert done.returncode == 1, done.stdout
    assert "summaries" in done.stdout and request in done.stdout
    assert "accord db rebuild-summaries" in done.stdout
    rebuilt = run_accord("db", "rebuild-summaries", db=db_url)
    assert rebuilt.returncode == 0
    assert "Summaries of 1 request derived again from its ledger" in rebuilt.stderr
    assert run_accord("db", "check", "--thorough", db=db_url).returncode == 0
    assert json.loads(run(db_url, "request", "show", request, "--json"))["state"] \
        == "acknowledged"


def test_db_check_thorough_finds_storage_counted_wrong_and_recount_mends_it(db_url):
    make_node(db_url)  # the request and its acknowledgement are the parties' own versions
    assert run_accord("db", "check", "--thorough", db=db_url).returncode == 0
    # As a hand edit or a bug could leave it: a party's quota held to what it does not hold.
    _change(db_url, "UPDATE party_storage SET stored_bytes = stored_bytes + 12345")
    assert run_accord("db", "check", db=db_url).returncode == 0  # only --thorough counts
    done = run_accord("db", "check", "--thorough", db=db_url, env={"COLUMNS": "200"})
    assert done.returncode == 1, done.stdout
    assert "storage" in done.stdout and "counted apart from what they hold" in done.stdout
    assert f"{PARTNER} (identity--" in done.stdout
    assert "accord db recount-storage" in done.stdout
    mended = run_accord("db", "recount-storage", db=db_url, env={"COLUMNS": "200"})
    assert mended.returncode == 0, mended.stderr
    assert mended.stdout == ""
    assert f"{PARTNER} (identity--" in mended.stderr and "counted again" in mended.stderr
    assert run_accord("db", "check", "--thorough", db=db_url).returncode == 0
    again = run_accord("db", "recount-storage", db=db_url)
    assert "nothing changed" in again.stderr
    audited = run_accord("audit", "--action", "db.recount-storage", "--json", db=db_url)
    assert len(audited.stdout.splitlines()) == 2, audited.stdout


def test_db_check_thorough_finds_the_search_index_apart_from_the_names_and_rebuild_mends_it(
        db_url):
    make_node(db_url)
    assert found(db_url, "0022")
    if "://" in db_url:  # PostgreSQL keeps its trigram index itself: a rebuild is a REINDEX
        rebuilt = run_accord("db", "rebuild-search", db=db_url)
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert found(db_url, "0022")
        return
    _change(db_url, "DELETE FROM object_names_fts")  # as a bug could leave it
    assert not found(db_url, "0022")
    assert run_accord("db", "check", db=db_url).returncode == 0  # only --thorough reads it
    done = run_accord("db", "check", "--thorough", db=db_url)
    assert done.returncode == 1, done.stdout
    assert "the full-text index of names differs from the names" in done.stdout
    assert "not in the full-text index: a search by name misses them" in done.stdout
    assert "accord db rebuild-search" in done.stdout
    rebuilt = run_accord("db", "rebuild-search", db=db_url)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert run_accord("db", "check", "--thorough", db=db_url).returncode == 0
    assert found(db_url, "0022")


def found(db: str, needle: str) -> list[str]:
    """What a search for `needle` finds on the node, as its own party reads."""
    node = open_node(db)
    try:
        return [f.id for f in Browse(node.engine).search(node.party.id, needle)]
    finally:
        node.engine.dispose()


def test_db_check_thorough_reads_a_damaged_sqlite_file_as_damaged(tmp_path):
    """A page of the file zeroed (a disk's fault, or a copy cut short): the file's own check
    says so and names the backup, and no check mistakes it for something a rebuild mends."""
    db = tmp_path / "node.db"
    make_node(str(db))
    assert run_accord("db", "check", "--thorough", db=str(db)).returncode == 0
    engine = open_engine(str(db))
    try:
        with engine.connect() as conn:
            page = conn.exec_driver_sql("SELECT rootpage FROM sqlite_master "
                                        "WHERE name = 'ix_object_names_readable'").scalar()
            size = conn.exec_driver_sql("PRAGMA page_size").scalar()
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    with db.open("r+b") as file:
        file.seek((page - 1) * size)
        file.write(b"\0" * size)
    document = json.loads(run_accord("db", "check", "--thorough", "--json", db=str(db)).stdout)
    checks = {c["check"]: c for c in document["checks"]}
    assert document["healthy"] is False
    assert not checks["file"]["ok"] and "accord restore" in checks["file"]["problems"][-1]
    assert not any("rebuild-search" in problem for problem in checks["search"]["problems"])


def test_db_check_finds_a_dropped_trigger_on_sqlite(tmp_path):
    db = str(tmp_path / "node.db")
    created("init", "--party", OWN_PARTY, db=db)
    _change(db, "DROP TRIGGER object_names_removed")
    done = run_accord("db", "check", db=db)
    assert done.returncode == 1
    assert "trigger object_names_removed is missing" in done.stdout


@pytest.mark.postgres
def test_restore_with_clean_also_drops_what_the_backup_does_not_hold(pg_url, tmp_path):
    created("init", "--party", OWN_PARTY, db=pg_url)
    backup = tmp_path / "node.backup"
    run(pg_url, "backup", str(backup))
    engine = open_engine(pg_url)
    try:
        with writing(engine) as conn:
            conn.execute(text("CREATE TABLE operator_notes (note text)"))

        def tables() -> set[str]:
            with engine.connect() as conn:
                return set(conn.execute(text("SELECT tablename FROM pg_tables "
                                             "WHERE schemaname = current_schema()")).scalars())

        run(pg_url, "restore", str(backup), "--force")
        assert "operator_notes" in tables()  # --force replaces what the backup holds
        run(pg_url, "restore", str(backup), "--force", "--clean")
        assert "operator_notes" not in tables() and "objects" in tables()
    finally:
        engine.dispose()
    assert run_accord("db", "check", db=pg_url).returncode == 0


def test_a_backup_replaces_an_earlier_backup_and_nothing_else(db_url, tmp_path):
    # `accord backup` wrote its dump over another node's live database, and the server on
    # it went on answering "file is not a database".
    make_node(db_url, with_objects=False)
    backup = tmp_path / "node.backup"
    run(db_url, "backup", str(backup))
    again = run_accord("backup", str(backup), db=db_url)  # the nightly job, the next night
    assert again.returncode == 0, again.stderr
    live = tmp_path / "other-node.db"
    created("init", "--party", "Germany (CERT-Bund)", db=str(live))
    notes = tmp_path / "notes.txt"
    notes.write_text("the hotline's numbers\n")
    for target, said in ((live, "SQLite database in use"), (notes, "something other than")):
        before = target.read_bytes()
        refused = run_accord("backup", str(target), db=db_url)
        assert refused.returncode == 1, refused.stderr
        assert said in refused.stderr and "name another file" in refused.stderr
        assert "Traceback" not in refused.stderr
        assert target.read_bytes() == before
    assert "Germany" in run(str(live), "party", "list")


def test_a_backup_of_a_schema_newer_than_this_accord_is_refused_before_anything_changes(
        db_url, other_db, tmp_path):
    # Restored with --force, it replaced a working node with one no command would open.
    make_node(db_url, with_objects=False)
    _change(db_url, "UPDATE alembic_version SET version_num = '9999'")
    newer = tmp_path / "newer.backup"
    run(db_url, "backup", str(newer))
    created("init", "--party", "Germany (CERT-Bund)", db=other_db)
    refused = run_accord("restore", str(newer), "--force", db=other_db)
    assert refused.returncode == 1
    assert "backup of schema 9999" in refused.stderr and "nothing was changed" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert "Germany" in run(other_db, "party", "list")  # the working node, as it was
    assert run_accord("db", "check", db=other_db).returncode == 0


def test_a_command_that_finds_the_schema_behind_migrates_it_on_the_record(db_url):
    previous = _schema_one_revision_behind(db_url)
    done = run_accord("init", "--party", OWN_PARTY, db=db_url)
    assert done.returncode == 0, done.stderr
    assert f"Schema migrated from {previous} to {SCHEMA_REVISION}" in done.stderr
    records = [json.loads(line) for line in run(db_url, "audit", "--json").splitlines()]
    [migrated] = [r for r in records if r["action"] == "db.migrate"]
    assert migrated["detail"] == {"from": previous, "to": SCHEMA_REVISION, "by": "cli"}


@pytest.mark.postgres
def test_init_does_not_print_the_databases_password(pg_url):
    # Trust authentication here: the server takes the URL's password and ignores it.
    with_password = pg_url.replace("://postgres@", "://postgres:s3cret-word@", 1)
    assert with_password != pg_url
    done = run_accord("init", "--party", OWN_PARTY, db=with_password)
    assert done.returncode == 0, done.stderr
    assert "s3cret-word" not in done.stderr + done.stdout
    assert "postgres:***@" in done.stderr


def test_db_check_finds_two_parties_that_are_the_nodes_own(db_url):
    make_node(db_url, with_objects=False)
    _change(db_url, "UPDATE parties SET is_self = true")  # what two hosts' first runs left
    check = run_accord("db", "check", "--json", db=db_url)
    assert check.returncode == 1
    [revision] = [c for c in json.loads(check.stdout)["checks"] if c["check"] == "revision"]
    assert any("2 parties are this node's own" in p for p in revision["problems"])


def test_restore_never_replaces_another_applications_tables(db_url, other_db, tmp_path):
    # With --force, a restore replaced the other application's own `objects` table and left
    # its other tables among the node's.
    make_node(db_url, with_objects=False)
    backup = tmp_path / "node.backup"
    run(db_url, "backup", str(backup))
    if "://" in other_db:
        _change(other_db, "CREATE TABLE customers (id integer PRIMARY KEY)")
    else:
        import sqlite3

        with sqlite3.connect(other_db) as conn:
            conn.execute("CREATE TABLE customers (id integer PRIMARY KEY)")
    _change(other_db, "CREATE TABLE objects (id integer PRIMARY KEY)")
    _change(other_db, "INSERT INTO objects VALUES (42)")
    refused = run_accord("restore", str(backup), "--force", db=other_db)
    assert refused.returncode == 1
    assert "another application's tables (" in refused.stderr and "objects" in refused.stderr
    assert "Traceback" not in refused.stderr
    engine = open_engine(other_db)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT id FROM objects")).scalars().all() == [42]
    finally:
        engine.dispose()


@pytest.mark.parametrize("revision", ["ae1027a6acf", "9999"])
def test_restore_never_replaces_an_empty_schema_of_another_alembic_application(
        db_url, other_db, tmp_path, revision):
    # Tables without rows, and an alembic_version of its own: read as "an Accord node". Nor
    # one numbered like Accord's, past it: only a schema holding a node's tables is a node a
    # newer Accord migrated.
    make_node(db_url, with_objects=False)
    backup = tmp_path / "node.backup"
    run(db_url, "backup", str(backup))
    _change(other_db, "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
    _change(other_db, f"INSERT INTO alembic_version VALUES ('{revision}')")
    _change(other_db, "CREATE TABLE invoices (id integer PRIMARY KEY)")
    for extra in ((), ("--clean",)):
        refused = run_accord("restore", str(backup), "--force", *extra, db=other_db)
        assert refused.returncode == 1, refused.stderr
        assert "another application's tables (invoices)" in refused.stderr
    engine = open_engine(other_db)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() \
                == revision
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_backup_does_not_replace_another_applications_dump(pg_url, tmp_path):
    # Any pg_dump archive was taken for an earlier backup and replaced.
    import subprocess

    from accord.store.pg_backup import find_tool, server_major, target_of

    make_node(pg_url, with_objects=False)
    other = tmp_path / "billing.dump"
    with fresh_pg_schema("o") as billing:
        _change(billing, "CREATE TABLE invoices (id integer PRIMARY KEY)")
        engine = open_engine(billing)
        try:
            pg_dump = find_tool("pg_dump", server_major(engine))
        finally:
            engine.dispose()
        target = target_of(billing)
        subprocess.run([str(pg_dump), "--format=custom", f"--schema={target.schema}",
                        f"--file={other}", target.url], check=True, capture_output=True)
    before = other.read_bytes()
    refused = run_accord("backup", str(other), db=pg_url)
    assert refused.returncode == 1
    assert "is not an earlier backup of a node" in refused.stderr
    assert other.read_bytes() == before


@pytest.mark.postgres
def test_rebuilding_the_search_index_of_an_empty_database_says_there_is_no_node(pg_url):
    # It spoke of a missing trigram index.
    done = run_accord("db", "rebuild-search", db=pg_url)
    assert done.returncode == 2
    assert "holds no Accord node" in done.stderr and "trigram" not in done.stderr
