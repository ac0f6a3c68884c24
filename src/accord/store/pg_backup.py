"""Backing up and restoring a PostgreSQL node with PostgreSQL's own tools: `pg_dump -Fc` of the
node's schema (the one the URL's search_path names, else public), and a restore that runs as
one transaction (`pg_restore` into `psql --single-transaction`), so that a restore that fails
leaves the database as it was. (SQLite: store.backup.)"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from accord.store.backup import (
    BackupError,
    TargetNotEmpty,
    listed,
    may_replace,
    newer_accord,
    private_file,
    refuse_unknown,
    replacing,
    trail_broken,
)
from accord.store.bulk import analyze_schema
from accord.store.database_checks import foreign_tables
from accord.store.engine import is_standby, schema_revision, writing
from accord.store.pg_archives import Toc, parse_toc, revision_in_copy
from accord.store.pg_restore_scripts import epilogue, ident, pattern, prologue
from accord.store.pg_sessions import serving_name
from accord.store.pg_trail import trail_verdict
from accord.store.urls import normalise_url, search_path_schema
from accord.trust.audit import Verdict

# Where Debian puts each major version's client tools (postgresql-client-15 and so on).
DEBIAN_BINARIES = Path("/usr/lib/postgresql")
TOOLS = ("pg_dump", "pg_restore", "psql")


class PgToolsMissing(BackupError):
    """PostgreSQL's client tools are not installed where Accord looks."""


def find_tool(name: str, server_major: int, *, debian: Path = DEBIAN_BINARIES,
              path: str | None = None) -> Path:
    """The `name` tool for a server of `server_major`: Debian's of that version, else the one
    on PATH, else Debian's newest (pg_dump refuses servers newer than itself, not older)."""
    exact = debian / str(server_major) / "bin" / name
    if os.access(exact, os.X_OK):
        return exact
    on_path = shutil.which(name, path=path)
    if on_path is not None:
        return Path(on_path)
    versions = sorted((int(d.name) for d in _subdirs(debian) if d.name.isdigit()), reverse=True)
    for version in versions:
        candidate = debian / str(version) / "bin" / name
        if version >= server_major and os.access(candidate, os.X_OK):
            return candidate
    raise PgToolsMissing(
        f"{name} is not installed: install PostgreSQL's client tools for version "
        f"{server_major} or newer (Debian: apt-get install postgresql-client-{server_major}), "
        f"or put {name} on PATH")


def _subdirs(folder: Path) -> list[Path]:
    try:
        return [d for d in folder.iterdir() if d.is_dir()]
    except OSError:
        return []


@dataclass(frozen=True, slots=True)
class Target:
    """Where a backup is read from or restored into: libpq's URL (the password, if any, goes
    through PGPASSWORD, not the command line) and the node's schema."""

    url: str
    password: str | None
    schema: str


def target_of(db: str, schema: str | None = None) -> Target:
    """The target of `db`: its node's schema is `schema` if given, else the one the URL's
    search_path names, else public."""
    url = make_url(normalise_url(db))
    password = url.password
    # ?pgbouncer= is Accord's own (store.engine): libpq refuses what it does not know.
    libpq = url.set(drivername="postgresql")._replace(password=None) \
        .difference_update_query(["pgbouncer"])
    rendered = libpq.render_as_string(hide_password=False)
    return Target(rendered, str(password) if password is not None else None,
                  schema or search_path_schema(db) or "public")


def node_schema(engine: Engine, db: str) -> str:
    """The schema the node in `db` is in: the one the URL names, else the one its connections
    work in (a role's own search_path may name one), else public."""
    named = search_path_schema(db)
    if named is not None:
        return named
    with engine.connect() as conn:
        current = conn.execute(text("SELECT current_schema()")).scalar()
    if current is None:
        raise BackupError("no schema on the connection's search_path exists in that database: "
                          "name the node's with ?options=-csearch_path%3DNAME in the URL")
    return str(current)


