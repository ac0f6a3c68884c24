"""A SQLite backup is one consistent instant while writers go on: the audit chain it holds
verifies, whatever was being appended meanwhile."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from pathlib import Path
from types import SimpleNamespace

import pytest

from accord.stix.timestamps import now_timestamp
from accord.store import backup as backup_module
from accord.store.audit_log import AuditLog
from accord.store.backup import BackupError, backup_sqlite, may_replace, restore_sqlite
from accord.store.engine import known_revisions, migrate, open_engine
from accord.trust.audit import Event, verify


def test_a_backup_taken_while_the_trail_grows_holds_a_whole_chain(tmp_path: Path):
    database, copy = tmp_path / "node.db", tmp_path / "node.backup"
    engine = open_engine(str(database))
    migrate(engine)
    log = AuditLog(engine)
    log.append([Event(now_timestamp(), "node.init", None)])
    stop = threading.Event()

    def write() -> None:
        while not stop.is_set():
            log.append([Event(now_timestamp(), "objects.read", None, object_ids=("x",))] * 20)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        taken = [backup_sqlite(database, copy).audit_records for _ in range(5)]
    finally:
        stop.set()
        writer.join()
    backup = open_engine(str(copy))
    try:
        verdict = verify(AuditLog(backup).records())
        assert verdict.is_intact, verdict.reason
        assert verdict.records == taken[-1]
        assert AuditLog(backup).index_disagreement() is None
    finally:
        backup.dispose()
        engine.dispose()
    assert taken[-1] > 1  # the writer was appending while the backups were taken


def test_a_restore_that_fails_half_way_leaves_the_node_as_it_was_and_in_wal_mode(
        tmp_path: Path, monkeypatch):
    """Its disk full, say: SQLite rolls the copy back, and the node stays a live node's
    database (in WAL mode), which `accord backup` would never take for a backup to replace."""
    node, other = tmp_path / "node.db", tmp_path / "other.db"
    for path, name in ((node, "node.init"), (other, "other.init")):
        engine = open_engine(str(path))
        migrate(engine)
        AuditLog(engine).append([Event(now_timestamp(), name, None)])
        engine.dispose()
    copy = tmp_path / "other.backup"
    backup_sqlite(other, copy)

    class Full:  # the backup's connection, whose copy meets a full disk half-way
        def __init__(self, conn: sqlite3.Connection) -> None:
            self.conn = conn

        def __getattr__(self, name: str) -> object:
            return getattr(self.conn, name)

        def backup(self, target: sqlite3.Connection) -> None:
            raise sqlite3.OperationalError("database or disk is full")

    def connect(database: str, *args: object, **kwargs: object) -> object:
        conn = sqlite3.connect(database, *args, **kwargs)  # type: ignore[arg-type]
        return Full(conn) if str(database).startswith(f"file:{copy}") else conn

    monkeypatch.setattr(backup_module, "sqlite3", SimpleNamespace(**{
        **vars(sqlite3), "connect": connect}))
    with pytest.raises(BackupError, match="disk is full"):
        restore_sqlite(copy, node, known=known_revisions(), force=True)
    with closing(sqlite3.connect(node)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    engine = open_engine(str(node))
    try:
        [record] = AuditLog(engine).records()
        assert record.event.action == "node.init"
    finally:
        engine.dispose()
    with pytest.raises(BackupError, match="in use"):
        may_replace(node, "sqlite")
