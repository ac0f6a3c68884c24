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
from dataclasses import dataclass, replace
from itertools import islice
from typing import Any

import orjson
from sqlalchemy import func, select

from accord.attribution.model import Designation
from accord.attribution.objects import DESIGNATION
from accord.attribution.record import AttributionRecord
from accord.cooperation.desk import Actor
from accord.cooperation.properties import MOST_LINE, MOST_LISTED
from accord.screening import Listed, Match, Screener
from accord.store.directory import Collection
from accord.store.query import ObjectQuery, StoredVersion
from accord.store.record_reads import BLOCK, in_blocks
from accord.store.schema import objects

ACTOR_KINDS = ("intrusion-set", "threat-actor")
_PAGE = 1000
# The longest name one screening takes (a firm's full legal name with its country is shorter).
MOST_SCREENED_CHARS = 500
# Names (each actor's name and aliases) a party's watchlist takes from the actors of any one
# poster: MITRE ATT&CK lists about 1,000, MISP's threat-actor galaxy a few thousand. One
# party posting 4,000 actors of 100 aliases each made every reader's list 400,000 names, 10 s
# of CPU to build and 1.2 GB of memory, for each party reading that collection. Taken in the
# order a build reads them (oldest first), so a flood pushes out none of its poster's older
# actors, and nobody else's; what the node's own party posted is not held to it. Actors left
# out are counted (`left_out`) and said with each screening (docs/limits.md).
MOST_NAMES_BY_POSTER = 20_000


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
    # An actor's: the collection this copy of it is in (an id may be in several, posted by
    # different parties under different names: which one matched is where to look).
    collection: Collection | None = None

    def as_json(self) -> dict[str, Any]:
        m = self.match
        found: dict[str, Any] = {"id": m.id, "name": m.name, "matched": m.matched,
                                 "score": m.score, "match": m.match, "why": m.why,
                                 "kind": self.kind, "listed_by": self.listed_by,
                                 "listed_by_name": self.listed_by_name}
        if self.collection is not None:
            found.update(collection_id=self.collection.id,
                         collection_title=self.collection.title)
        if self.designation is not None:
            found.update(programme=self.designation.programme,
                         legal_basis=self.designation.legal_basis)
        return found


