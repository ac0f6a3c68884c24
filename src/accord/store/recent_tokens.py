"""What a token (and its party's grant on a collection) was found to be a moment ago, kept in
the process: most TAXII requests then read nothing before their objects.

Every request authenticates, and on PostgreSQL the look-up was half of what a read of one
object cost the server (a round trip, the pool, the driver; bench/README.md, "CPU a request").
Only what *allows* is kept — a valid token, a grant that lets its party read or write — so a
new token, a new grant or a new collection is seen at once everywhere; what is kept can only
make a withdrawal late, and only by a bounded time:

- in this process, not at all: every change the Directory makes (a token revoked, a grant
  changed, a party or person changed) forgets everything kept, before it returns;
- in another process (another host, another worker, the CLI), at most `HELD_FOR` seconds: a
  token revoked there is refused here within that time, a grant withdrawn there too.

A token's expiry is checked at each use, against the clock, not when it was kept. Refused
look-ups are never kept (an unknown token costs its look-up every time), and at most `MOST`
entries are, so a flood of valid tokens cannot grow the process.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Hashable
from typing import Any

# The bound on how late a withdrawal made by another process takes effect here (docs/
# deployment.md). A second: a thousand requests of one client answered from memory on a busy
# host, and a revocation anywhere effective everywhere before an operator could check it.
HELD_FOR = 1.0
MOST = 4096


class RecentLookups:
    """Rows of token look-ups by key, each kept for `held_for` seconds at most."""

    def __init__(self, held_for: float = HELD_FOR, most: int = MOST,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.held_for = held_for
        self.most = most
        self.clock = clock
        self._entries: dict[Hashable, tuple[float, int, Any]] = {}
        self._generations = itertools.count(1)
        self._generation = 0

    def generation(self) -> int:
        """Taken before a look-up, given back to `keep`: what a change made meanwhile
        (`forget_all`) would have made stale is not kept."""
        return self._generation

    def get(self, key: Hashable) -> Any:
        """The row kept for `key`, or None when none is, or it is too old."""
        found = self._entries.get(key)
        if found is None:
            return None
        kept_at, generation, row = found
        if generation != self._generation or self.clock() - kept_at >= self.held_for:
            self._entries.pop(key, None)
            return None
        return row

    def keep(self, key: Hashable, row: Any, generation: int) -> None:
        if generation != self._generation or self.held_for <= 0:
            return
        if len(self._entries) >= self.most:
            self._entries.clear()  # cheaper than choosing; they would be refreshed within a second
        self._entries[key] = (self.clock(), generation, row)

    def forget_all(self) -> None:
        """Something a look-up reads changed in this process: nothing kept holds any more."""
        self._generation = next(self._generations)
        self._entries.clear()
