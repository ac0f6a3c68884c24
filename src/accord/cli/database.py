"""The operator's database commands: `accord db migrate`, `accord db check`, `accord backup` and
`accord restore` (docs/deployment.md says when to use each)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.markup import escape
from sqlalchemy import Engine

from accord.cli.common import (
    DEFAULT_DB,
    Db,
    app,
    err,
    fail,
    out,
    require_database,
    user_errors,
)
from accord.stix.timestamps import now_timestamp
from accord.store import quotas, search_index, summaries
from accord.store.audit_log import AuditLog
from accord.store.backup import (
    BackupError,
    backup_kind,
    backup_sqlite,
    contents_of,
    restore_sqlite,
)
from accord.store.checkup import Checkup, check
from accord.store.database_checks import foreign_tables
from accord.store.engine import (
    SCHEMA_REVISION,
    SchemaTooNew,
    is_read_only_refusal,
    is_sqlite,
    known_revisions,
    migrate,
    open_engine,
    schema_revision,
)
from accord.store.urls import sqlite_file
from accord.trust.audit import Event, verify_links
from accord.words import how_many

db_app = typer.Typer(help="The database: bring its schema up to date, check that it is whole.",
                     no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("migrate")
def migrate_schema(
    check_only: Annotated[bool, typer.Option(
        "--check", help="Only say whether a migration is pending (exit 1 if one is); change "
                        "nothing.")] = False,
    db: Db = DEFAULT_DB,
) -> None:
    """Bring the schema up to this version of Accord.

    Run once after an upgrade, before the servers start; several hosts at once are safe: one
    migrates, the others wait and find the schema current."""
    engine = require_database(db)
    with user_errors():
        current = schema_revision(engine)
        if check_only:
            if current is not None and current not in known_revisions():
                raise SchemaTooNew(current)
            if current == SCHEMA_REVISION:
                err.print(f"Schema up to date ({SCHEMA_REVISION}).")
                return
            if current is None:
                with engine.connect() as conn:
                    foreign = foreign_tables(conn)
                if foreign:
                    raise fail(f"the database holds no Accord schema but tables Accord did not "
                               f"make ({', '.join(foreign[:6])}{' …' if len(foreign) > 6 else ''})"
                               ": `accord db migrate` would refuse it; name an empty database "
                               "(or PostgreSQL schema) with --db")
            err.print(f"Migration pending: the schema is at {current or 'none (empty)'}, this "
                      f"Accord needs {SCHEMA_REVISION}. Run `accord db migrate`.")
            raise typer.Exit(1)
        previous = migrate(engine)
        if previous == SCHEMA_REVISION:
            err.print(f"Schema already at {SCHEMA_REVISION}: nothing to do.")
            return
        _audit(engine, "db.migrate", {"from": previous, "to": SCHEMA_REVISION})
    err.print(f"Schema migrated from {previous or 'none (empty)'} to {SCHEMA_REVISION}.")


@db_app.command("check")
def check_database(
    thorough: Annotated[bool, typer.Option(
        help="Also look for orphan rows in the large tables (objects, the audit trail, the "
             "ledger…), compare every request's summary with its ledger and each party's "
             "counted storage with its versions: reads them whole.")] = False,
    as_json: Annotated[bool, typer.Option(
        "--json", help="One JSON document: `healthy`, and each check with its summary, "
                       "problems and notes.")] = False,
    db: Db = DEFAULT_DB,
) -> None:
    """Check the schema, its indexes, the audit chain and references; exit 1 on a problem.

    The revision; every table, column, index and constraint the migrations make; the audit
    chain; and rows whose foreign key names nothing."""
    try:
        engine = require_database(db)
    except typer.Exit:
        if as_json:  # a monitor reads a document whatever happened; the words are on stderr
            typer.echo(orjson.dumps({"healthy": False, "checks": [], "error": (
                "the database could not be opened: see standard error")}).decode())
        raise
    with user_errors():
        checkup = check(engine, thorough=thorough)
    if as_json:
        typer.echo(orjson.dumps(as_document(checkup)).decode())
    else:
        for finding in checkup.findings:
            verdict = "[green]ok     [/]" if finding.is_ok else "[bold red]PROBLEM[/]"
            out.print(f"{finding.check:<11} {verdict}  {escape(finding.summary)}")
            for problem in finding.problems:
                out.print(f"            [red]✗[/] {escape(problem)}")
            for note in finding.notes:
                out.print(f"            [dim]note:[/] {escape(note)}")
        problems = sum(len(f.problems) for f in checkup.findings)
        err.print("Database healthy." if checkup.is_healthy else
                  f"[bold red]Database has problems:[/] {problems} found.")
    if not checkup.is_healthy:
        raise typer.Exit(1)


@db_app.command("rebuild-summaries")
def rebuild_summaries(db: Db = DEFAULT_DB) -> None:
    """Derive every request's summary (what lists, the dashboard and the review read) again from
    the ledger.

    The ledger is the truth and the summaries follow it in every write; run this when
    `accord db check --thorough` finds them apart."""
    engine = require_database(db)
    with user_errors():
        count = summaries.rebuild(engine)
        _audit(engine, "db.rebuild-summaries", {"requests": count})
    err.print(f"Summaries of {how_many(count, 'request')} derived again from "
              f"{'its ledger' if count == 1 else 'their ledgers'}.")


@db_app.command("recount-storage")
def recount_storage(db: Db = DEFAULT_DB) -> None:
    """Count what each party stores (what its quota is held to) again from its versions.

    Run it when `accord db check --thorough` finds the counts apart. It reads the length of
    every stored version; on PostgreSQL every party's new versions wait until it is done."""
    engine = require_database(db)
    with user_errors():
        apart = quotas.recount(engine)
        _audit(engine, "db.recount-storage", {"apart": [
            {"party": r.party_id, "counted_bytes": r.counted_bytes,
             "counted_versions": r.counted_versions, "held_bytes": r.held_bytes,
             "held_versions": r.held_versions} for r in apart]})
    if not apart:
        err.print("Every party's storage was counted right; nothing changed.")
        return
    for r in apart:
        err.print(f"{escape(r.shown)}: {r.counted_bytes:,} → "
                  f"{r.held_bytes:,} bytes, {r.counted_versions:,} → {r.held_versions:,} "
                  "versions")
    err.print(f"Storage of {how_many(len(apart), 'party', 'parties')} counted again from "
              "the versions.")