class Watchlist:
    """What one party screens against, as it may read it now."""

    def __init__(self, record: AttributionRecord, actor: Actor, *, actors: bool = True,
                 state: State = ((0, None), (0, None))) -> None:
        self.state = state  # what it was built from (designations, actors), as `_state` says
        self.lock = threading.Lock()  # a screening never meets a catch-up half done
        self.designations = {d.id: d for d in record.designations(actor) if d.is_in_force}
        self.actors: dict[str, str] = {}
        self.listed_by: dict[str, str | None] = {d.id: d.party
                                                 for d in self.designations.values()}
        self.names_by_poster: dict[str | None, int] = {}  # actors' names taken, by poster
        self.names_of: dict[str, int] = {}  # each actor's, counted to its poster
        # An actor's id may be in several collections, posted by different parties: each copy
        # is screened, in its own name (its first copy keyed by the id, each other by the
        # id and its row). Before, the first copy alone was: a party re-posting ATT&CK's
        # APT29 under its id, renamed, into a collection made earlier hid APT29 from every
        # party's screening.
        self.copies: dict[str, list[str]] = {}  # an actor's id: its copies' keys
        self.collection_of: dict[str, Collection] = {}  # each copy's collection, by key
        # Copies of actors not taken, by id: their poster's share was full (an id's count is
        # read again with it when a catch-up re-reads it).
        self.left: dict[str, int] = {}
        self.own = record.node.party.id
        self.names = record.node.directory.names()
        listed = [Listed(d.id, d.name, d.aliases, d.kind) for d in self.designations.values()]
        for collection, reader in record.readable_collections(actor) if actors else ():
            query = ObjectQuery(types=ACTOR_KINDS, limit=_PAGE, reader=reader)
            while True:
                page = record.node.objects.page(collection.id, query)
                listed += self._actors(record, collection, page.items)
                if not page.more:
                    break
                query = replace(query, after=page.next_cursor)
        self.screener = Screener(listed)

    def _actors(self, record: AttributionRecord, collection: Collection,
                items: list[StoredVersion]) -> list[Listed]:
        """The actors of `items` (in `collection`), each copy of an id (in another
        collection) in its own name."""
        posters = _posters(record, [item.seq for item in items])
        listed = []
        for item in items:
            body = orjson.loads(item.body)
            name = body.get("name")
            if not isinstance(name, str) or not 0 < len(name) <= MOST_LINE:
                continue
            # Screened as a designation's are: its first hundred aliases, each a line. Any
            # party that may write a collection may post an actor, and 200,000 aliases would
            # otherwise slow every party's screening.
            given = body.get("aliases", ())
            aliases = tuple(islice((a for a in (given if isinstance(given, list) else ())
                                    if isinstance(a, str) and 0 < len(a) <= MOST_LINE
                                    and a != name), MOST_LISTED))
            poster = posters.get(item.seq)
            taken = self.names_by_poster.get(poster, 0) + 1 + len(aliases)
            # The node's own party (its operator's imports: ATT&CK, MISP's galaxies, its
            # feeds) is not held to a share: its tooling is the node's own.
            if poster not in (None, self.own) and taken > MOST_NAMES_BY_POSTER:
                self.left[item.id] = self.left.get(item.id, 0) + 1
                continue
            self.names_by_poster[poster] = taken
            key = item.id if item.id not in self.copies else f"{item.id}@{item.seq}"
            self.copies.setdefault(item.id, []).append(key)
            self.names_of[key] = 1 + len(aliases)
            self.actors[key] = body["type"]
            self.listed_by[key] = poster
            self.collection_of[key] = collection
            listed.append(Listed(key, name, aliases, "organization"))
        return listed

    @property
    def left_out(self) -> int:
        """How many actors' copies the list does not hold: their posters' shares were full."""
        return sum(self.left.values())

    def catch_up(self, record: AttributionRecord, actor: Actor, readable: tuple[str, ...],
                 state: State) -> bool:
        """Take in the actors added or re-versioned since the list was built or last caught
        up: what a party's new intrusion set costs is reading it, not every actor again (a
        party posting one a second made every party's next screening rebuild the list).
        False, changing nothing, where only a rebuild will do: an actor removed, or a version
        whose place in time was taken before a later one's (two writers at once)."""
        with self.lock:
            (old_held, old_newest), (held, newest) = self.state[1], state[1]
            if (old_held, old_newest) == (held, newest):
                return True  # another request caught it up meanwhile
            if old_newest is None or newest is None or newest < old_newest \
                    or self.screener.removed > self.screener.held:
                return False  # (names taken out outnumber those in: a rebuild is smaller)
            # The collections the list was built from (its key): a grant changed meanwhile
            # makes another key, and another list.
            collections = [(c, r) for c, r in record.readable_collections(actor)
                           if c.id in readable]
            if len(collections) != len(readable):
                return False
            added = _added_since(record, list(readable), old_newest)
            if old_held + len(added) != held:
                return False
            changed = sorted(set(added))
            for oid in changed:  # every copy: they are read again below
                self.left.pop(oid, None)
                keys = self.copies.pop(oid, [])
                self.screener.remove(keys)
                for key in keys:
                    self.actors.pop(key, None)
                    self.collection_of.pop(key, None)
                    poster = self.listed_by.pop(key, None)
                    self.names_by_poster[poster] = (self.names_by_poster.get(poster, 0)
                                                    - self.names_of.pop(key, 0))
            listed: list[Listed] = []
            self.names = record.node.directory.names()  # a new party's name with its actor
            for collection, reader in collections:  # in the order a build reads them
                query = ObjectQuery(types=ACTOR_KINDS, limit=BLOCK, reader=reader)
                for block in in_blocks(query, changed):
                    listed += self._actors(record, collection, record.node.objects.page(
                        collection.id, block).items)
            self.screener.add(listed)
            self.state = (self.state[0], state[1])
            return True

    def renew_designations(self, record: AttributionRecord, actor: Actor, state: State
                           ) -> bool:
        """Read the designations again, keeping the actors: a designation made or lifted
        anywhere on the node changes what every party's list is made of, and rebuilding each
        list whole (every actor it may read) took 20 to 40 s with many actors."""
        with self.lock:
            if self.screener.removed > self.screener.held:
                return False  # (a rebuild is smaller)
            old = list(self.designations)
            self.screener.remove(old)
            for did in old:
                self.listed_by.pop(did, None)
            self.designations = {d.id: d for d in record.designations(actor) if d.is_in_force}
            self.listed_by.update({d.id: d.party for d in self.designations.values()})
            self.screener.add([Listed(d.id, d.name, d.aliases, d.kind)
                               for d in self.designations.values()])
            self.state = (state[0], self.state[1])
            return True

    def screen(self, name: str, limit: int = 10) -> list[Hit]:
        found = []
        with self.lock:
            matches = self.screener.screen(name, limit=limit)
            for m in matches:
                by = self.listed_by.get(m.id)
                kind = "designation" if m.id in self.designations else self.actors[m.id]
                found.append(Hit(replace(m, id=_object_of(m.id)), kind,
                                 self.designations.get(m.id), by,
                                 self.names.get(by, by) if by else None,
                                 self.collection_of.get(m.id)))
        return found


