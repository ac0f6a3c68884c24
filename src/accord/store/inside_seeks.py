"""What lies inside a network, sought in address order and `most` index rows at most.

A look-up of 10.0.0.0/8 finds every address and smaller network inside it. On a node holding
a feed of a million addresses that is a million index rows, and their rows are ordered by
address, not by age: the newest of them cannot be found without reading all (0.4 s for
100,000 on SQLite, growing with the node). So what lies inside is read in address order,
merged across the reader's collections and audiences (each an index range already in that
order: the merge reads one row past each as it goes), and stops at `most` rows: every
mention of an address below the one it stopped at has been read, the rest not, and the
look-up says so (docs/correlation.md, "A network holding many addresses").
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Connection,
    Integer,
    Select,
    String,
    bindparam,
    literal_column,
    select,
    true,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement

from accord.correlation.values import Value, network_range
from accord.store import direct
from accord.store.schema import observables, permissions
from accord.trust.markings import EVERY_READER

# Index rows of what lies inside the networks of one look-up, at most: tens of milliseconds.
MOST_INSIDE = 10_000
_COLLECTIONS = 100  # collections a statement seeks in (two branches each: their audiences)

# PostgreSQL: the merge of index ranges, never a scan of the table (the planner cannot see
# how few rows the limit leaves), and its plan made once per connection.
_SETTINGS = ("SELECT set_config('plan_cache_mode', 'force_generic_plan', true), "
             "set_config('enable_seqscan', 'off', true), "
             "set_config('enable_bitmapscan', 'off', true)")


@dataclass(frozen=True, slots=True)
class Inside:
    """What a seek inside some networks found: each version's seq, with the value that
    matched; and, if it stopped at its bound, the value it stopped at (every mention of a
    value below it was read; of it and above, none or some)."""

    found: dict[int, Value]
    stopped_at: Value | None


def seek_inside(conn: Connection, reader: str, networks: list[Value], most: int | None = None
                ) -> Inside:
    """The index rows lying inside `networks`, in the collections and audiences of `reader`,
    in address order, `most` (MOST_INSIDE) of them at most for each network, and one more
    for each hundred collections the reader reads (stopped at: the first network's that
    stopped)."""
    most = MOST_INSIDE if most is None else most
    readable = readable_collections(conn, reader)
    found: dict[int, Value] = {}
    stopped_at: Value | None = None
    for network in networks if readable else []:
        inside = _seek_one(conn, reader, readable, network, most)
        found |= {seq: value for seq, value in inside.found.items() if seq not in found}
        stopped_at = stopped_at or inside.stopped_at
    return Inside(found, stopped_at)


def readable_collections(conn: Connection, reader: str) -> list[str]:
    """The ids of the collections `reader` may read, for seeks that name each."""
    p = permissions.c
    return list(conn.execute(select(p.collection_id).where(
        p.party_id == reader, p.can_read == true()).order_by(p.collection_id)).scalars())


def _seek_one(conn: Connection, reader: str, readable: list[str], network: Value, most: int
              ) -> Inside:
    low, high = network_range(network)
    # "hex/prefix" sorts by address: '/' sorts before every digit of a prefix.
    values: dict[str, Any] = {"cap": most + 1, "kind": network.kind, "low": f"{low}/",
                              "high": f"{high}/999", "every_reader": EVERY_READER,
                              "reader": reader}
    # At most _COLLECTIONS a statement (SQLite takes 500 terms of a compound SELECT, two a
    # collection), each in (value, seq) order, merged here. The bound is shared among the
    # statements, so that a reader of many collections costs no more rows than one of few:
    # each reads its share and one row more, which says where it stopped.
    prelude = _SETTINGS if conn.dialect.name == "postgresql" else None
    chunks = [readable[start:start + _COLLECTIONS]
              for start in range(0, len(readable), _COLLECTIONS)]
    share = max(1, most // len(chunks))
    parts, stops = [], []
    for chunk in chunks:
        named = {f"collection_{n}": collection for n, collection in enumerate(chunk)}
        got = direct.rows(conn, _statement(conn.dialect.name, len(chunk)),
                          values | named | {"cap": share + 1}, prelude=prelude)
        if len(got) > share:
            stops.append(got[share][1])  # all of this statement's rows below it are read
        parts.append(got[:share])
    rows = list(heapq.merge(*parts, key=lambda row: (row[1], row[0])))
    if not stops:
        return Inside({seq: Value(network.kind, value) for seq, value in rows}, None)
    # Where the first statement stopped is where the look-up did: below it, every row of
    # every statement was read. The rows of that value are kept out (some of them may be
    # unread), unless they are all there is.
    last = min(stops)
    kept = [row for row in rows if row[1] < last] or [row for row in rows if row[1] == last]
    return Inside({seq: Value(network.kind, value) for seq, value in kept},
                  Value(network.kind, last))


@lru_cache(maxsize=64)
def _statement(dialect: str, collections: int) -> CompoundSelect:
    """One branch per collection and audience, each a range of the index key (collection,
    audience, kind, value, seq) and so already in (value, seq) order: merged (PostgreSQL's
    Merge Append, SQLite's merge of a compound ORDER BY), the limit stops the whole after
    `cap` rows. PostgreSQL merges only branches that say their order themselves: without,
    it appended every row of every branch and sorted them (20,000 read for 101 kept)."""
    v = observables.c
    branches: list[Select[Any]] = [
        select(v.seq, v.value).where(
            v.collection_id == bindparam(f"collection_{c}", type_=String),
            v.audience == bindparam(audience, type_=String),
            v.kind == bindparam("kind", type_=String),
            v.value >= bindparam("low", type_=String), v.value <= bindparam("high", type_=String))
        for c in range(collections) for audience in ("every_reader", "reader")]
    if dialect == "postgresql":
        branches = [branch.order_by(v.value, v.seq) for branch in branches]
    order: list[ColumnElement[Any]] = [literal_column(name) for name in ("value", "seq")]
    return union_all(*branches).order_by(*order).limit(bindparam("cap", type_=Integer))
