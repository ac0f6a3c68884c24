"""Each API client's latest write position, kept in the primary (table write_positions) so
that every host of a node sees it: read-your-writes for clients that keep no cookie, whichever
host their next read reaches (serving.read_your_writes).

One row per client (a digest of its credential), kept `keep` seconds after its latest write:
by then any sane replica has replayed it. Bounded: now and then (every `prune_every` seconds,
per process) a write also forgets the expired rows, and the least recently written beyond
`limit`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from accord.store.engine import is_sqlite, reading, writing
from accord.store.schema import write_positions

# As long as the position cookie lives (serving.read_your_writes.COOKIE_AGE).
KEEP = 300.0
LIMIT = 10_000
PRUNE_EVERY = 60.0


class WritePositions:
    """Per client: the primary's WAL position after its latest write (0: none, or expired)."""

    def __init__(self, primary: Engine, *, keep: float = KEEP, limit: int = LIMIT,
                 prune_every: float = PRUNE_EVERY,
                 clock: Callable[[], float] = time.time) -> None:
        self._engine = primary
        self._keep = keep
        self._limit = limit
        self._prune_every = prune_every
        self._clock = clock
        self._pruned_at = clock()  # a new process leaves the first pruning to the others

    def remember(self, client: str, lsn: int) -> None:
        """After the client's write at `lsn`: its reads must see that far (an older write
        answered later does not move it back)."""
        now = self._clock()
        table = write_positions
        # SQLite's max() of two arguments is PostgreSQL's greatest().
        on_sqlite = is_sqlite(self._engine)
        insert: Any = sqlite.insert if on_sqlite else postgresql.insert
        greatest = func.max if on_sqlite else func.greatest
        upsert = insert(table).values(client=client, lsn=lsn, written_at=now)
        upsert = upsert.on_conflict_do_update(
            index_elements=[table.c.client],
            set_={"lsn": greatest(table.c.lsn, upsert.excluded.lsn), "written_at": now})
        with writing(self._engine) as conn:
            conn.execute(upsert)
            if now - self._pruned_at >= self._prune_every:
                self._pruned_at = now
                conn.execute(delete(table).where(table.c.written_at < now - self._keep))
                beyond = (select(table.c.client).order_by(table.c.written_at.desc())
                          .offset(self._limit).scalar_subquery())
                conn.execute(delete(table).where(table.c.client.in_(beyond)))

    def after(self, client: str) -> int:
        """The position the client's reads must see: one primary-key read on the primary."""
        query = select(write_positions.c.lsn).where(
            write_positions.c.client == client,
            write_positions.c.written_at > self._clock() - self._keep)
        with reading(self._engine) as conn:
            found = conn.execute(query).scalar()
        return int(found or 0)

