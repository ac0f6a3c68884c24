"""What one connection may cost a node: the listener's limits, as operators write them.

Pure: the limits, their defaults and reasons, reading them from `accord serve` options and
keeping them in the node's settings. `listener.py` enforces them on the wire.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace

from accord.durations import DurationError, parse_duration

KiB = 1024
MiB = 1024 * KiB

# httptools cannot parse a request target longer than this (its URL offsets are 16-bit).
LONGEST_URL = 65_535


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits of one listener; counts are per worker process. See docs/limits.md."""

    # Request line and headers together, counted as they arrive: 64 KiB holds a GET naming
    # ~1,200 STIX ids in match[id] and any browser's cookies; 1,000 unfinished heads hold at
    # most 64 MiB.
    max_header_size: int = 64 * KiB
    # From the connection (or the end of the previous response) to the end of the head: a
    # head is one or two segments; 10 s covers three lost ones (1 + 2 + 4 s retransmissions).
    header_timeout: float = 10.0
    # A body may take this long, plus its length at min_body_rate: a 64 MiB envelope is due
    # within 10 s + 512 s on a 1 Mbit/s link, a 500-object POST within about 11 s; a body sent
    # a byte at a time is cut after 10 s.
    body_timeout: float = 10.0
    min_body_rate: int = 128 * KiB  # bytes per second, about 1 Mbit/s
    # Keep-alive: a connection that sent nothing since its last response, or since it was
    # opened, is closed after this (uvicorn's and Apache's default).
    idle_timeout: float = 5.0
    # Open connections of one worker; `accord serve` raises the open-files limit to match.
    max_connections: int = 1000
    # Of which one IPv4 address or one IPv6 /64 may hold: a browser opens 6, a TAXII client
    # or peer a few, an office behind NAT some tens. Behind a proxy every connection comes
    # from the proxy: raise it to max_connections there.
    max_connections_per_source: int = 32
    # Requests one connection may send ahead of their answers (HTTP/1.1 pipelining): each
    # waits as a parsed request (about 2 KB) until those before it are answered. Unbounded,
    # 32 connections of 256 KiB reads of `GET /` held 800 MB and stalled the loop for 6 s.
    # No common client pipelines; past this many the connection answers those it took, then
    # closes (RFC 9112 §9.3.2), and the client sends the rest again.
    max_pipelined: int = 16

    def __post_init__(self) -> None:
        if self.max_header_size < 1 * KiB:
            raise LimitError("max_header_size", "a request head needs at least 1KiB")
        for name in ("header_timeout", "body_timeout", "idle_timeout"):
            if getattr(self, name) <= 0:
                raise LimitError(name, "give a time longer than 0, e.g. 10s")
        for name in ("min_body_rate", "max_connections", "max_connections_per_source",
                     "max_pipelined"):
            if getattr(self, name) < 1:
                raise LimitError(name, "give a number of at least 1")

    def body_due(self, length: int) -> float:
        """Seconds, from the end of its head, within which LENGTH bytes of a body must have
        arrived: the deadline moves with what came, so a body sent a byte at a time is cut
        after body_timeout whatever length it declares."""
        return self.body_timeout + length / self.min_body_rate

    def summary(self) -> str:
        """One line for an operator."""
        return (f"heads ≤ {size_text(self.max_header_size)} within {self.header_timeout:g} s, "
                f"bodies ≥ {size_text(self.min_body_rate)}/s after {self.body_timeout:g} s, "
                f"idle {self.idle_timeout:g} s, {self.max_connections} connections a worker "
                f"({self.max_connections_per_source} a source)")


class LimitError(ValueError):
    """A limit given a value it cannot take; `field` names the limit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


_SIZE = re.compile(r"^(?P<n>\d+)\s*(?P<unit>b|kib|mib|gib|tib)?$")
_UNIT = {None: 1, "b": 1, "kib": KiB, "mib": MiB, "gib": 1024 * MiB, "tib": 1024**2 * MiB}


def parse_size(text: str) -> int:
    """Bytes as users write them: 65536, 64KiB, 1MiB."""
    found = _SIZE.match(text.strip().lower())
    if found is None:
        raise ValueError(f"{text!r} is not a size: write e.g. 65536, 64KiB or 1MiB")
    return int(found.group("n")) * _UNIT[found.group("unit")]


def size_text(size: int) -> str:
    for unit, factor in (("GiB", 1024 * MiB), ("MiB", MiB), ("KiB", KiB)):
        if size % factor == 0:
            return f"{size // factor}{unit}"
    return f"{size}B"


def _seconds(text: str) -> float:
    try:
        return parse_duration(text).total_seconds()
    except DurationError as error:
        raise ValueError(str(error)) from None


# How each limit is written (options, settings) and read back.
_READ: dict[str, Callable[[str], float | int]] = {
    "max_header_size": parse_size, "header_timeout": _seconds, "body_timeout": _seconds,
    "min_body_rate": parse_size, "idle_timeout": _seconds, "max_connections": int,
    "max_connections_per_source": int,
}
SETTING_PREFIX = "listener."


def with_given(limits: Limits, given: Mapping[str, str | int | None]) -> Limits:
    """LIMITS with the ones GIVEN as written (field name → text; None: not given) replaced;
    LimitError names the first one that cannot be read or cannot be."""
    changes: dict[str, float | int] = {}
    for name, text in given.items():
        if text is None:
            continue
        try:
            changes[name] = _READ[name](str(text))
        except ValueError as error:
            raise LimitError(name, str(error)) from None
    return replace(limits, **changes)  # type: ignore[arg-type]


def from_settings(setting: Callable[[str], str | None]) -> Limits:
    """The limits kept in a node's settings (`setting(key)`), defaults for the others."""
    return with_given(Limits(), {f.name: setting(SETTING_PREFIX + f.name)
                                 for f in fields(Limits)})


def as_settings(limits: Limits, names: Iterable[str]) -> dict[str, str]:
    """The settings that keep the NAMED limits of LIMITS for later runs (only those an
    operator gave: the others follow the defaults of the version that runs)."""
    return {SETTING_PREFIX + name: _written(name, getattr(limits, name)) for name in names}


def _written(name: str, value: float | int) -> str:
    if _READ[name] is _seconds:
        return f"{value:f}".rstrip("0").rstrip(".") + "s"
    return str(value)


def kept_limits(setting: Callable[[str], str | None], set_setting: Callable[[str, str], None],
                given: Mapping[str, str | int | None]) -> Limits:
    """The limits of this run: those GIVEN (as in `with_given`) over those kept in the node's
    settings before; the given ones are kept (`set_setting`) for later runs."""
    limits = with_given(from_settings(setting), given)
    named = [name for name, text in given.items() if text is not None]
    for key, value in as_settings(limits, named).items():
        set_setting(key, value)
    return limits