@db_app.command("rebuild-search")
def rebuild_search(db: Db = DEFAULT_DB) -> None:
    """Make the indexes that a search by name and a search of the requests list read again
    from the names and the requests' words they index.

    Run it when `accord db check --thorough` finds an index and what it indexes apart. SQLite
    rebuilds its full-text tables (writers wait until it is done); PostgreSQL its trigram
    indexes, concurrently (searches and writes go on)."""
    engine = require_database(db)
    with user_errors():
        if schema_revision(engine) is None:
            raise fail("the database holds no Accord node: there is no search index to make "
                       "again; name the node's database with --db")
        try:
            search_index.rebuild(engine)
        except search_index.NoTrigramIndex as error:
            raise fail(str(error)) from None
        _audit(engine, "db.rebuild-search", {})
    err.print("The search indexes were made again from the names and the requests' words.")


def as_document(checkup: Checkup) -> dict[str, object]:
    return {"healthy": checkup.is_healthy,
            "checks": [{"check": f.check, "ok": f.is_ok, "summary": f.summary,
                        "problems": list(f.problems), "notes": list(f.notes)}
                       for f in checkup.findings]}


@app.command()
def backup(
    file: Annotated[Path, typer.Argument(help="Where to write the backup (replaced, when the "
                                              "new one is whole, if it exists).")],
    db: Db = DEFAULT_DB,
) -> None:
    """Copy the whole database to FILE, while the server runs.

    SQLite through its online backup API; PostgreSQL with pg_dump (the node's schema, custom
    format)."""
    engine = require_database(db)
    with user_errors(), _backup_errors():
        if schema_revision(engine) is None:
            raise BackupError("the database holds no Accord schema: nothing to back up")
        if not file.parent.is_dir():
            raise BackupError(f"no folder {file.parent} to write the backup in")
        if file.exists() and not file.is_file():
            # A backup replaces what is there: never a device, a pipe or a folder.
            raise BackupError(f"{file} is not a regular file: name a file to write the "
                              "backup in")
        path = sqlite_file(db)
        if path is not None:
            contents = backup_sqlite(path, file)
        else:
            from accord.store.pg_backup import backup_pg

            backup_pg(engine, db, file)
            contents = contents_of(engine)
        _audit(engine, "db.backup", {"file": str(file.resolve()), "revision": contents.revision,
                                     "objects": contents.objects,
                                     "audit_records": contents.audit_records})
    err.print(f"Backed up to {escape(str(file))}: {contents.describe()}.")


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="A backup made by `accord backup`.")],
    force: Annotated[bool, typer.Option(
        help="Overwrite a database that holds data (it is replaced by the backup).")] = False,
    clean: Annotated[bool, typer.Option(
        help="PostgreSQL: drop every table, view and sequence of the schema first, also those "
             "the backup does not hold (SQLite: the whole file is replaced anyway).")] = False,
    broken_trail: Annotated[bool, typer.Option(
        help="Replace a node's database with a backup whose audit trail does not hold "
             "(refused otherwise, and nothing changes).")] = False,
    db: Db = DEFAULT_DB,
) -> None:
    """Replace the database with a backup made by `accord backup` (stop the servers first).

    Refuses a database that holds data unless --force; PostgreSQL restores in one
    transaction, so a failed restore leaves the database as it was."""
    with user_errors(), _backup_errors():
        kind = backup_kind(file)
        path = sqlite_file(db)
        engine = open_engine(db)
        wanted = "sqlite" if is_sqlite(engine) else "postgresql"
        if kind != wanted:
            raise BackupError(f"{file} is a {_kinds[kind]} backup, and --db names a "
                              f"{_kinds[wanted]} database: restore it into a {_kinds[kind]} one")
        if path is not None:
            if path.exists() and not path.is_file():
                raise BackupError(f"{path} is not a regular file: name the database file "
                                  "to restore into with --db")
            restore_sqlite(file, path, known=known_revisions(), force=force,
                           broken_trail=broken_trail)
        else:
            if _is_memory(db):
                raise BackupError("cannot restore into an in-memory database")
            from accord.store.pg_backup import restore_pg

            restore_pg(engine, db, file, known=known_revisions(), force=force,
                       clean=clean, broken_trail=broken_trail)
        engine.dispose()
        engine = open_engine(db)
        contents = contents_of(engine)
        verdict = verify_links(AuditLog(engine).links())
        _audit(engine, "db.restore", {"file": str(file.resolve()),
                                      "revision": contents.revision,
                                      "objects": contents.objects,
                                      "audit_records": contents.audit_records,
                                      "head": verdict.head if verdict.is_intact else None})
    err.print(f"Restored {escape(str(file))}: {contents.describe()}.")
    if contents.revision not in (None, SCHEMA_REVISION):  # a newer one was refused before
        err.print(f"The backup's schema is older than this Accord's ({SCHEMA_REVISION}): "
                  "run `accord db migrate` before serving it.")
    if not verdict.is_intact:
        err.print(f"[bold red]The restored audit trail is broken at record "
                  f"{verdict.broken_at}:[/] {escape(verdict.reason)}. Run `accord db check`.")
        raise typer.Exit(1)


_kinds = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _is_memory(db: str) -> bool:
    return db.endswith(":memory:")


@contextmanager
def _backup_errors() -> Iterator[None]:
    """A BackupError as one line on stderr and exit 1."""
    try:
        yield
    except BackupError as error:
        raise fail(str(error), code=1) from None


def _audit(engine: Engine, action: str, detail: dict[str, object]) -> None:
    """The operator's command in the audit trail, like every change made from the command
    line (cli.common.record), without opening a whole node; on a standby (a backup taken
    from a replica, to spare the primary), said instead: its trail is the primary's."""
    try:
        AuditLog(engine).append([Event(now_timestamp(), action, None, detail=detail)])
    except Exception as error:  # the driver's own, where the append COPYs through it
        if not is_read_only_refusal(error):
            raise
        err.print(f"note: not recorded in the audit trail ({action}): the database is a "
                  "read-only standby, whose trail is the primary's")
