"""TAXII reads that found nothing, counted and put on the audit trail once a minute.

A peer's sync, or an analyst's TAXII client, polls each collection every few seconds, and
most polls find nothing new: one record each filled the trail with empty `objects.read`
records (five peers polling three collections every 5 s: a quarter of a million a day),
which every `accord audit verify` then walks, and among which the reads that did return
something are hard to find. The first such read of a reader's token on a collection in a period
is recorded alone, at once, as any read; the others of the period are counted: one record per
reader, token, collection and kind of read every `every` seconds, saying how many more there
were and when the first and the last of them came. What a read returned is never summed: a
read that returned objects is recorded alone, as before. A node that stops at once (kill -9,
power) loses the counts of its last period, never the record that a reader was polling.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from accord.stix.timestamps import format_timestamp
from accord.trust.audit import Event

SUMMARY_EVERY = 60.0  # seconds
# Tallies held at once: each is a reader's token on a collection, so a node holds few; past
# this many (tokens by the thousand, all polling), a read is recorded alone again.
MOST_TALLIES = 10_000

_Key = tuple[str, str | None, str | None, str | None]  # action, party, token, collection


class EmptyReads:
    """`count` each empty read (False: record it yourself); `summaries` feeds the audit
    buffer (store.audit_buffer.AuditBuffer)."""

    def __init__(self, every: float = SUMMARY_EVERY, *,
                 clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time) -> None:
        self.every = every
        self._clock, self._wall = clock, wall
        self._tallies: dict[_Key, list[float]] = {}  # [count, first wall, last wall]
        self._lock = threading.Lock()
        self._last_summary = clock()

    def count(self, event: Event) -> bool:
        """Count EVENT, a read that returned nothing, toward its key's next summary; False
        when the caller is to record it as it is: the first of its key in the period, or
        one with no room left for another key."""
        key = (event.action, event.party_id, event.token_id, event.collection_id)
        now = self._wall()
        with self._lock:
            tally = self._tallies.get(key)
            if tally is None:
                if len(self._tallies) < MOST_TALLIES:
                    self._tallies[key] = [0, now, now]
                return False
            if not tally[0]:
                tally[1] = now
            tally[0] += 1
            tally[2] = now
        return True

    def summaries(self, everything: bool) -> list[Event]:
        """One record per key of what was counted, once `every` seconds have passed since the
        last summaries (or now, with `everything`: at shutdown, when a flush must hold all)."""
        now = self._clock()
        with self._lock:
            if not self._tallies or (not everything and now - self._last_summary < self.every):
                return []
            tallies, self._tallies = self._tallies, {}
            self._last_summary = now
        return [Event(_stamp(last), action, party, token, collection, (), {
            "empty_reads": int(count), "first": _stamp(first), "last": _stamp(last)})
            for (action, party, token, collection), (count, first, last) in tallies.items()
            if count]


def _stamp(wall: float) -> str:
    return format_timestamp(datetime.fromtimestamp(wall, UTC))
