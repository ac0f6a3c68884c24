"""Who may open one more connection: a cap on all of a worker's, and on each source's."""

from __future__ import annotations

import ipaddress
from collections import Counter

from accord.serving.limits import Limits


def source_of(host: str | None) -> str:
    """The source a connection counts against: its IPv4 address, or its IPv6 /64 (one
    subscriber's network: an attacker holds all of it); "local" for a Unix socket."""
    if not host:
        return "local"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class Admission:
    """The connections a worker holds, in all and per source."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.held = 0
        self.by_source: Counter[str] = Counter()

    def refusal(self, source: str) -> str | None:
        """Why a new connection from SOURCE may not be held (None: it may; it is counted)."""
        if self.held >= self.limits.max_connections:
            return (f"this server holds its most connections ({self.limits.max_connections}); "
                    "try again shortly")
        if self.by_source[source] >= self.limits.max_connections_per_source:
            return (f"{source} holds its most connections to this server "
                    f"({self.limits.max_connections_per_source}); reuse one, or close one")
        self.held += 1
        self.by_source[source] += 1
        return None

    def release(self, source: str) -> None:
        self.held -= 1
        self.by_source[source] -= 1
        if not self.by_source[source]:
            del self.by_source[source]
