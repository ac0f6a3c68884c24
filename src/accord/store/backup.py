"""Backing up and restoring a SQLite node with SQLite's online backup API: a backup is a copy
of the database as of one instant, taken while the server goes on reading and writing; a
restore replaces the whole database with it. (PostgreSQL: store.pg_backup.)"""

from __future__ import annotations

import os
import re
import sqlite3
from collections import namedtuple
from collections.abc import Collection, Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy import table as table_

from accord.store.audit_rows import link_of
from accord.trust.audit import Link, Verdict, verify_links
from accord.words import how_many

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"  # pg_dump's custom format (-Fc)


class BackupError(RuntimeError):
    """A backup or restore that cannot be done, in words an operator can act on."""


class TargetNotEmpty(BackupError):
    """A restore would overwrite data, and was not told to (--force)."""


@dataclass(frozen=True, slots=True)
class Contents:
    """What a database holds, to say what a backup took or a restore would overwrite."""

    revision: str | None
    objects: int
    audit_records: int

    def describe(self) -> str:
        return (f"schema {self.revision}, {how_many(self.objects, 'object version')}, "
                f"{how_many(self.audit_records, 'audit record')}")


def backup_kind(path: Path) -> str:
    """"sqlite" or "postgresql": what made the backup file, from its first bytes."""
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise BackupError(f"no backup at {path}") from None
    except OSError as error:
        raise BackupError(f"cannot read {path}: {error.strerror}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is not a backup made by `accord backup` (neither a SQLite "
                      "database nor a pg_dump archive)")


def may_replace(target: Path, kind: str) -> None:
    """Refuse to write a `kind` backup over `target` unless it is nothing yet, empty, or an
    earlier backup of that kind: `accord backup` replaces what it names, and a slip of the
    finger (another node's live database, a report) would lose it without a word.

    An earlier SQLite backup is a database in rollback-journal mode holding Accord's schema;
    a live node's database is in WAL mode (store.engine) or has a -wal file beside it."""
    try:
        if not target.exists() or target.stat().st_size == 0:
            return
        with target.open("rb") as file:
            head = file.read(100)
    except OSError as error:
        raise BackupError(f"cannot read {target}: {error.strerror}") from None
    if head.startswith(SQLITE_MAGIC):
        # The header's read and write versions are 2 for a WAL database (SQLite's file format,
        # bytes 18 and 19).
        live = head[18:20] == b"\x02\x02" or target.with_name(target.name + "-wal").exists()
        if live:
            raise BackupError(f"{target} is a SQLite database in use (WAL mode), not a backup: "
                              "name another file, a backup would replace it")
        if kind != "sqlite" or not _holds_accord_schema(target):
            raise BackupError(f"{target} is a SQLite database, not a backup of this kind of "
                              "node: name another file, a backup would replace it")
        return
    if head.startswith(PG_DUMP_MAGIC):
        # Whether it is a node's backup or another application's dump, store.pg_backup
        # reads from the archive (pg_restore --list) before it writes over it.
        if kind != "postgresql":
            raise BackupError(f"{target} is a PostgreSQL backup; this node is on SQLite: name "
                              "another file, a backup would replace it")
        return
    raise BackupError(f"{target} holds something other than a backup made by `accord backup`: "
                      "name another file (or remove it first), a backup would replace it")


def _holds_accord_schema(path: Path) -> bool:
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            return sqlite_contents(conn).revision is not None
    except sqlite3.DatabaseError:
        return False


