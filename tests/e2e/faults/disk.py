"""A small disk that tests fill up and free again: a tmpfs of its own where this process may
mount one (root here and in CI), else a cap on the size of the files the node's processes
write (RLIMIT_FSIZE, with SIGXFSZ ignored: a write past it fails with EFBIG)."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

SIZE = 24 << 20


class Disk:
    def __init__(self, path: Path, mounted: bool) -> None:
        self.path, self.is_mounted = path, mounted
        self._cap: int | None = None

    @property
    def needs_restart(self) -> bool:
        """Whether a process started while the disk was full must be started again to see the
        space freed (a file size cap is set for the life of a process)."""
        return not self.is_mounted

    def fill(self, leave: int) -> None:
        """Leave `leave` bytes free for what writes from now on."""
        if self.is_mounted:
            free = os.statvfs(self.path).f_bavail * os.statvfs(self.path).f_frsize
            with (self.path / "filler").open("wb") as filler:
                filler.write(b"\0" * max(0, free - leave))
        else:
            # No file may be written past `leave` bytes: the write-ahead log holds that much
            # at most, and the database file cannot grow at all.
            self.settle()
            self._cap = leave

    def settle(self) -> None:
        """With a cap on file sizes: empty the SQLite write-ahead logs, which a write refused
        left grown (below the cap, a later write would fit in what they already hold). A full
        filesystem needs nothing: the space they hold is taken."""
        if self.is_mounted:
            return
        for db in self.path.glob("*.db"):
            with sqlite3.connect(db) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def free(self) -> None:
        if self.is_mounted:
            (self.path / "filler").unlink()
        self._cap = None

    def preexec(self) -> Callable[[], None] | None:
        """For subprocess.Popen: what a process started now must be held to."""
        cap = self._cap
        if cap is None:
            return None

        def capped() -> None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (cap, cap))

        return capped


@contextlib.contextmanager
def small_disk(where: Path) -> Iterator[Disk]:
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs",
                              str(where)], capture_output=True).returncode == 0
    try:
        yield Disk(where, mounted)
    finally:
        if mounted:
            subprocess.run(["umount", "--lazy", str(where)], check=False)
