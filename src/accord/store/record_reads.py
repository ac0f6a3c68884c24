"""The attribution record's index (migration 0030): which claims are filed under a subject and
which positions under a claim, every version of each. Ids only: what a reader may read of them
is decided by the read of the objects that follows (store.objects), as for any other read."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace

from sqlalchemy import Engine, select

from accord.store.bulk import among
from accord.store.engine import reading
from accord.store.query import ObjectQuery
from accord.store.schema import objects, record_index

_R, _O = record_index.c, objects.c
BLOCK = 1000  # ids a query names


def ids_filed_under(engine: Engine, collection_id: str, under: Iterable[str]) -> list[str]:
    """The ids of the objects of `collection_id` (the record's: a claim posted elsewhere is
    no part of it) filed under any of `under` (subjects or claims), sorted."""
    wanted = sorted(set(under))
    found: set[str] = set()
    if not wanted:
        return []
    with reading(engine) as conn:
        for condition in among(conn, _R.filed_under, wanted):
            found.update(conn.execute(
                select(_R.object_id).join(objects, _O.seq == _R.seq)
                .where(condition, _O.collection_id == collection_id)).scalars())
    return sorted(found)


def in_blocks(query: ObjectQuery, ids: Sequence[str] | None) -> Iterator[ObjectQuery]:
    """`query` for `ids` (every object it selects, if None), naming at most BLOCK ids a query:
    the look-up of each is bounded, and no statement holds more values than a driver takes
    (the index may file thousands of positions under one claim)."""
    if ids is None:
        yield query
        return
    for start in range(0, len(ids), BLOCK):
        yield replace(query, ids=tuple(ids[start:start + BLOCK]))
