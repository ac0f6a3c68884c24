"""Failed authentications: throttled per source, and put on the audit trail without the secret.

A failure costs the node a lock, a few dictionary operations and, while there is room, one
event handed to the audit buffer (appended in the background, in batches, like reads): never
a write of its own. What the trail receives is bounded whatever the attack. Failures are
recorded one by one (`auth.refused`) while the source is within its allowance and the trail's
budget of single records lasts (`recorded_burst`, `recorded_per_second`, for all sources
together). The rest — what a throttled source sends, and failures beyond the budget — are
counted per source and written as one `auth.throttled` record per source every
`summary_every` seconds, the counts bounded in size; past `MAX_TALLIES` sources in one period,
the others are counted together under "*".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from accord.serving.throttle import Throttle, ThrottleLimits, retry_after, source_of
from accord.stix.timestamps import format_timestamp, now_timestamp
from accord.trust.audit import Event
from accord.trust.credentials import Form

REFUSED = "auth.refused"
THROTTLED = "auth.throttled"
_MAX_PATH = 200  # of a path recorded (paths are the caller's choice, up to 64 KB)
_PATHS_PER_SUMMARY = 5
MAX_TALLIES = 1_000  # sources summarised one by one per period (≤ 100 records a second)
OTHER_SOURCES = "*"  # the tally of the sources beyond them


@dataclass(frozen=True, slots=True)
class Attempt:
    """A failed authentication, as far as it is recorded: never any part of the secret."""

    source: str | None  # the client's address as the server saw it
    form: Form
    via: str  # the interface: taxii, api or ui
    method: str
    path: str


@dataclass(frozen=True, slots=True)
class RefusalLimits:
    throttle: ThrottleLimits = field(default_factory=ThrottleLimits)
    recorded_burst: int = 100  # single records the trail takes at once, all sources together
    recorded_per_second: float = 10.0  # and then, per second
    summary_every: float = 10.0  # seconds between the summaries of what was counted


class _Tally:
    """What one source sent that was not recorded one by one, since the last summary."""

    __slots__ = ("first", "forms", "last", "paths", "refused", "throttled", "via")

    def __init__(self, now: float) -> None:
        self.first = self.last = now
        self.refused = self.throttled = 0
        self.forms: dict[str, int] = {}
        self.via: dict[str, int] = {}
        self.paths: list[str] = []

    def add(self, attempt: Attempt, *, throttled: bool, now: float) -> None:
        if throttled:
            self.throttled += 1
        else:
            self.refused += 1
        self.last = now
        self.forms[attempt.form] = self.forms.get(attempt.form, 0) + 1
        self.via[attempt.via] = self.via.get(attempt.via, 0) + 1
        path = attempt.path[:_MAX_PATH]
        if len(self.paths) < _PATHS_PER_SUMMARY and path not in self.paths:
            self.paths.append(path)

    def event(self, source: str) -> Event:
        return Event(now_timestamp(), THROTTLED, None, detail={
            "source": source, "throttled": self.throttled, "refused": self.refused,
            "forms": self.forms, "via": self.via, "paths": self.paths,
            "first": _stamp(self.first), "last": _stamp(self.last)})


def _stamp(wall: float) -> str:
    return format_timestamp(datetime.fromtimestamp(wall, UTC))


class Refusals:
    """The node's memory of failed authentications: `refuse` each one, then answer 401, or
    429 with the Retry-After it returns; `summaries` feeds the audit buffer."""

    def __init__(self, limits: RefusalLimits, record: Callable[[Event], None], *,
                 clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time) -> None:
        self.limits = limits
        self.throttle = Throttle(limits.throttle)
        self._record = record
        self._budget = Throttle(ThrottleLimits(limits.recorded_burst,
                                               1.0 / limits.recorded_per_second, 1))
        self._clock, self._wall = clock, wall
        self._tallies: dict[str, _Tally] = {}
        self._lock = threading.Lock()
        self._last_summary = clock()

    def set_throttle(self, limits: ThrottleLimits) -> None:
        """Other limits from now on (`accord serve` applies its options before serving)."""
        self.limits = RefusalLimits(limits, self.limits.recorded_burst,
                                    self.limits.recorded_per_second, self.limits.summary_every)
        self.throttle = Throttle(limits)

    def refuse(self, attempt: Attempt) -> int:
        """Count and record a failed authentication: 0 (answer 401), or the seconds the
        source must wait (answer 429 with this Retry-After)."""
        now = self._clock()
        source = source_of(attempt.source)
        wait = self.throttle.fail(source, now)
        if not wait and not self._budget.fail("trail", now):
            self._record(Event(now_timestamp(), REFUSED, None, detail={
                "source": (attempt.source or "unknown")[:64], "form": attempt.form,
                "via": attempt.via, "method": attempt.method[:16],
                "path": attempt.path[:_MAX_PATH]}))
        else:
            wall = self._wall()
            with self._lock:
                tally = self._tallies.get(source)
                if tally is None:
                    if len(self._tallies) >= MAX_TALLIES:
                        source = OTHER_SOURCES
                        tally = self._tallies.get(source)
                    if tally is None:
                        tally = self._tallies[source] = _Tally(wall)
                tally.add(attempt, throttled=bool(wait), now=wall)
        return retry_after(wait) if wait else 0

    def summaries(self, everything: bool) -> list[Event]:
        """One record per source of what was counted, once `summary_every` seconds have
        passed since the last (or now, with `everything`: at shutdown, in tests)."""
        now = self._clock()
        with self._lock:
            if not self._tallies or (not everything
                                     and now - self._last_summary < self.limits.summary_every):
                return []
            tallies, self._tallies = self._tallies, {}
            self._last_summary = now
        return [tally.event(source) for source, tally in tallies.items()]
