"""Look-ups in the correlation index, filtered by what the asking party may read."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Select, func, literal_column, select, true

from accord.correlation.values import Value
from accord.store import direct
from accord.store.bulk import among_bound
from accord.store.correlation_seeks import (
    MOST_COUNTED,
    SEEK_SETTINGS,
    Sought,
    Wanted,
    among_readable,
    careful,
    fetch,
    newest,
    one_per_id,
    seek_and_fetch,
    seek_newest,
    seek_sets,
    wanted,
)
from accord.store.engine import reading
from accord.store.observable_index import SIGHTED
from accord.store.schema import collections, objects, parties, sightings
from accord.trust.markings import Tlp


@dataclass(frozen=True, slots=True)
class Mention:
    """One object a party may read that mentions a looked-up value."""

    id: str
    type: str
    name: str | None
    version: str
    collection_id: str
    collection: str
    marking: str  # e.g. "TLP:AMBER"
    creator: str | None  # the creating party's name (or its identity id, if not a party here)
    first_seen: str | None
    last_seen: str | None
    matched: Value
    date_added: str
    sightings: int = 0  # sightings of it that the reader may see (all, for its creator)
    creator_id: str | None = None
    # More sightings than `sightings`, which then stops at MOST_COUNTED: the count is bounded
    # work, whatever a party posts.
    more_sightings: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "name": self.name, "version": self.version,
                "collection": {"id": self.collection_id, "title": self.collection},
                "marking": self.marking, "created_by": self.creator,
                "first_seen": self.first_seen, "last_seen": self.last_seen,
                "matched": {"kind": self.matched.kind, "value": self.matched.value},
                "date_added": self.date_added, "sightings": self.sightings,
                "more_sightings": self.more_sightings}


@dataclass(frozen=True, slots=True)
class Lookup:
    """What a look-up found: the matches, and the objects naming an over-broad network."""

    found: list[Mention]
    over_broad: list[Mention]
    # Where the seek inside a network looked up stopped (store.inside_seeks.MOST_INSIDE
    # index rows read, in address order): mentions of addresses below it were all read, of
    # it and above not; `found` is the newest of those read. None: nothing was left unread.
    stopped_at: Value | None = None


@dataclass(frozen=True, slots=True)
class Sighting:
    """One party's report that it saw an object: feedback on the use of what was shared."""

    id: str
    by: str | None  # the reporting party's name (or identity id)
    count: int | None
    first_seen: str | None
    last_seen: str | None
    where_sighted_refs: list[str]
    marking: str
    collection: str

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "by": self.by, "count": self.count,
                "first_seen": self.first_seen, "last_seen": self.last_seen,
                "where_sighted_refs": self.where_sighted_refs, "marking": self.marking,
                "collection": self.collection}


_SEEN = {"indicator": ("valid_from", "valid_until"),
         "observed-data": ("first_observed", "last_observed"),
         "sighting": ("first_seen", "last_seen"), "campaign": ("first_seen", "last_seen"),
         "intrusion-set": ("first_seen", "last_seen"), "threat-actor": ("first_seen", "last_seen"),
         "infrastructure": ("first_seen", "last_seen"), "malware": ("first_seen", "last_seen")}


# The largest `limit` of a small look-up (Correlations.small_look_up): the default page of
# 100, and the one more that says whether there are more.
SMALL = 101


