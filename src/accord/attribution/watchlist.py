"""Screening names against what a party may read: the designations in force and the known
actors' names and aliases — never anything else, so a designation a party may not read can
neither match nor be counted for it.

A watchlist is built per party and kept while nothing it could hold has changed (how many
versions of designations and of the actors it may read the node holds, and the newest of them,
say so cheaply, from the index by collection and type), so a server screens a batch without
re-reading every designation for each name.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import and_, func, or_, select

from accord.attribution.model import Designation
from accord.attribution.objects import DESIGNATION
from accord.attribution.record import AttributionRecord
from accord.cooperation.desk import Actor
from accord.screening import Listed, Match, Screener
from accord.store.query import ObjectQuery
from accord.store.schema import objects

ACTOR_KINDS = ("intrusion-set", "threat-actor")
_PAGE = 1000


@dataclass(frozen=True, slots=True)
class Hit:
    """A screening result with what it matched: a designation or a known actor."""

    match: Match
    kind: str  # "designation" or the actor's STIX type
    designation: Designation | None = None
    # Which party put it on the node (None: the node's operator, by import): any party that
    # may write a collection may list an actor, and a reader of the result should know whose
    # word it is (a hostile party could list a rival firm's name as an actor's alias).
    listed_by: str | None = None
    listed_by_name: str | None = None

    def as_json(self) -> dict[str, Any]:
        m = self.match
        found: dict[str, Any] = {"id": m.id, "name": m.name, "matched": m.matched,
                                 "score": m.score, "match": m.match, "why": m.why,
                                 "kind": self.kind, "listed_by": self.listed_by,
                                 "listed_by_name": self.listed_by_name}
        if self.designation is not None:
            found.update(programme=self.designation.programme,
                         legal_basis=self.designation.legal_basis)
        return found


class Watchlist:
    """What one party screens against, as it may read it now."""

    def __init__(self, record: AttributionRecord, actor: Actor, *, actors: bool = True) -> None:
        self.designations = {d.id: d for d in record.designations(actor) if d.is_in_force}
        self.actors: dict[str, str] = {}
        self.listed_by: dict[str, str | None] = {d.id: d.party
                                                 for d in self.designations.values()}
        self.names = record.node.directory.names()
        listed = [Listed(d.id, d.name, d.aliases, d.kind) for d in self.designations.values()]
        for collection, reader in record.readable_collections(actor) if actors else ():
            query = ObjectQuery(types=ACTOR_KINDS, limit=_PAGE, reader=reader)
            while True:
                page = record.node.objects.page(collection.id, query)
                posters = _posters(record, [item.seq for item in page.items])
                for item in page.items:
                    if item.id in self.actors:
                        continue
                    body = orjson.loads(item.body)
                    name = body.get("name")
                    if not isinstance(name, str):
                        continue
                    aliases = tuple(a for a in body.get("aliases", ()) if isinstance(a, str)
                                    and a != name)
                    self.actors[item.id] = body["type"]
                    self.listed_by[item.id] = posters.get(item.seq)
                    listed.append(Listed(item.id, name, aliases, "organization"))
                if not page.more:
                    break
                query = ObjectQuery(types=ACTOR_KINDS, limit=_PAGE, reader=reader,
                                    after=page.next_cursor)
        self.screener = Screener(listed)

    def screen(self, name: str, limit: int = 10) -> list[Hit]:
        found = []
        for m in self.screener.screen(name, limit=limit):
            by = self.listed_by.get(m.id)
            found.append(Hit(m, "designation" if m.id in self.designations
                             else self.actors[m.id], self.designations.get(m.id), by,
                             self.names.get(by, by) if by else None))
        return found


def _posters(record: AttributionRecord, seqs: list[int]) -> dict[int, str | None]:
    """Which party posted each of the versions `seqs` (None: the node's operator)."""
    if not seqs:
        return {}
    with record.node.engine.connect() as conn:
        return {seq: poster for seq, poster in conn.execute(
            select(objects.c.seq, objects.c.poster_id).where(objects.c.seq.in_(seqs)))}


_cache: dict[tuple[Any, ...], Watchlist] = {}
_lock = threading.Lock()


def watchlist(record: AttributionRecord, actor: Actor, *, actors: bool = True) -> Watchlist:
    """The party's watchlist (with the known actors, or designations only), rebuilt only when
    what it could hold may have changed."""
    cooperation = record.desk.collection().id  # first: it is made when first asked for
    readable = tuple(sorted(c.id for c, _ in record.readable_collections(actor)))
    # What the list is made of, counted and its newest version: an actor or a designation
    # added, re-versioned or removed changes one or the other, and nothing else does (a
    # node's every other write used to rebuild every party's list; a removal, none).
    o = objects.c
    listed = or_(and_(o.collection_id == cooperation,
                      o.type == DESIGNATION),
                 *([and_(o.collection_id.in_(readable), o.type.in_(ACTOR_KINDS))]
                   if actors and readable else []))
    with record.node.engine.connect() as conn:
        # date_added, not seq: SQLite gives a removed newest row's seq to the next one.
        held, newest = conn.execute(select(func.count(), func.max(o.date_added))
                                    .where(listed)).one()
    key = (str(record.node.engine.url), actor.party.id, actors, readable, newest, held)
    with _lock:
        found = _cache.get(key)
    if found is None:
        found = Watchlist(record, actor, actors=actors)
        with _lock:
            # One per party and kind: an older one of the same can only be stale.
            for stale in [k for k in _cache if k[:3] == key[:3]]:
                del _cache[stale]
            _cache[key] = found
    return found


def screen_all(record: AttributionRecord, actor: Actor, names: Iterable[str],
               limit: int = 10) -> Iterable[tuple[str, list[Hit]]]:
    listing = watchlist(record, actor)
    for name in names:
        yield name, listing.screen(name, limit)
