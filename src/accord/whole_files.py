"""Files written whole or not at all: a command that fails halfway leaves no half file behind,
and the file that was there before stays as it was."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

BUFFER = 1 << 20


@contextmanager
def written_whole(target: Path) -> Iterator[BinaryIO]:
    """A file to write that becomes `target` when the block ends without an error: written
    beside it (the same file system, so the rename is atomic), and removed if anything fails."""
    partial = target.with_name(f".{target.name}.partial")
    try:
        with partial.open("wb", buffering=BUFFER) as out:
            yield out
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
