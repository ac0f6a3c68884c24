"""A TAXII read on PostgreSQL, with the bodies this process holds left out of what the
database sends (store.body_cache says why, and what still decides each row)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from accord.store import direct
from accord.store.body_cache import BodyCache, Held
from accord.store.query import ObjectQuery, StoredVersion
from accord.store.reads import BODIES, sized, statement_for, versions, within


def select(conn: Connection, cache: BodyCache, collection_id: str, query: ObjectQuery,
           object_id: str | None, limit: int) -> tuple[list[StoredVersion], bool]:
    """The versions that answer `query`, and whether `most_bytes` cut them short, as
    ObjectStore.page lists them."""
    try:
        # The read whole (ObjectQuery is frozen: its filters and its reader), by its hash: a
        # query of a thousand ids is remembered in a few bytes. Two reads with the same hash
        # would share their hints, which is harmless: a hint only names bodies held, and a
        # held body stands in only for its own row, at its own row version.
        asked = hash((collection_id, query, object_id, limit))
    except TypeError:  # a filter given as a list, not a tuple: read the old way
        return versions(conn, collection_id, query, object_id, limit)
    held, asked_before = cache.held_for(asked)
    statement, values = statement_for(collection_id, query, object_id, limit, held=list(held))
    rows: Sequence[Any] = direct.rows(conn, statement, values)
    cut = False
    if sized(query):
        rows, cut = within(rows, query.most_bytes or 0)
    bodies: dict[int, bytes] = {}
    read: dict[int, Held] = {}
    missing: list[int] = []
    for seq, _, added, _, _, body, xmin, _ in rows:
        if body is not None:
            if asked_before:  # only then are they kept (BodyCache.served)
                read[seq] = Held(_row_version(xmin, added), body)
            bodies[seq] = body
            continue
        # Left out because held, or (with most_bytes) too large to come inline.
        kept = held.get(seq)
        if kept is not None and kept.row_version == _row_version(xmin, added):
            bodies[seq] = kept.body
        else:
            missing.append(seq)  # large, or the row was written since (a body signed anew)
    if missing:
        for seq, xmin, added, body in direct.rows(conn, BODIES, {"seqs": missing}):
            read[seq] = Held(_row_version(xmin, added), body)  # asked before: held some
            bodies[seq] = body
        if len(bodies) < len(rows):
            # A row deleted between the two statements (by another transaction): the page
            # again, whole, from one statement. Leaving the row out would say there is no
            # more when its place was the one that said so (a page reads limit + 1 rows).
            return versions(conn, collection_id, query, object_id, limit)
    found = [StoredVersion(seq, oid, added, version, spec, bodies[seq])
             for seq, oid, added, version, spec, _, _, _ in rows]
    cache.served(asked, (v.seq for v in found), read, asked_before)
    return found, cut


def _row_version(xmin: str, date_added: str) -> str:
    # xmin: a new one at every write of the row. With the instant the version was added (to
    # the microsecond): a database recovered to an earlier point, or a replica promoted that
    # had not received the last commits, hands out the lost transactions' ids and seqs again,
    # and a new row could have both the seq and the xmin of a lost one that a process still
    # holds; not also the instant it was added.
    return f"{xmin} {date_added}"
