"""Bulk work that makes many objects and no reference cycles: pause the cyclic collector."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Importing a bundle or reading a review's half-million ledger entries makes hundreds of
    thousands of objects that live on; the cyclic collector would walk them over and over for
    nothing (a sixth of an import's time, a third of a review's)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
