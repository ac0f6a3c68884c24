"""A SQLite backup is one consistent instant while writers go on: the audit chain it holds
verifies, whatever was being appended meanwhile."""

from __future__ import annotations

import threading
from pathlib import Path

from accord.stix.timestamps import now_timestamp
from accord.store.audit_log import AuditLog
from accord.store.backup import backup_sqlite
from accord.store.engine import migrate, open_engine
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