class Correlations:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def lookup(self, reader: str, values: list[Value], limit: int = 100) -> list[Mention]:
        """Newest versions that mention any of `values`, in collections `reader` may read,
        under markings that let it see them; nothing else, not even in counts or in the work
        done: the index is only sought where the reader may read (store.observable_index)."""
        return self.look_up(reader, values, limit, over_broad=False).found

    def look_up(self, reader: str, values: list[Value], limit: int = 100, *,
                over_broad: bool = True, most_inside: int | None = None) -> Lookup:
        """What `lookup` finds, and (`over_broad`) what `reader` may read that names a network
        too broad to count as a match of `values` (0.0.0.0/0 for any IPv4 address): listed
        apart, flagged, not matched. Both lists in each statement: the seek, then the fetch of
        the versions found with their sightings (store.correlation_seeks). `most_inside`:
        index rows read inside a network looked up (store.inside_seeks.MOST_INSIDE if None),
        for a caller that looks up many values at once."""
        looked = self._look_up(reader, wanted(values), limit, over_broad, None, most_inside)
        assert looked is not None  # unbounded
        return looked

    def small_look_up(self, reader: str, values: list[Value], limit: int = 100
                      ) -> Lookup | None:
        """What `look_up` finds, if its work is small and bounded (no network searched
        inside, `limit` at most SMALL, at most 2 × `limit` index rows found); None, having
        read no more than that, if not. For a caller that must not wait long: a server's
        event loop, where every other request waits meanwhile."""
        sought = wanted(values)
        if limit > SMALL or sought.inside:
            return None
        return self._look_up(reader, sought, limit, True, 2 * limit)

    def _look_up(self, reader: str, sought: Wanted, limit: int, over_broad: bool,
                 at_most: int | None, most_inside: int | None = None) -> Lookup | None:
        sets: list[Sought] = [(sought.exact, sought.inside),
                             (sought.over_broad if over_broad else [], [])]
        if not any(exact or inside for exact, inside in sets):
            return Lookup([], [])
        stopped_at: Value | None = None
        with reading(self.engine) as conn:
            if at_most is not None and conn.dialect.name == "postgresql":
                lists = self._sought_and_fetched(conn, reader, sets, limit, at_most)
            else:
                lists, stopped_at = self._sought_then_fetched(conn, reader, sets, limit,
                                                              at_most, most_inside)
            if lists is None:
                return None
            # Its creator hears of every use of an object (asked only of objects the reader
            # created: the question reads every copy); others count what they may read.
            mine = sorted({m.id for listed in lists for m in listed if m.creator_id == reader})
            every = _every_sighting(conn, sorted(_created_by(conn, reader, mine)))
        exact, broad = ([_counted(m, every[m.id]) if m.id in every else m for m in listed]
                        for listed in lists)
        return Lookup(exact, broad, stopped_at)

    @staticmethod
    def _sought_then_fetched(conn: Connection, reader: str, sets: list[Sought], limit: int,
                             at_most: int | None, most_inside: int | None = None
                             ) -> tuple[list[list[Mention]] | None, Value | None]:
        """Each set's mentions: the seek, then the fetch of the newest versions found; and
        where a seek inside a network stopped, if it did (seek_newest)."""
        stopped_at: Value | None = None
        if at_most is None:
            found: list[dict[int, Value]] | None
            found, stopped_at = seek_newest(conn, reader, sets, limit, most_inside)
        else:
            found = seek_sets(conn, reader, sets, at_most=at_most)
        if found is None:
            return None, None
        chosen = [set(newest(conn, seqs, limit)) for seqs in found]
        rows = fetch(conn, reader, sorted(set().union(*chosen)))  # newest first
        return [[_mention(row, seqs[row.seq])
                 for row in one_per_id([r for r in rows if r.seq in picked], limit)]
                for seqs, picked in zip(found, chosen, strict=True)], stopped_at

    @staticmethod
    def _sought_and_fetched(conn: Connection, reader: str, sets: list[Sought], limit: int,
                            at_most: int) -> list[list[Mention]] | None:
        """What _sought_then_fetched finds, in one statement (PostgreSQL, bounded)."""
        found = seek_and_fetch(conn, reader, sets, at_most=at_most)
        if found is None:
            return None
        lists = []
        for rows in found:
            matched: dict[int, Value] = {}
            for row in rows:  # the value of the first condition that found the version
                matched.setdefault(row.found_seq, Value(row.kind, row.value))
            lists.append([_mention(row, matched[row.seq])
                          for row in one_per_id([r for r in rows if r.id is not None], limit)])
        return lists

    def sightings_of(self, reader: str, object_id: str, limit: int = 1000) -> list[Sighting]:
        """Sightings of an object: every one for its creator, else those `reader` may read
        (found through the index: the sightings it may not read are not even touched)."""
        o, s = objects.c, sightings.c
        columns = (o.body, o.tlp, collections.c.default_tlp, collections.c.title, parties.c.name)
        with careful(self.engine) as conn:
            own_copy = reader in conn.execute(select(o.creator_id).where(
                among_readable(conn.dialect.name, o.collection_id), o.id == object_id,
                o.is_latest == true()), {"reader": reader}).scalars().all()
            if own_copy and object_id in _created_by(conn, reader, [object_id]):
                stmt = (select(*columns).select_from(sightings).join(objects, o.seq == s.seq)
                        .join(collections, collections.c.id == o.collection_id)
                        .outerjoin(parties, parties.c.id == o.creator_id)
                        .where(s.sighting_of_ref == object_id, o.is_latest == true())
                        .order_by(o.date_added.desc()).limit(limit))
                return [_sighting(row) for row in conn.execute(stmt)]
            [found], _ = seek_newest(conn, reader, [([Value(SIGHTED, object_id)], [])], limit)
            rows = one_per_id(fetch(conn, reader, newest(conn, found, limit)), limit)
        return [_sighting(row) for row in rows]


