"""A TAXII read on PostgreSQL, with the bodies this process holds left out of what the
database sends (store.body_cache says why, and what still decides each row)."""

from __future__ import annotations

from sqlalchemy import Connection

from accord.store import direct
from accord.store.body_cache import BodyCache, Held
from accord.store.query import ObjectQuery, StoredVersion
from accord.store.reads import BODIES, statement_for


def select(conn: Connection, cache: BodyCache, collection_id: str, query: ObjectQuery,
           object_id: str | None, limit: int) -> list[StoredVersion]:
    """The versions that answer `query`, as ObjectStore.page lists them."""
    asked = _asked(collection_id, query, object_id, limit)
    held, asked_before = cache.held_for(asked)
    statement, values = statement_for(collection_id, query, object_id, limit, held=list(held))
    rows = direct.rows(conn, statement, values)
    bodies: dict[int, bytes] = {}
    read: dict[int, Held] = {}
    missing: list[int] = []
    for seq, *_, body, row_version in rows:
        if body is not None:
            read[seq] = Held(row_version, body)
            bodies[seq] = body
            continue
        kept = held[seq]  # the statement leaves out only the bodies said to be held
        if kept.row_version == row_version:
            bodies[seq] = kept.body
        else:
            missing.append(seq)  # the row was written since (a body signed anew)
    if missing:
        for seq, row_version, body in direct.rows(conn, BODIES, {"seqs": missing}):
            read[seq] = Held(row_version, body)
            bodies[seq] = body
    # A row deleted between the two statements (by another transaction) has no body: left
    # out, as if the first had not seen it.
    versions = [StoredVersion(seq, oid, added, version, spec, bodies[seq])
                for seq, oid, added, version, spec, _, _ in rows if seq in bodies]
    cache.served(asked, (v.seq for v in versions), read, asked_before)
    return versions


def _asked(collection_id: str, query: ObjectQuery, object_id: str | None, limit: int) -> int:
    # The read whole (ObjectQuery is frozen: its filters and its reader), by its hash: a
    # query of a thousand ids is remembered in a few bytes. Two reads with the same hash
    # would share their hints, which is harmless: a hint only names bodies held, and a held
    # body stands in only for its own row, at its own row version.
    return hash((collection_id, query, object_id, limit))
