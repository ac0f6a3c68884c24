"""Ports for the servers the end-to-end tests start (accord serve, PostgreSQL clusters,
pgbouncer, a test's own hotline).

A test picks a port, lets it go and hands it to a server, which binds it a moment later. A
port the kernel handed out as free (bind to port 0) comes from the ephemeral range, the same
range every outgoing connection's local port is taken from: in that moment a connection to
PostgreSQL or to another test's server could take it, and the server then failed with
"address already in use" (seen once in a run of the suite on PostgreSQL with 4 servers a
node). Ports below the ephemeral range are never given to a connection, so a port picked there
can only be lost to another test picking the same one: one chance in thousands, and only in
that moment."""

from __future__ import annotations

import random
import socket
from pathlib import Path

LOWEST = 20000
# Not the `random` module's generator: a plugin may seed it alike in every worker.
_CHOICE = random.SystemRandom().choice
_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_ATTEMPTS = 200


def _ephemeral() -> tuple[int, int]:
    """The kernel's range of local ports for outgoing connections (Linux's default if it
    cannot be read)."""
    try:
        low, high = (int(n) for n in _RANGE.read_text().split())
    except (OSError, ValueError):
        return 32768, 60999
    return low, high


def _candidates() -> range:
    low, high = _ephemeral()
    if low - LOWEST >= 1000:
        return range(LOWEST, low)
    if 65535 - high >= 1000:
        return range(high + 1, 65536)  # a range set low: above it instead
    raise RuntimeError(f"the kernel's ephemeral ports ({low}-{high}, {_RANGE}) leave too few "
                       "ports for test servers below or above them")


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on now and no outgoing connection will take."""
    choices = _candidates()
    for _ in range(_ATTEMPTS):
        port = _CHOICE(choices)
        if _bindable(port):
            return port
    raise RuntimeError(f"no free port among {choices.start}-{choices.stop - 1} "
                       f"after {_ATTEMPTS} tries")
