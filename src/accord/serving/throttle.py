"""Who may knock how often: a token bucket of failed authentications per source address.

Each source may fail `burst` times in a row; it gets one attempt back every `refill` seconds.
An exhausted source is told how long to wait. Only failures are counted: the holder of a
valid token is never throttled (see `accord.serving.authentication`). The table remembers at
most `max_sources` sources, the least recently seen going first, and an IPv6 client counts as
its /64 (one host usually holds a whole /64): an attacker rotating addresses cannot grow it.
Pure apart from a lock (requests are checked from several threads); the clock is an argument.
"""

from __future__ import annotations

import math
import socket
import threading
from collections import OrderedDict
from dataclasses import dataclass

# A source that is not an IP address ("testclient", a unix socket path): kept as text, cut.
_MAX_LITERAL = 64
_IPV4_MAPPED = bytes(10) + b"\xff\xff"  # ::ffff:a.b.c.d


@dataclass(frozen=True, slots=True)
class ThrottleLimits:
    burst: int = 20  # failed authentications a source may make in a row
    refill: float = 6.0  # seconds until a source gets one more attempt (10 a minute)
    max_sources: int = 10_000  # sources remembered at once

    def __post_init__(self) -> None:
        if self.burst < 1 or self.refill <= 0 or self.max_sources < 1:
            raise ValueError(f"throttle limits must be positive: {self}")


def source_of(host: str | None) -> str:
    """The source a bucket is kept for: an IPv4 address, the /64 of an IPv6 address (an
    IPv4-mapped one as its IPv4 address), or anything else as its text."""
    # inet_pton/inet_ntop rather than `ipaddress`: a source is worked out for every failure,
    # 1.5 µs against 30 µs for an IPv6 address; both are strict (no "1.2.3" shorthands).
    if not host:
        return "unknown"
    try:
        if ":" not in host:
            return socket.inet_ntop(socket.AF_INET, socket.inet_pton(socket.AF_INET, host))
        packed = socket.inet_pton(socket.AF_INET6, host)
    except OSError:
        return host[:_MAX_LITERAL]
    if packed[:12] == _IPV4_MAPPED:
        return socket.inet_ntop(socket.AF_INET, packed[12:])
    return socket.inet_ntop(socket.AF_INET6, packed[:8] + bytes(8)) + "/64"


class Throttle:
    """Buckets of failed authentications, by source (see `source_of`)."""

    def __init__(self, limits: ThrottleLimits) -> None:
        self.limits = limits
        # source -> (attempts left, when that was computed); oldest use first.
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def fail(self, source: str, now: float) -> float:
        """Count a failed authentication of `source` at `now` (seconds, monotonic): 0 if it
        was within the allowance, else the seconds until the source has an attempt again."""
        burst, refill = self.limits.burst, self.limits.refill
        with self._lock:
            left, then = self._buckets.pop(source, (float(burst), now))
            left = min(float(burst), left + max(0.0, now - then) / refill)
            if left >= 1.0:
                self._buckets[source] = (left - 1.0, now)
                wait = 0.0
            else:
                # No debt while throttled: hammering on does not lengthen the wait.
                self._buckets[source] = (left, now)
                wait = (1.0 - left) * refill
            while len(self._buckets) > self.limits.max_sources:
                self._buckets.popitem(last=False)
        return wait

    def __len__(self) -> int:
        return len(self._buckets)


def retry_after(wait: float) -> int:
    """A wait in whole seconds for the Retry-After header (RFC 9110 §10.2.3), at least 1."""
    return max(1, math.ceil(wait))