def _created_by(conn: Connection, reader: str, ids: list[str]) -> set[str]:
    """The ids whose every newest version on the node names `reader` as creator.

    Ids are not owned: anyone may store an object under an id it saw. Only a party that is
    the creator of every copy hears of every sighting; otherwise, none does (fail closed).
    """
    if not ids:
        return set()
    creators: dict[str, set[str | None]] = {}
    for oid, creator in direct.rows(conn, _creators_statement(conn.dialect.name),
                                    {"ids": ids}, prelude=SEEK_SETTINGS):
        creators.setdefault(oid, set()).add(creator)
    return {oid for oid, found in creators.items() if found == {reader}}


@lru_cache(maxsize=2)
def _creators_statement(dialect: str) -> Select[Any]:
    # Naming every collection lets the (collection, id, version) index find the rows: there is
    # no index on the id alone, and a scan of every object is slow.
    o = objects.c
    return select(o.id, o.creator_id).where(
        o.collection_id.in_(select(collections.c.id)), among_bound(dialect, o.id, "ids"),
        o.is_latest == true())


def _every_sighting(conn: Connection, ids: list[str]) -> dict[str, int]:
    """How many sightings of each object there are on the node (for its creator), each count
    ending past MOST_COUNTED."""
    if not ids:
        return {}
    return dict(direct.rows(conn, _sightings_statement(conn.dialect.name), {"ids": ids},
                            prelude=_COUNTING))


# PostgreSQL: a bitmap scan of the sightings of an object reads every one of them before
# the count's LIMIT is reached (chosen where the statistics expect few); an index scan stops.
_COUNTING = SEEK_SETTINGS + ", set_config('enable_bitmapscan', 'off', true)"


_SIGHTED_OBJECT = objects.alias("sighted_object")


@lru_cache(maxsize=2)
def _sightings_statement(dialect: str) -> Select[Any]:
    # Per newest copy of each object (one per collection holding it, few), its sightings
    # counted up to the bound: the count reads no more index rows than that.
    o, s = objects.c, sightings.c
    counted = select(func.count()).select_from(
        select(literal_column("1")).select_from(sightings).join(objects, o.seq == s.seq)
        .where(s.sighting_of_ref == _SIGHTED_OBJECT.c.id, o.is_latest == true())
        .correlate(_SIGHTED_OBJECT).limit(MOST_COUNTED + 1).subquery("counted")).scalar_subquery()
    c = _SIGHTED_OBJECT.c
    return (select(c.id, counted).distinct()
            .where(c.collection_id.in_(select(collections.c.id)),
                   among_bound(dialect, c.id, "ids"), c.is_latest == true()))


def _counted(mention: Mention, count: int) -> Mention:
    """`mention` with `count` sightings, MOST_COUNTED at most (more: said so)."""
    return replace(mention, sightings=min(count, MOST_COUNTED),
                   more_sightings=count > MOST_COUNTED)


def _sighting(row: Any) -> Sighting:
    body = orjson.loads(row.body)
    level = Tlp(row.tlp if row.tlp is not None else row.default_tlp)
    return Sighting(body["id"], row.name or body.get("created_by_ref"), body.get("count"),
                    body.get("first_seen"), body.get("last_seen"),
                    body.get("where_sighted_refs", []), level.label, row.title)


def _mention(row: Any, matched: Value) -> Mention:
    body = orjson.loads(row.body)
    first, last = _SEEN.get(row.type, ("created", "modified"))
    level = Tlp(row.tlp if row.tlp is not None else row.default_tlp)
    return _counted(Mention(
        row.id, row.type, body.get("name"), row.version, row.collection_id, row.title,
        level.label, row.name or body.get("created_by_ref"),
        body.get(first) or body.get("created"), body.get(last) or body.get("modified"),
        matched, row.date_added, creator_id=row.creator_id), row.sighted)
