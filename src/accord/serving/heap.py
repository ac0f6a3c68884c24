"""A server's heap: keep the memory that answering one request freed for the next one.

A page of 1,000 STIX objects is a few megabytes of bytes, made and freed at each request. With
glibc's defaults a buffer that large comes from a fresh mapping (or from the top of the heap,
given back to the system when freed), so each request touches new pages: 2,400 page faults a
page of ATT&CK Enterprise, a third of the worker's CPU for it (bench/README.md, "ATT&CK
Enterprise"). Buffers up to MMAP_THRESHOLD now come from the heap, and up to TRIM_THRESHOLD of
free memory stays at its top: a worker's resident memory holds at the size of its largest
answers (plus that much at most) instead of going up and down at each.
"""

from __future__ import annotations

import ctypes
import os

MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest allowed on 64-bit systems
TRIM_THRESHOLD = 64 * 1024 * 1024

# mallopt's parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

# The same settings for processes started afterwards (uvicorn's workers): glibc reads them at
# start.
_ENVIRONMENT = {"MALLOC_MMAP_THRESHOLD_": str(MMAP_THRESHOLD),
                "MALLOC_TRIM_THRESHOLD_": str(TRIM_THRESHOLD)}


def keep_freed_memory() -> bool:
    """Set this process's heap (and its future children's) to keep freed memory; False where
    the C library is not glibc or the operator set the heap's tuning already (left as set)."""
    if any(name in os.environ for name in _ENVIRONMENT) \
            or "glibc.malloc." in os.environ.get("GLIBC_TUNABLES", ""):
        return False
    if not is_glibc():
        return False  # musl and others: their allocators have other knobs
    mallopt = ctypes.CDLL(None).mallopt  # the C library this process runs on
    if not (mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
            and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)):
        return False
    os.environ.update(_ENVIRONMENT)
    return True


def is_glibc() -> bool:
    """Whether this process runs on glibc (whose heap `mallopt` sets)."""
    names = getattr(os, "confstr_names", {})
    return "CS_GNU_LIBC_VERSION" in names and bool(os.confstr("CS_GNU_LIBC_VERSION"))
