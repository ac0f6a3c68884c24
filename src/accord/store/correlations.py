"""Look-ups in the correlation index, filtered by what the asking party may read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Engine, and_, bindparam, or_, select, true

from accord.correlation.values import Value, containing_networks, network_range
from accord.store.objects import entitled
from accord.store.schema import collections, objects, observables, parties, permissions
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

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "name": self.name, "version": self.version,
                "collection": {"id": self.collection_id, "title": self.collection},
                "marking": self.marking, "created_by": self.creator,
                "first_seen": self.first_seen, "last_seen": self.last_seen,
                "matched": {"kind": self.matched.kind, "value": self.matched.value},
                "date_added": self.date_added}


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
                   col.title, col.default_tlp, v.kind, v.value, parties.c.name)
            .select_from(observables)
            .join(objects, o.seq == v.seq)
            .join(collections, col.id == o.collection_id)
            .join(permissions, and_(permissions.c.collection_id == o.collection_id,
                                    permissions.c.party_id == bindparam("reader"),
                                    permissions.c.can_read == true()))
            .outerjoin(parties, parties.c.id == o.creator_id)
            .where(or_(*exact, *inside))
            .where(o.is_latest == true(), entitled(objects, col.default_tlp))
            .order_by(o.date_added.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(stmt, {"reader": reader}).all()
        mentions, seen = [], set()
        for row in rows:  # an object that names an address and its network is listed once
            if row.id not in seen:
                seen.add(row.id)
                mentions.append(_mention(row))
        return mentions


def _mention(row: Any) -> Mention:
    body = orjson.loads(row.body)
    first, last = _SEEN.get(row.type, ("created", "modified"))
    level = Tlp(row.tlp if row.tlp is not None else row.default_tlp)
    return Mention(
        row.id, row.type, body.get("name"), row.version, row.collection_id, row.title,
        level.label, row.name or body.get("created_by_ref"),
        body.get(first) or body.get("created"), body.get(last) or body.get("modified"),
        Value(row.kind, row.value), row.date_added)
