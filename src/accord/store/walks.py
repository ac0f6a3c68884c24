"""Whether a TAXII page's walk needs its bound (ObjectQuery.most_walked).

A page for a reader walks the collection in date_added order and keeps what the reader may
read. The rows it may not read are among those marked AMBER+STRICT or RED (or, where the
collection's unmarked objects are such, every unmarked one). Where a collection holds fewer
of them than the bound leaves room for, no walk can run long, and the page is read by the
plain statement, the fastest (a walk bounded inside the statement costs a page of ATT&CK a
fifth more, and a page short of its limit a second statement: store.reads.walked_to). How many
a collection holds is counted on a partial index of them (ix_objects_closed), to the bound at
most, and kept for a while: a count made stale by rows added since lets a walk run at most
that many rows past its bound.
"""

from __future__ import annotations

import time
from dataclasses import replace

from sqlalchemy import Connection, Integer, String, bindparam, func, literal_column, select

from accord.store.query import LAST, ObjectQuery
from accord.store.schema import objects
from accord.trust.markings import Tlp

KEPT_SECONDS = 30.0  # how long a collection's count is kept (per process)

_COUNT = select(func.count()).select_from(
    select(literal_column("1")).select_from(objects)
    .where(objects.c.collection_id == bindparam("collection_id", type_=String),
           # The level in the statement's text, not a parameter: only then may the planner
           # prove the partial index's condition and read it (SQLite, PostgreSQL's generic
           # plans), not every row of the collection.
           objects.c.tlp > literal_column(str(int(Tlp.AMBER))))
    .limit(bindparam("most", type_=Integer)).subquery("closed"))


class Walks:
    """The counts of rows not every reader may read, per collection, kept KEPT_SECONDS."""

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, float]] = {}

    def bounded(self, conn: Connection, collection_id: str, query: ObjectQuery,
                object_id: str | None) -> ObjectQuery:
        """`query`, without its walk bound (most_walked None) where no walk of it can run
        long or it is not walked at all (by id)."""
        reader, most = query.reader, query.most_walked
        if most is None:
            return query
        if reader is None or object_id is not None or query.ids:
            return replace(query, most_walked=None)
        if reader.default_tlp > Tlp.AMBER:
            return query  # every unmarked row is one some readers may not read
        if query.versions != {LAST}:
            # An older version the reader may not see is one of any level, hidden because
            # its object's newest is closed: not counted here.
            return query
        # A page reads limit + 1 rows the reader may read; past as many others, the bound.
        room = most - query.limit - 1
        return query if self._closed(conn, collection_id, most) >= room \
            else replace(query, most_walked=None)

    def _closed(self, conn: Connection, collection_id: str, most: int) -> int:
        now = time.monotonic()
        kept = self._counts.get(collection_id)
        if kept is not None and kept[1] > now:
            return kept[0]
        count = int(conn.execute(_COUNT, {"collection_id": collection_id, "most": most})
                    .scalar() or 0)
        self._counts[collection_id] = (count, now + KEPT_SECONDS)
        return count
