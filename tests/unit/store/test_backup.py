"""What made a backup file, from its first bytes: restore picks the tool, or says it is none."""

from __future__ import annotations

import pytest

from accord.store.backup import BackupError, Contents, backup_kind


def test_a_backup_is_known_by_its_first_bytes(tmp_path):
    (tmp_path / "a").write_bytes(b"SQLite format 3\x00" + bytes(100))
    (tmp_path / "b").write_bytes(b"PGDMP\x01\x0e\x00" + bytes(100))
    assert backup_kind(tmp_path / "a") == "sqlite"
    assert backup_kind(tmp_path / "b") == "postgresql"


def test_anything_else_is_not_a_backup(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(BackupError, match="not a backup made by `accord backup`"):
        backup_kind(tmp_path / "notes.txt")
    with pytest.raises(BackupError, match="no backup at"):
        backup_kind(tmp_path / "missing")


def test_contents_are_described_in_words():
    assert Contents("0017", 1, 2).describe() == "schema 0017, 1 object version, 2 audit records"
    assert Contents("0017", 24771, 1).describe() == \
        "schema 0017, 24,771 object versions, 1 audit record"
