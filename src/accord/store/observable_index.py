"""The correlation index's rows, kept so that a look-up reads only what its reader may read.

A row is (collection, audience, kind, value, seq): the newest version `seq` of an object in
`collection` mentions `value`, and `audience` may read that version — EVERY_READER of the
collection, or one party named by a version marked beyond AMBER (its creator, poster and
recipients, one row each). The key starts with the collection and the audience, so a look-up
seeks, for each collection its reader may read, only the reader's rows and everyone's: values
it may not read are never touched, and the time of a look-up tells nothing of them. Only
newest versions are indexed (a look-up never wanted the others, and an older version of an
object tightened beyond the reader is not the reader's to read any more).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from sqlalchemy import Connection, and_, delete, insert, select, true

from accord.correlation.values import Value, values_in
from accord.store.schema import collections, objects, observables, recipients
from accord.trust.markings import MarkedVersion, Tlp, audience

# Bytes of a value the index keeps: PostgreSQL's B-tree refuses keys over 2,704 bytes, and a
# value longer than this is not one anybody types into a look-up.
MAX_VALUE_BYTES = 2048

Row = tuple[str, str, str, str, int]  # collection_id, audience, kind, value, seq

# The object a sighting sighted, kept in the index like a value: a party's count of the
# sightings of an object then reads only the sightings it may read.
SIGHTED = "sighting-of"


def indexed_values(obj: Mapping[str, Any]) -> set[Value]:
    """What the index keeps of an object: its observable values, and what a sighting sighted."""
    found = values_in(obj)
    sighted = obj.get("sighting_of_ref")
    if obj.get("type") == "sighting" and isinstance(sighted, str):
        found.add(Value(SIGHTED, sighted))
    return found


def rows_for(collection_id: str, seq: int, marking: MarkedVersion, default: Tlp,
             mentions: Iterable[Value]) -> list[Row]:
    """The index rows of one newest version."""
    kept = sorted(v for v in mentions if len(v.value.encode()) <= MAX_VALUE_BYTES)
    return [(collection_id, party, v.kind, v.value, seq)
            for party in sorted(audience(marking, default)) for v in kept]


def forget(conn: Connection, seqs: list[int], chunk: int = 500) -> None:
    """Drop the rows of versions that are no longer the newest."""
    for start in range(0, len(seqs), chunk):
        conn.execute(delete(observables).where(observables.c.seq.in_(seqs[start:start + chunk])))


def reindex_newest(conn: Connection, collection_id: str, object_id: str) -> None:
    """Index the newest version of an object anew (after its newer versions were deleted)."""
    o = objects.c
    row = conn.execute(
        select(o.seq, o.body, o.tlp, o.creator_id, o.poster_id, collections.c.default_tlp)
        .join(collections, collections.c.id == o.collection_id)
        .where(and_(o.collection_id == collection_id, o.id == object_id, o.is_latest == true()))
    ).first()
    if row is None:
        return
    addressed = frozenset(conn.execute(select(recipients.c.party_id)
                                       .where(recipients.c.seq == row.seq)).scalars())
    marking = MarkedVersion(None if row.tlp is None else Tlp(row.tlp), row.creator_id,
                            row.poster_id, addressed)
    forget(conn, [row.seq])  # it may have been the newest, and indexed, all along
    found = rows_for(collection_id, row.seq, marking, Tlp(row.default_tlp),
                     indexed_values(orjson.loads(row.body)))
    if found:
        conn.execute(insert(observables), [
            {"collection_id": c, "audience": a, "kind": k, "value": v, "seq": s}
            for c, a, k, v, s in found])