def server_major(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000


def backup_pg(engine: Engine, db: str, file: Path) -> None:
    """`pg_dump -Fc` of the node's schema into `file` (written beside it, then renamed when
    whole), which may be an earlier backup of a node and nothing else (store.backup.
    may_replace). pg_dump reads one snapshot: the dump is consistent while the servers go on."""
    may_replace(file, "postgresql")
    if file.is_file() and file.stat().st_size > 0:
        try:  # an earlier backup of a node, not another application's dump
            read_toc(engine, file)
        except BackupError as error:
            raise BackupError(f"{file} is not an earlier backup of a node ({error}): name "
                              "another file, a backup would replace it") from None
    target = target_of(db, node_schema(engine, db))
    pg_dump = find_tool("pg_dump", server_major(engine))
    partial = file.with_name(f".{file.name}.partial")
    try:
        partial.unlink(missing_ok=True)
        private_file(partial)  # pg_dump writes into it, keeping its mode
        _run([str(pg_dump), "--format=custom", f"--schema={pattern(target.schema)}",
              f"--file={partial}", f"--dbname={target.url}"], target, "pg_dump")
        try:
            read_toc(engine, partial)  # a backup that could not be restored is none
        except BackupError as error:
            raise BackupError(f"the backup of the schema {target.schema!r} is not a node's "
                              f"({error}); nothing was written to {file}") from None
        os.replace(partial, file)
    except OSError as error:
        raise BackupError(f"cannot write {file}: {error.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)


def dump_revision(engine: Engine, file: Path, toc: Toc) -> str | None:
    """The schema revision a dump holds (its alembic_version row), read from the archive
    without restoring anything."""
    pg_restore = find_tool("pg_restore", server_major(engine))
    done = subprocess.run([str(pg_restore), "--data-only", f"--schema={toc.schema}",
                           "--table=alembic_version", "--file=-", str(file)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{file} is damaged or cut short: pg_restore could not read its "
                          f"schema version ({_last_lines(done.stderr)})")
    return revision_in_copy(done.stdout)


def read_toc(engine: Engine, file: Path) -> Toc:
    pg_restore = find_tool("pg_restore", server_major(engine))
    done = subprocess.run([str(pg_restore), "--list", str(file)], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{file} is not a readable pg_dump archive: "
                          f"{_last_lines(done.stderr)}")
    return parse_toc(done.stdout)


def rows_held(engine: Engine, schema: str) -> str | None:
    """The tables of `schema` that hold rows (besides the schema version), or None."""
    with engine.connect() as conn:
        tables = conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = :schema "
            "AND tablename != 'alembic_version' ORDER BY tablename"), {"schema": schema}
        ).scalars().all()
        full = [t for t in tables if conn.execute(text(
            f"SELECT 1 FROM {ident(schema)}.{ident(t)} LIMIT 1")).first()]
    return listed(full)


def servers_on(engine: Engine, schema: str) -> list[str]:
    """Where `accord serve` processes connected to the node in `schema` run from (their client
    addresses, or "this machine" for a Unix socket), one entry a connection. (Behind a pooler
    the connections are the pooler's, and unnamed: the servers cannot be seen from here.)"""
    with engine.connect() as conn:
        return [str(address or "this machine") for (address,) in conn.execute(text(
            "SELECT client_addr FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = :name AND pid <> pg_backend_pid()"),
            {"name": serving_name(schema)})]


def restore_pg(engine: Engine, db: str, file: Path, *, known: Collection[str],
               force: bool = False, clean: bool = False, broken_trail: bool = False) -> Toc:
    """Restore a dump `backup_pg` made into the schema `db` names, in one transaction. A schema
    holding rows is overwritten only with `force`; `clean` drops whatever else it holds too
    (otherwise only the tables, sequences and views the dump has are replaced). A dump of
    another schema is restored under this one's name. Over a node's rows, the restored audit
    trail is checked before the transaction commits, and one that does not hold rolls it back
    unless `broken_trail`."""
    if is_standby(engine):
        raise BackupError("the database is a read-only standby (a streaming replica): restore "
                          "into the primary, which the standby follows")
    target = target_of(db, node_schema(engine, db))
    major = server_major(engine)
    psql, pg_restore = find_tool("psql", major), find_tool("pg_restore", major)
    toc = read_toc(engine, file)
    revision = dump_revision(engine, file, toc)
    refuse_unknown(revision, known, file)
    serving = servers_on(engine, target.schema)
    if serving:
        # As on SQLite, whatever --force says: a server would go on with what it holds of
        # the node it was serving (its caches, its place in the audit chain).
        raise BackupError(f"the schema {target.schema!r} is in use by `accord serve` "
                          f"({len(serving)} connection{'' if len(serving) == 1 else 's'}, "
                          f"from {', '.join(sorted(set(serving)))}): stop the servers, then "
                          "restore")
    there = schema_revision(engine)
    with engine.connect() as conn:
        tables = foreign_tables(conn)
        newer = there if newer_accord(there, known, tables) else None
        if there not in known and newer is None and (others := tables):
            # As `accord init` and `accord db migrate` refuse it, whatever --force says: the
            # restore would replace that application's tables of the same names (another
            # Alembic-made schema has an alembic_version too).
            raise BackupError(f"the schema {target.schema!r} holds another application's "
                              f"tables ({listed(others)}) and no node of this Accord: "
                              "restore into an empty database (or schema), or a node's")
    held = rows_held(engine, target.schema)
    if held and not force:
        raise TargetNotEmpty(replacing(held, f"the schema {target.schema!r}", newer, known,
                                       revision))
    if newer is not None and not clean:
        # What the newer Accord made (its tables, its indexes) would stay beside the backup's,
        # and the next `accord db migrate` meet it. --clean drops every table of the schema:
        # the operator says so.
        raise BackupError(f"the schema {target.schema!r} holds a node migrated by a newer "
                          f"Accord (schema {newer}): rolling it back to the backup (schema "
                          f"{revision}) needs --clean too, which drops every table of the "
                          "schema, that Accord's own among them")
    if toc.has_trigram_index:
        _trigram_extension(engine)
        if toc.schema != target.schema:
            _may_move_trigram(engine, toc.schema)
    with tempfile.TemporaryDirectory(prefix="accord-restore-") as work:
        listing = Path(work) / "toc.list"
        listing.write_text(toc.without_schema())
        errors = Path(work) / "errors.txt"
        checked = bool(held) and not broken_trail and ("TABLE", "audit") in toc.relations
        with errors.open("w+b") as stderr:
            verdict = _restore(psql, pg_restore, file, listing, target, toc, clean, stderr,
                               check_trail=checked)
    if verdict is not None and not verdict.is_intact:
        raise trail_broken(file, verdict, f"the schema {target.schema!r}")
    # pg_restore restores no planner statistics: until autovacuum comes round, PostgreSQL
    # would plan the node's first pages as if its tables were empty.
    with writing(engine) as conn:
        analyze_schema(conn)
    return toc


# The key migration 0018 takes to create pg_trgm: a restore and a migration at once wait.
_EXTENSION_LOCK = 0x5EA4C4


def _trigram_extension(engine: Engine) -> None:
    """pg_trgm installed as migration 0018 installs it (in public), before the restore: a
    database made for the restore on a new server has no extensions."""
    with writing(engine) as conn:
        conn.execute(text(f"SELECT pg_advisory_xact_lock({_EXTENSION_LOCK})"))
        if conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first():
            return
        try:
            with conn.begin_nested():
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public"))
        except DBAPIError as error:
            raise BackupError(
                "the backup's search index needs PostgreSQL's pg_trgm extension, which this "
                f"database lacks and this user may not create ({_last_lines(str(error.orig), 1)})"
                ": have an administrator run 'CREATE EXTENSION pg_trgm WITH SCHEMA public' in "
                "it, then restore again") from None


def _may_move_trigram(engine: Engine, schema: str) -> None:
    """A dump of the schema that holds pg_trgm names its operator class there
    (public.gin_trgm_ops): restored under another schema's name, pg_trgm moves with that
    schema for the while (prologue), which takes the owner of the extension and of each of
    its functions (a trusted extension's are the superuser's). Tried here, and undone."""
    with engine.connect() as conn:
        found = conn.execute(text(
            "SELECT 1 FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pg_trgm' AND n.nspname = :schema"), {"schema": schema}).first()
        if found is None:
            return
        trial = ident(f"accord_trial_{uuid.uuid4().hex[:12]}")
        try:
            conn.execute(text(f"CREATE SCHEMA {trial}"))
            conn.execute(text(f"ALTER EXTENSION pg_trgm SET SCHEMA {trial}"))
        except DBAPIError as error:
            raise BackupError(
                f"the backup is of the schema {schema!r}, which holds the pg_trgm extension "
                "its search index uses: restoring it under another schema's name moves "
                "pg_trgm for the while, which this user may not do "
                f"({_last_lines(str(error.orig), 1)}): restore as a superuser, or into the "
                f"schema {schema!r}") from None
        finally:
            conn.rollback()  # the trial undone, whatever it did


def _restore(psql: Path, pg_restore: Path, file: Path, listing: Path, target: Target,
             toc: Toc, clean: bool, stderr: IO[bytes], *,
             check_trail: bool = False) -> Verdict | None:
    """Run the restore; with `check_trail`, the verdict on the audit trail restored, read in
    the restore's own transaction before it commits (a broken one is rolled back)."""
    env = _env(target)
    loader = subprocess.Popen(
        [str(psql), "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1",
         "--file=-", f"--dbname={target.url}"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE if check_trail else subprocess.DEVNULL,
        stderr=stderr, env=env)
    assert loader.stdin is not None
    reader: subprocess.Popen[bytes] | None = None
    verdict: Verdict | None = None
    try:
        # What the dump's statements print is not read: only the trail is (store.pg_trail).
        loader.stdin.write(b"\\o /dev/null\n" if check_trail else b"")
        loader.stdin.write(prologue(target.schema, toc, clean).encode())
        reader = subprocess.Popen(
            [str(pg_restore), "--no-owner", "--no-acl", f"--use-list={listing}", "--file=-",
             str(file)], stdout=subprocess.PIPE, stderr=stderr, env=env)
        assert reader.stdout is not None
        shutil.copyfileobj(reader.stdout, loader.stdin, 1 << 20)
        if reader.wait() != 0:
            # psql commits when its input ends: stopped before, its transaction rolls back.
            loader.kill()
        else:
            loader.stdin.write(epilogue(target.schema, toc).encode())
            if check_trail:
                assert loader.stdout is not None
                verdict = trail_verdict(loader.stdin, loader.stdout, ident(target.schema))
                if verdict is None or not verdict.is_intact:
                    loader.kill()  # rolled back: what psql said, or the verdict, says why
            loader.stdin.close()
    except BrokenPipeError:  # psql stopped at an error: its message is in stderr
        if reader is not None:
            reader.kill()
    except BaseException:
        # Whatever else went wrong here (the trail's output unreadable, an interrupt): psql,
        # its input still open, would wait for more for ever; killed, it rolls back.
        loader.kill()
        if reader is not None:
            reader.kill()
        raise
    finally:
        if reader is not None:
            reader.wait()
        loader.wait()
        with contextlib.suppress(BrokenPipeError):
            loader.stdin.close()
    if verdict is not None and not verdict.is_intact:
        return verdict
    if loader.returncode != 0 or reader is None or reader.returncode != 0:
        stderr.seek(0)
        said = _last_lines(stderr.read().decode(errors="replace"))
        if reader is not None and reader.returncode not in (0, -signal.SIGKILL):
            # pg_restore could not read the archive through (its list read, its data not):
            # its own words may be "out of memory" for a length field gone wrong.
            raise BackupError(f"{file} is damaged or cut short: pg_restore could not read it "
                              f"through ({said}); nothing of it was kept. Restore another "
                              "backup")
        raise BackupError("the restore failed and nothing of it was kept: " + said)
    return verdict


def _env(target: Target) -> dict[str, str]:
    env = dict(os.environ)
    if target.password is not None:
        env["PGPASSWORD"] = target.password
    return env


def _run(command: Sequence[str], target: Target, what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, env=_env(target),
                          check=False)
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {_last_lines(done.stderr)}")


def _last_lines(output: str, count: int = 3) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return " / ".join(lines[-count:]) or "no message"
