"""Look-ups in the correlation index, filtered by what the asking party may read."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import orjson
from sqlalchemy import Engine, Select, and_, bindparam, func, or_, select, true

from accord.correlation.values import Value, containing_networks, network_range
from accord.store.reads import entitled
from accord.store.schema import (
    collections,
    objects,
    observables,
    parties,
    permissions,
    sightings,
)
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

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "name": self.name, "version": self.version,
                "collection": {"id": self.collection_id, "title": self.collection},
                "marking": self.marking, "created_by": self.creator,
                "first_seen": self.first_seen, "last_seen": self.last_seen,
                "matched": {"kind": self.matched.kind, "value": self.matched.value},
                "date_added": self.date_added, "sightings": self.sightings}


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


def wanted(value: Value) -> list[Value]:
    """The index entries that match `value`: an address also matches the networks around it."""
    if value.kind in ("ipv4", "ipv6"):
        return containing_networks(value)
    return [value]


class Correlations:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def lookup(self, reader: str, values: list[Value], limit: int = 100) -> list[Mention]:
        """Newest versions that mention any of `values`, in collections `reader` may read,
        under markings that let it see them; nothing else, not even in counts."""
        entries = [w for v in values for w in wanted(v)]
        if not entries:
            return []
        o, col, v = objects.c, collections.c, observables.c
        by_kind: dict[str, list[str]] = {}
        for entry in entries:
            by_kind.setdefault(entry.kind, []).append(entry.value)
        exact = [and_(v.kind == kind, v.value.in_(found)) for kind, found in by_kind.items()]
        # A network also finds the addresses and smaller networks inside it ("hex/prefix"
        # sorts by address: '/' sorts before every digit of a prefix).
        inside = [and_(v.kind == n.kind, v.value >= f"{low}/", v.value <= f"{high}/999")
                  for n in values if n.kind in ("ipv4", "ipv6")
                  for low, high in [network_range(n)] if low != high]
        stmt = (
            select(o.id, o.type, o.version, o.date_added, o.collection_id, o.tlp, o.body,
                   o.creator_id,
                   col.title, col.default_tlp, v.kind, v.value, parties.c.name)
            .select_from(observables)
            .join(objects, o.seq == v.seq)
            .join(collections, col.id == o.collection_id)
            .outerjoin(parties, parties.c.id == o.creator_id)
            .where(or_(*exact, *inside))
            .where(o.is_latest == true())
            .order_by(o.date_added.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(_readable(stmt), {"reader": reader}).all()
        mentions, seen = [], set()
        for row in rows:  # an object that names an address and its network is listed once
            if row.id not in seen:
                seen.add(row.id)
                mentions.append(_mention(row))
        counts = self._sighting_counts(reader, [m.id for m in mentions],
                                       self._created_by(reader, [m.id for m in mentions]))
        return [replace(m, sightings=counts.get(m.id, 0)) for m in mentions]

    def _created_by(self, reader: str, ids: list[str]) -> set[str]:
        """The ids whose every newest version on the node names `reader` as creator.

        Ids are not owned: anyone may store an object under an id it saw. Only a party that is
        the creator of every copy hears of every sighting; otherwise, none does (fail closed).
        """
        if not ids:
            return set()
        o = objects.c
        with self.engine.connect() as conn:
            # Naming every collection lets the (collection, id, version) index find the rows:
            # there is no index on the id alone, and a scan of every object is slow.
            rows = conn.execute(select(o.id, o.creator_id).where(
                o.collection_id.in_(select(collections.c.id)), o.id.in_(ids),
                o.is_latest == true())).all()
        creators: dict[str, set[str | None]] = {}
        for oid, creator in rows:
            creators.setdefault(oid, set()).add(creator)
        return {oid for oid, found in creators.items() if found == {reader}}

    def _sighting_counts(self, reader: str, ids: list[str], created: set[str]
                         ) -> dict[str, int]:
        if not ids:
            return {}
        s = sightings.c
        base = (select(s.sighting_of_ref, func.count())
                .select_from(sightings).join(objects, objects.c.seq == s.seq)
                .join(collections, collections.c.id == objects.c.collection_id)
                .where(objects.c.is_latest == true()).group_by(s.sighting_of_ref))
        counts: dict[str, int] = {}
        with self.engine.connect() as conn:
            if created:  # its creator hears of every use of an object
                counts.update(conn.execute(base.where(s.sighting_of_ref.in_(created))).all())
            others = [i for i in ids if i not in created]
            if others:
                counts.update(conn.execute(_readable(base.where(s.sighting_of_ref.in_(others))),
                                           {"reader": reader}).all())
        return counts

    def sightings_of(self, reader: str, object_id: str, limit: int = 1000) -> list[Sighting]:
        """Sightings of an object: every one for its creator, else those `reader` may read."""
        o, s = objects.c, sightings.c
        is_creator = object_id in self._created_by(reader, [object_id])
        with self.engine.connect() as conn:
            stmt = (select(o.body, o.tlp, collections.c.default_tlp, collections.c.title,
                           parties.c.name)
                    .select_from(sightings).join(objects, o.seq == s.seq)
                    .join(collections, collections.c.id == o.collection_id)
                    .outerjoin(parties, parties.c.id == o.creator_id)
                    .where(s.sighting_of_ref == object_id, o.is_latest == true())
                    .order_by(o.date_added.desc()).limit(limit))
            rows = conn.execute(stmt if is_creator else _readable(stmt), {"reader": reader}).all()
        return [_sighting(row) for row in rows]


def _readable(stmt: Select[Any]) -> Select[Any]:
    """Only versions in collections the reader (bound as "reader") may read, under markings
    that let it see them. The statement joins `objects` and `collections`."""
    o = objects.c
    return (stmt.join(permissions, and_(permissions.c.collection_id == o.collection_id,
                                        permissions.c.party_id == bindparam("reader"),
                                        permissions.c.can_read == true()))
            .where(entitled(objects, collections.c.default_tlp)))


def _sighting(row: Any) -> Sighting:
    body = orjson.loads(row.body)
    level = Tlp(row.tlp if row.tlp is not None else row.default_tlp)
    return Sighting(body["id"], row.name or body.get("created_by_ref"), body.get("count"),
                    body.get("first_seen"), body.get("last_seen"),
                    body.get("where_sighted_refs", []), level.label, row.title)


def _mention(row: Any) -> Mention:
    body = orjson.loads(row.body)
    first, last = _SEEN.get(row.type, ("created", "modified"))
    level = Tlp(row.tlp if row.tlp is not None else row.default_tlp)
    return Mention(
        row.id, row.type, body.get("name"), row.version, row.collection_id, row.title,
        level.label, row.name or body.get("created_by_ref"),
        body.get(first) or body.get("created"), body.get(last) or body.get("modified"),
        Value(row.kind, row.value), row.date_added, creator_id=row.creator_id)