def backup_sqlite(database: Path, target: Path) -> Contents:
    """Copy `database` to `target` as of one instant, while others use it. The copy is written
    beside `target` and renamed over it when whole, so a failed backup leaves no half file and
    a backup made before stays as it was."""
    if target.exists() and target.resolve() == database.resolve():
        raise BackupError(f"{target} is the database itself: back it up to another file")
    may_replace(target, "sqlite")
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.unlink(missing_ok=True)  # left by a backup killed midway: its mode may differ
        private_file(partial)
        with closing(sqlite3.connect(database, timeout=30)) as source, \
                closing(sqlite3.connect(partial)) as copy:
            # One step (pages=-1): the copy is of one read transaction, so it is consistent;
            # in WAL mode writers go on meanwhile.
            source.backup(copy)
            # One self-contained file, not a database expecting a -wal beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
            contents = sqlite_contents(copy)
        os.replace(partial, target)
    except sqlite3.Error as error:
        # A full disk or a read-only folder is the copy's, which is written; else either's.
        code = getattr(error, "sqlite_errorcode", 0) & 0xFF
        where = (f"writing {target}" if code in (8, 13)  # READONLY, FULL
                 else f"reading {database} or writing {target}" if code == 10  # IOERR
                 else f"reading {database}")
        raise BackupError(f"the backup failed ({where}): {error}; {target} is as it was"
                          ) from None
    except OSError as error:
        raise BackupError(f"cannot write {target}: {error.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)
    return contents


# Tables every node of this Accord's schema holds: with a revision past this one's,
# the mark of a node a newer Accord migrated.
_NODE_TABLES = frozenset({"objects", "audit", "parties", "collections", "settings"})


def newer_accord(revision: str | None, known: Collection[str], tables: Collection[str]
                 ) -> bool:
    """Whether a database at `revision`, holding `tables`, is a node a newer Accord migrated
    (its revisions are numbered 0001, 0002, …): the node of an upgrade an operator rolls back
    by restoring the backup made before it, not another application's."""
    return bool(revision and known and re.fullmatch(r"\d{4}", revision)
                and revision > max(known) and set(tables) >= _NODE_TABLES)


def replacing(held: str, where: str, newer: str | None, known: Collection[str],
              restored: str | None) -> str:
    """Why a restore (of schema `restored`) into `where`, which holds data, needs --force;
    `newer`: the revision of the node a newer Accord migrated there, if it is one."""
    if newer is not None:
        revision = newer
        return (f"{where} holds a node migrated by a newer Accord (schema {revision}; this one "
                f"knows up to {max(known)}) with data ({held}): give --force to replace it "
                f"with the backup (schema {restored}), rolling the upgrade back")
    return f"{where} holds data ({held}); restoring would overwrite it: give --force to replace it"


def refuse_unknown(revision: str | None, known: Collection[str], backup: Path) -> None:
    """Refuse, before anything is changed, a backup whose schema this Accord does not know:
    restored, the node would be refused by every command (store.engine.SchemaTooNew)."""
    if revision is None:
        raise BackupError(f"{backup} holds no Accord schema version: not a backup of a node")
    if revision not in known:
        newest = max(known) if known else "none"
        raise BackupError(f"{backup} is a backup of schema {revision}, which this Accord does "
                          f"not know (it knows up to {newest}): restore it with the Accord "
                          "that made it, or a newer one; nothing was changed")


def restore_sqlite(backup: Path, database: Path, *, known: Collection[str],
                   force: bool = False, broken_trail: bool = False) -> Contents:
    """Replace the whole of `database` with `backup` (a file `backup_sqlite` made). A database
    that holds data is overwritten only with `force`; one in use (a server running) is not;
    nor, unless `broken_trail`, with a backup whose audit trail does not hold (edited since it
    was made, or made of a trail already broken): the node's own would be lost for it."""
    with closing(sqlite3.connect(f"file:{backup}?mode=ro", uri=True)) as source:
        try:
            contents = sqlite_contents(source)
            problem = source.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{backup} is not a readable SQLite database: {error}") from None
        if contents.revision is None:
            raise BackupError(f"{backup} holds no Accord schema: not a backup of a node")
        if problem != "ok":
            raise BackupError(f"{backup} is damaged ({problem}): restore another backup")
        refuse_unknown(contents.revision, known, backup)
        if database.exists() and database.stat().st_size > 0:
            with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as target:
                try:
                    held = holds_rows(target)
                    tables = table_names(target)
                    there = sqlite_contents(target).revision
                except sqlite3.DatabaseError:  # not a database: a file of something else
                    raise BackupError(f"{database} is not a SQLite database: name the node's "
                                      "database file, or a new one, with --db") from None
            newer = there if newer_accord(there, known, tables) else None
            if tables and there not in known and newer is None:
                # Whatever --force says: the file is another application's (or another
                # Alembic-made schema's, or a newer Accord's).
                raise BackupError(f"{database} holds another application's tables "
                                  f"({listed(tables)}) and no node of this Accord: restore "
                                  "into a new file, or a node's")
        else:
            held, newer = None, None
        if held and not broken_trail:
            try:
                verdict = verify_links(_links(source))
            except sqlite3.Error as error:
                raise BackupError(f"{backup}'s audit trail cannot be read ({error}): restore "
                                  "another backup; nothing was changed") from None
            if not verdict.is_intact:
                raise trail_broken(backup, verdict, str(database))
        if held and not force:
            raise TargetNotEmpty(replacing(held, str(database), newer, known,
                                           contents.revision))
        if not database.parent.is_dir():
            raise BackupError(f"no folder {database.parent} to restore the database in: "
                              "create it first")
        try:
            private_file(database)
            with _alone(database) as target:
                source.backup(target)
        except sqlite3.OperationalError as error:
            raise BackupError(f"cannot restore into {database}: {error}") from None
        except OSError as error:
            raise BackupError(f"cannot write {database}: {error.strerror}") from None
    return contents


def trail_broken(backup: Path, verdict: Verdict, target: str) -> BackupError:
    """Why a backup whose audit trail does not hold (edited since it was made, or made of a
    trail already broken) is not restored over a node's: the node's own trail would be lost."""
    return BackupError(
        f"{backup}'s audit trail is broken at record {verdict.broken_at} ({verdict.reason}): "
        f"restored, it would replace {target}'s. Restore another backup, or give "
        "--broken-trail to restore this one all the same; nothing was changed")


def _links(conn: sqlite3.Connection, batch: int = 5000) -> Iterator[Link]:
    """The audit trail of a backup, as its chain is checked, read a batch at a time."""
    cursor = conn.execute("SELECT * FROM audit ORDER BY seq")
    row = namedtuple("row", [d[0] for d in cursor.description])  # type: ignore[misc]
    while rows := cursor.fetchmany(batch):
        yield from (link_of(row(*values)) for values in rows)


def private_file(path: Path) -> None:
    """Make `path` readable by its owner only, if it is not there yet: a backup holds what the
    node does (its signing key, its peers' tokens), and a SQLite database's -wal and -shm
    files take their database's mode."""
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


@contextmanager
def _alone(database: Path) -> Iterator[sqlite3.Connection]:
    """A connection to `database` out of WAL mode for the copy (the backup API cannot change a
    WAL database's page size), and back into it after; fails if another process has it open."""
    with closing(sqlite3.connect(database, timeout=5)) as target:
        try:
            was = target.execute("PRAGMA journal_mode").fetchone()[0]
            mode = target.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
        except sqlite3.OperationalError:  # locked
            mode = None
        if mode != "delete":
            raise BackupError(f"{database} is in use (is `accord serve` running on it?): stop "
                              "what uses it, then restore")
        try:
            yield target
        except BaseException:
            # The copy failed (the disk full, say) and SQLite rolled it back: the node is left
            # as it was, in WAL mode too (else it would pass for a backup, which `accord
            # backup` may replace: may_replace).
            if was == "wal":
                with suppress(sqlite3.Error):
                    target.execute("PRAGMA journal_mode=WAL")
            raise
        target.execute("PRAGMA journal_mode=WAL")


def contents_of(engine: Engine) -> Contents:
    """What the node's database holds, on either backend."""
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())

        def count(table: str) -> int:
            return int(conn.execute(select(func.count()).select_from(table_(table)))
                       .scalar_one()) if table in tables else 0

        revision = (conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                    if "alembic_version" in tables else None)
        return Contents(revision, count("objects"), count("audit"))


def sqlite_contents(conn: sqlite3.Connection) -> Contents:
    tables = {name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}

    def count(table: str) -> int:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] \
            if table in tables else 0

    revision = (conn.execute("SELECT version_num FROM alembic_version").fetchone() or [None])[0] \
        if "alembic_version" in tables else None
    return Contents(revision, count("objects"), count("audit"))


def table_names(conn: sqlite3.Connection) -> list[str]:
    """A SQLite database's tables, besides SQLite's own and the schema version."""
    return [name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name != 'alembic_version' ORDER BY name")]


def holds_rows(conn: sqlite3.Connection) -> str | None:
    """What a database holds besides its schema version ("parties, objects"), or None."""
    return listed([t for t in table_names(conn)
                   if conn.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone()])


def listed(tables: list[str], most: int = 6) -> str | None:
    """Tables named in a message: the first few, and how many more."""
    if not tables:
        return None
    more = len(tables) - most
    return ", ".join(tables[:most]) + (f" and {more} more tables" if more > 0 else "")