# (designations, actors): how many versions of each the list is made of, and the newest's
# date_added.
State = tuple[tuple[int, str | None], tuple[int, str | None]]


def _added_since(record: AttributionRecord, collections: list[str], after: str) -> list[str]:
    """The id of every version of an actor added to `collections` after `after`."""
    o = objects.c
    if not collections:
        return []
    with record.node.engine.connect() as conn:
        return list(conn.execute(select(o.id).where(
            o.collection_id.in_(collections), o.type.in_(ACTOR_KINDS),
            o.date_added > after)).scalars())


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
    what it could hold may have changed, and caught up when actors were only added."""
    cooperation = record.desk.collection().id  # first: it is made when first asked for
    readable = tuple(sorted(c.id for c, _ in record.readable_collections(actor)))
    state = _state(record, cooperation, readable if actors else ())
    key = (str(record.node.engine.url), actor.party.id, actors, readable)
    with _lock:
        found = _cache.get(key)
    if found is not None and (found.state[0] == state[0]
                              or found.renew_designations(record, actor, state)) and (
            found.state[1] == state[1] or found.catch_up(record, actor, readable, state)):
        return found
    found = Watchlist(record, actor, actors=actors, state=state)
    with _lock:
        # One per party and kind: one read through other grants can only be stale.
        for stale in [k for k in _cache if k[:3] == key[:3]]:
            del _cache[stale]
        _cache[key] = found
    return found


def renew_kept(record: AttributionRecord) -> int:
    """At the server's tick: read again the designations of every list this process keeps
    whose designations changed, so that no party's screening pays for it. A designation a
    party may not read changes every list's count: renewed on a party's own screening, the
    time it took (a few tens of milliseconds) told that party one was made. Returns how many
    lists were renewed; a list only a rebuild would mend is left to its next screening."""
    url = str(record.node.engine.url)
    with _lock:
        kept = [(key, found) for key, found in _cache.items() if key[0] == url]
    if not kept:
        return 0
    now = _designations_state(record, record.desk.collection().id)
    renewed = 0
    for (_, party_id, _, _), found in kept:
        if found.state[0] == now:
            continue
        party = record.node.directory.find_party(party_id)
        if party is None:  # the party is gone: its list with it, at its next screening
            continue
        renewed += found.renew_designations(record, Actor(party), (now, found.state[1]))
    return renewed


def _designations_state(record: AttributionRecord, cooperation: str) -> tuple[int, str | None]:
    """The designations every list is made of, counted, and the newest's date_added."""
    o = objects.c
    with record.node.engine.connect() as conn:
        counted = conn.execute(select(func.count(), func.max(o.date_added)).where(
            o.collection_id == cooperation, o.type == DESIGNATION)).one()
    return int(counted[0]), counted[1]


def _state(record: AttributionRecord, cooperation: str, readable: tuple[str, ...]) -> State:
    """What the list is made of, counted, and its newest version, designations and actors
    apart: an actor or a designation added, re-versioned or removed changes one or the
    other, and nothing else does (a node's every other write used to rebuild every party's
    list; a removal, none)."""
    o = objects.c
    # date_added, not seq: SQLite gives a removed newest row's seq to the next one.
    counted = select(func.count(), func.max(o.date_added))
    with record.node.engine.connect() as conn:
        acting = conn.execute(counted.where(o.collection_id.in_(readable),
                                            o.type.in_(ACTOR_KINDS))).one() if readable \
            else (0, None)
    return _designations_state(record, cooperation), (int(acting[0]), acting[1])


def _object_of(key: str) -> str:
    """The id a listing key names: a copy's key is its id, then '@' and its row (STIX ids
    hold no '@')."""
    return key.partition("@")[0]


def screen_all(record: AttributionRecord, actor: Actor, names: Iterable[str],
               limit: int = 10) -> Iterable[tuple[str, list[Hit]]]:
    listing = watchlist(record, actor)
    for name in names:
        yield name, listing.screen(name, limit)
