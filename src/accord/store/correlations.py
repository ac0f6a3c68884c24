"""Look-ups in the correlation index, filtered by what the asking party may read."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import (
    CompoundSelect,
    Connection,
    Engine,
    Select,
    String,
    and_,
    bindparam,
    func,
    literal,
    select,
    true,
    union_all,
)

from accord.correlation.values import (
    Value,
    containing_networks,
    is_over_broad,
    network_range,
)
from accord.store.bulk import among_bound
from accord.store.observable_index import SIGHTED
from accord.store.reads import entitled
from accord.store.schema import (
    collections,
    objects,
    observables,
    parties,
    permissions,
    sightings,
)
from accord.trust.markings import EVERY_READER, Tlp


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
class Lookup:
    """What a look-up found: the matches, and the objects naming an over-broad network."""

    found: list[Mention]
    over_broad: list[Mention]


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


@dataclass(frozen=True, slots=True)
class Wanted:
    """What a look-up of some values seeks in the index."""

    exact: list[Value]  # the values, and every network around an address that is not too broad
    inside: list[Value]  # networks whose addresses and smaller networks are sought too
    over_broad: list[Value]  # networks around an address, or asked for, that are too broad


def wanted(values: list[Value]) -> Wanted:
    """The index entries a look-up of `values` seeks: an address also matches the networks
    around it, a network what lies inside it; networks too broad (is_over_broad) are sought
    apart, and never searched inside."""
    exact: list[Value] = []
    inside: list[Value] = []
    broad: list[Value] = []
    for value in values:
        if value.kind not in ("ipv4", "ipv6"):
            exact.append(value)
            continue
        for around in containing_networks(value):
            (broad if is_over_broad(around) else exact).append(around)
        low, high = network_range(value)
        if low != high and not is_over_broad(value):
            inside.append(value)
    return Wanted(exact, inside, broad)


_CHUNK = 500  # values or collections per IN (…) list


class Correlations:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def lookup(self, reader: str, values: list[Value], limit: int = 100) -> list[Mention]:
        """Newest versions that mention any of `values`, in collections `reader` may read,
        under markings that let it see them; nothing else, not even in counts or in the work
        done: the index is only sought where the reader may read (store.observable_index)."""
        return self.look_up(reader, values, limit, over_broad=False).found

    def look_up(self, reader: str, values: list[Value], limit: int = 100, *,
                over_broad: bool = True) -> Lookup:
        """What `lookup` finds, and (`over_broad`) what `reader` may read that names a network
        too broad to count as a match of `values` (0.0.0.0/0 for any IPv4 address): listed
        apart, flagged, not matched. Both on one connection, each step one statement for both
        lists: a look-up is a handful of index probes, and every round trip costs as much."""
        sought = wanted(values)
        sets = [(sought.exact, sought.inside), (sought.over_broad if over_broad else [], [])]
        if not any(exact or inside for exact, inside in sets):
            return Lookup([], [])
        audiences = [EVERY_READER, reader]
        with self.engine.connect() as conn:
            readable = _readable_collections(conn, reader)
            found = _seek_sets(conn, readable, audiences, sets)
            chosen = [set(_newest(conn, seqs, limit)) for seqs in found]
            rows = _fetch(conn, reader, sorted(set().union(*chosen)))  # newest first
            lists = [[_mention(row, seqs[row.seq])
                      for row in _one_per_id([r for r in rows if r.seq in picked], limit)]
                     for seqs, picked in zip(found, chosen, strict=True)]
            mentioned = {m.id: m for listed in lists for m in listed}
            # Its creator hears of every use of an object (asked only of objects the reader
            # created: the question reads every copy); others count what they may read.
            created = _created_by(conn, reader, sorted(
                oid for oid, m in mentioned.items() if m.creator_id == reader))
            counts = _every_sighting(conn, sorted(created))
            sighted = _seek(conn, readable, audiences,
                            [Value(SIGHTED, oid) for oid in mentioned if oid not in created],
                            [])
        for value in sighted.values():
            counts[value.value] = counts.get(value.value, 0) + 1
        exact, broad = ([replace(m, sightings=counts.get(m.id, 0)) for m in listed]
                        for listed in lists)
        return Lookup(exact, broad)

    def sightings_of(self, reader: str, object_id: str, limit: int = 1000) -> list[Sighting]:
        """Sightings of an object: every one for its creator, else those `reader` may read
        (found through the index: the sightings it may not read are not even touched)."""
        o, s = objects.c, sightings.c
        columns = (o.body, o.tlp, collections.c.default_tlp, collections.c.title, parties.c.name)
        with self.engine.connect() as conn:
            readable = _readable_collections(conn, reader)
            own_copy = reader in conn.execute(select(o.creator_id).where(
                o.collection_id.in_(readable), o.id == object_id,
                o.is_latest == true())).scalars().all()
            if own_copy and object_id in _created_by(conn, reader, [object_id]):
                stmt = (select(*columns).select_from(sightings).join(objects, o.seq == s.seq)
                        .join(collections, collections.c.id == o.collection_id)
                        .outerjoin(parties, parties.c.id == o.creator_id)
                        .where(s.sighting_of_ref == object_id, o.is_latest == true())
                        .order_by(o.date_added.desc()).limit(limit))
                return [_sighting(row) for row in conn.execute(stmt)]
            found = _seek(conn, readable, [EVERY_READER, reader],
                          [Value(SIGHTED, object_id)], [])
            rows = _one_per_id(_fetch(conn, reader, _newest(conn, found, limit)), limit)
        return [_sighting(row) for row in rows]


def _created_by(conn: Connection, reader: str, ids: list[str]) -> set[str]:
    """The ids whose every newest version on the node names `reader` as creator.

    Ids are not owned: anyone may store an object under an id it saw. Only a party that is
    the creator of every copy hears of every sighting; otherwise, none does (fail closed).
    """
    if not ids:
        return set()
    o = objects.c
    # Naming every collection lets the (collection, id, version) index find the rows: there is
    # no index on the id alone, and a scan of every object is slow.
    rows = conn.execute(select(o.id, o.creator_id).where(
        o.collection_id.in_(select(collections.c.id)), o.id.in_(ids),
        o.is_latest == true())).all()
    creators: dict[str, set[str | None]] = {}
    for oid, creator in rows:
        creators.setdefault(oid, set()).add(creator)
    return {oid for oid, found in creators.items() if found == {reader}}


def _readable_collections(conn: Connection, reader: str) -> list[str]:
    """The collections `reader` may read; and, on PostgreSQL, no sequential scan for the rest
    of the transaction. The planner's statistics see each column alone: where most rows of a
    collection are hidden from a reader, it may judge a scan of the whole table cheaper than
    seeking the reader's few rows, and that scan would read (and time) every hidden row. With
    sequential scans off it seeks the index on every key column it is given."""
    return list(conn.execute(_readable_statement(conn.dialect.name),
                             {"reader": reader}).scalars())


@lru_cache(maxsize=2)
def _readable_statement(dialect: str) -> Select[Any]:
    p = permissions.c
    stmt = select(p.collection_id).where(p.party_id == bindparam("reader", type_=String),
                                         p.can_read == true())
    if dialect == "postgresql":
        # SET LOCAL in the same round trip: set_config(…, true) is SET LOCAL, evaluated for
        # the reader's rows (none: then nothing is sought). It holds for the statements
        # planned after this one in the transaction, which are the look-up's.
        stmt = stmt.where(func.set_config("enable_seqscan", "off", True).is_not(None))
    return stmt


def _every_sighting(conn: Connection, ids: list[str]) -> dict[str, int]:
    """How many sightings of each object there are on the node (for its creator)."""
    if not ids:
        return {}
    s = sightings.c
    return {oid: count for oid, count in conn.execute(
        select(s.sighting_of_ref, func.count()).select_from(sightings)
        .join(objects, objects.c.seq == s.seq)
        .where(objects.c.is_latest == true(), s.sighting_of_ref.in_(ids))
        .group_by(s.sighting_of_ref))}


def _seek(conn: Connection, collection_ids: list[str], audiences: list[str],
          exact: list[Value], inside: list[Value]) -> dict[int, Value]:
    """The newest versions (seq: the value matched) whose index rows match `exact` or lie
    `inside` (networks), sought only in the given collections and audiences."""
    return _seek_sets(conn, collection_ids, audiences, [(exact, inside)])[0]


# One condition of a seek: which set it serves, the kind of value, and "in" (a list of values,
# bound as values_N) or "range" (what lies inside a network, bound as low_N and high_N).
_Condition = tuple[int, str, str]


def _seek_sets(conn: Connection, collection_ids: list[str], audiences: list[str],
               sets: list[tuple[list[Value], list[Value]]]) -> list[dict[int, Value]]:
    """For each set of (exact, inside) values, what _seek finds: all sets in one statement
    (per chunk of collections), each row tagged with its set."""
    shape: list[_Condition] = []
    values: dict[str, Any] = {}
    for number, (exact, inside) in enumerate(sets):
        by_kind: dict[str, list[str]] = {}
        for entry in exact:
            by_kind.setdefault(entry.kind, []).append(entry.value)
        for kind, listed in by_kind.items():
            for start in range(0, len(listed), _CHUNK):
                values[f"values_{len(shape)}"] = listed[start:start + _CHUNK]
                shape.append((number, kind, "in"))
        # A network also finds the addresses and smaller networks inside it ("hex/prefix"
        # sorts by address: '/' sorts before every digit of a prefix).
        for network in inside:
            low, high = network_range(network)
            values |= {f"low_{len(shape)}": f"{low}/", f"high_{len(shape)}": f"{high}/999"}
            shape.append((number, network.kind, "range"))
    found: list[dict[int, Value]] = [{} for _ in sets]
    if not shape:
        return found
    stmt = _seek_statement(conn.dialect.name, tuple(shape), len(audiences))
    values |= {f"audience_{n}": audience for n, audience in enumerate(audiences)}
    for start in range(0, len(collection_ids), _CHUNK):
        rows = conn.execute(stmt, {**values,
                                   "collections": collection_ids[start:start + _CHUNK]})
        for seq, kind, value, number in rows:
            found[number].setdefault(seq, Value(kind, value))
    return found


@lru_cache(maxsize=256)
def _seek_statement(dialect: str, shape: tuple[_Condition, ...], audiences: int
                    ) -> CompoundSelect:
    """Built once per shape (building costs more than running it), values bound per call.
    Every branch seeks the index key (collection, audience, kind, value), so rows of other
    collections and audiences are never read. One branch per audience: PostgreSQL without
    statistics reads `audience IN (…)` as a filter on the rows of every audience, not as a
    bound of the index scan."""
    v = observables.c
    among = among_bound(dialect, v.collection_id, "collections")
    branches = []
    for audience in range(audiences):
        for n, (number, kind, how) in enumerate(shape):
            matches = (among_bound(dialect, v.value, f"values_{n}") if how == "in"
                       else and_(v.value >= bindparam(f"low_{n}", type_=String),
                                 v.value <= bindparam(f"high_{n}", type_=String)))
            branches.append(
                select(v.seq, v.kind, v.value, literal(number).label("sought"))
                .where(among, v.audience == bindparam(f"audience_{audience}", type_=String),
                       v.kind == kind, matches))
    return union_all(*branches)


def _newest(conn: Connection, found: dict[int, Value], limit: int) -> list[int]:
    """The `limit` newest of the versions found, one per object id (an id stored in two
    collections is listed once); all of them when they are no more than `limit` (then
    _one_per_id, on what is fetched, keeps one per id: no statement needed)."""
    seqs = sorted(found)
    if len(seqs) <= limit:
        return seqs
    stamped: list[tuple[str, int, str]] = []
    for start in range(0, len(seqs), _CHUNK):
        stamped += [(added, seq, oid) for added, seq, oid in conn.execute(
            _NEWEST, {"seqs": seqs[start:start + _CHUNK]})]
    stamped.sort(reverse=True)
    chosen, ids = [], set()
    for _added, seq, oid in stamped:
        if oid not in ids:
            ids.add(oid)
            chosen.append(seq)
            if len(chosen) == limit:
                break
    return chosen


_NEWEST = select(objects.c.date_added, objects.c.seq, objects.c.id).where(
    objects.c.seq.in_(bindparam("seqs", expanding=True)))


def _fetch(conn: Connection, reader: str, seqs: list[int]) -> list[Any]:
    """The chosen versions, newest first, checked once more against the rule itself."""
    rows: list[Any] = []
    for start in range(0, len(seqs), _CHUNK):
        rows += conn.execute(_fetch_statement(conn.dialect.name),
                             {"reader": reader, "seqs": seqs[start:start + _CHUNK]}).all()
    if len(seqs) > _CHUNK:
        rows.sort(key=lambda r: (r.date_added, r.seq), reverse=True)
    return rows


def _readable(stmt: Select[Any], *, probe_per_row: bool = False) -> Select[Any]:
    """Only versions in collections the reader (bound as "reader") may read, under markings
    that let it see them. The statement joins `objects` and `collections`."""
    o = objects.c
    return (stmt.join(permissions, and_(permissions.c.collection_id == o.collection_id,
                                        permissions.c.party_id == bindparam("reader"),
                                        permissions.c.can_read == true()))
            .where(entitled(objects, collections.c.default_tlp, probe_per_row=probe_per_row)))


@lru_cache(maxsize=2)
def _fetch_statement(dialect: str) -> Select[Any]:
    """Built once: building a statement costs more than running this one. A few rows by
    seq: the reader's receipts probed for each (reads.entitled), never hashed all."""
    o = objects.c
    return _readable(
        select(o.seq, o.id, o.type, o.version, o.date_added, o.collection_id, o.tlp, o.body,
               o.creator_id, collections.c.title, collections.c.default_tlp, parties.c.name)
        .select_from(objects)
        .join(collections, collections.c.id == o.collection_id)
        .outerjoin(parties, parties.c.id == o.creator_id)
        .where(among_bound(dialect, o.seq, "seqs"), o.is_latest == true())
        .order_by(o.date_added.desc(), o.seq.desc()), probe_per_row=True)


def _one_per_id(rows: list[Any], limit: int) -> list[Any]:
    """The first row of each object id (rows come newest first), `limit` of them."""
    seen: set[str] = set()
    kept: list[Any] = []
    for row in rows:
        if row.id not in seen and len(kept) < limit:
            seen.add(row.id)
            kept.append(row)
    return kept


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
    return Mention(
        row.id, row.type, body.get("name"), row.version, row.collection_id, row.title,
        level.label, row.name or body.get("created_by_ref"),
        body.get(first) or body.get("created"), body.get(last) or body.get("modified"),
        matched, row.date_added, creator_id=row.creator_id)
