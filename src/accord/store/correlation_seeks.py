"""The statements of a look-up in the correlation index: seek the values where the reader may
read, then fetch the newest versions found, each with the sightings of it the reader may see.

A look-up is what an analyst pastes an address into and waits for, and what a machine asks
hundreds of times a minute: a handful of index probes, where every round trip to the server
costs as much as the probes themselves. So the collections the reader may read are named
inside each statement (`among_readable`), not read first, and a look-up of values runs two
statements (the seek, the fetch), each its own transaction (`store.engine.reading`: on the
connection a server's event loop keeps, no BEGIN or ROLLBACK around them).

The seek runs with PostgreSQL's sequential scans off (SEEK_SETTINGS, sent in the same round
trip: store.direct's `prelude`), and both run their prepared statement's generic plan (planned
once per connection, not at each call). The planner sees each column alone and cannot see the
reader's collections (an array made while the statement runs): for a value it holds common,
or a network holding many addresses, it may judge a scan of the whole table cheaper than the
index, and that scan would read (and time) every row hidden from the reader. With sequential
scans off it seeks the index on every key column it is given. The fetch reads by primary key.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    CompoundSelect,
    Connection,
    Engine,
    Integer,
    Select,
    String,
    and_,
    any_,
    bindparam,
    func,
    literal,
    literal_column,
    select,
    true,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement

from accord.correlation.values import (
    Value,
    containing_networks,
    is_over_broad,
    network_range,
)
from accord.store import direct
from accord.store.bulk import among_bound
from accord.store.inside_seeks import readable_collections, seek_inside
from accord.store.observable_index import SIGHTED
from accord.store.reads import entitled
from accord.store.schema import collections, objects, observables, parties, permissions
from accord.trust.markings import EVERY_READER


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


_CHUNK = 500  # values or versions per list

# Values sought as one set: (exact, inside), as `Wanted` names them.
Sought = tuple[list[Value], list[Value]]


# Sent before a statement, in its round trip (store.direct's `prelude`): a generic plan (no
# planning at each call once psycopg has prepared the statement: the fetch's joins cost more
# to plan than to run, 0.4-0.7 ms a look-up at 100 k), and, for a seek, no sequential scan.
GENERIC = "SELECT set_config('plan_cache_mode', 'force_generic_plan', true)"
SEEK_SETTINGS = GENERIC + ", set_config('enable_seqscan', 'off', true)"


@contextmanager
def careful(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction whose statements all run with sequential scans off
    (PostgreSQL): for reads of the index and the sightings that take no `prelude`."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(SEEK_SETTINGS)
        yield conn


def among_readable(dialect: str, column: ColumnElement[str]) -> ColumnElement[bool]:
    """`column` names a collection the reader (bound as "reader") may read, decided inside the
    statement. PostgreSQL: `= ANY(ARRAY(subquery))`, an InitPlan run once whose array bounds
    the index scan on the key's first column, as a list of collections given by the caller
    would. SQLite: `IN (subquery)`, a probe of the index for each collection."""
    p = permissions.c
    mine = select(p.collection_id).where(p.party_id == bindparam("reader", type_=String),
                                         p.can_read == true())
    if dialect == "postgresql":
        return column == any_(func.array(mine.scalar_subquery()))
    return column.in_(mine)


def seek_sets(conn: Connection, reader: str, sets: list[Sought],
              *, at_most: int | None = None) -> list[dict[int, Value]] | None:
    """For each set of (exact, inside) values, the newest versions (seq: the value matched)
    whose index rows match `exact` or lie `inside` (networks), sought only in the collections
    and audiences of `reader`: all sets in one statement, each row tagged with its set.
    None if the index holds more than `at_most` such rows (then no more are read)."""
    shape, values = _conditions(sets)
    found: list[dict[int, Value]] = [{} for _ in sets]
    if not shape:
        return found
    stmt = _seek_statement(conn.dialect.name, shape, bounded=at_most is not None)
    if at_most is not None:
        values["cap"] = at_most + 1
    rows = direct.rows(conn, stmt, {**values, "reader": reader}, prelude=SEEK_SETTINGS)
    if at_most is not None and len(rows) > at_most:
        return None
    for seq, kind, value, number, _branch in rows:
        found[number].setdefault(seq, Value(kind, value))
    return found


def seek_and_fetch(conn: Connection, reader: str, sets: list[Sought],
                   *, at_most: int) -> list[list[Any]] | None:
    """PostgreSQL: seek_sets and fetch in one statement, for a look-up whose work is bounded
    (at most `at_most` index rows): one round trip, where the two cost two (a look-up is
    mostly its round trips). For each set, every index row found (`found_seq`, `kind`,
    `value`), newest first, with the version it names as fetch reads it (`id` None where
    the reader may no longer read it); None if the index holds more than `at_most` rows."""
    shape, values = _conditions(sets)
    if not shape:
        return [[] for _ in sets]
    rows = direct.records(conn, _seek_and_fetch_statement(shape),
                          {**values, "reader": reader, "cap": at_most + 1},
                          prelude=SEEK_SETTINGS)
    if len(rows) > at_most:
        return None
    found: list[list[Any]] = [[] for _ in sets]
    for row in rows:
        found[row.sought].append(row)
    return found


# One condition of a seek: which set it serves, the kind of value, and "in" (a list of values,
# bound as values_N) or "range" (what lies inside a network, bound as low_N and high_N).
_Condition = tuple[int, str, str]


def _conditions(sets: list[Sought]
                ) -> tuple[tuple[_Condition, ...], dict[str, Any]]:
    """The conditions of a seek of `sets` and the values they bind."""
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
    return tuple(shape), values


def seek_newest(conn: Connection, reader: str, sets: list[Sought], limit: int,
                most_inside: int | None = None) -> tuple[list[dict[int, Value]], Value | None]:
    """What seek_sets finds, but of each value only the versions that may be among the
    `limit` newest: a value many objects name (a resolver every client uses, or one a party
    names a million times to slow everyone's look-ups of it) costs what a rare one does.

    The capped seek first, which is all a look-up of values named a few times needs; past its
    cap, each value is sought on its own where the reader may read it (collection, audience),
    newest first and `limit` of it, from the index key's end (seq). What lies inside a
    network is ordered by address, not by age: it is read in address order, `most_inside`
    (MOST_INSIDE) rows at most (store.inside_seeks); the second of the pair is the address
    where that stopped (None: nothing was left unread)."""
    found = seek_sets(conn, reader, sets, at_most=_ENOUGH * limit)
    if found is not None:
        return found, None
    found = [{} for _ in sets]
    keys = [(number, entry.kind, entry.value) for number, (exact, _) in enumerate(sets)
            for entry in exact]
    for seq, kind, value, number in _newest_of_each(conn, reader, keys, limit):
        found[number].setdefault(seq, Value(kind, value))
    stopped_at: Value | None = None
    for mine, (_, networks) in zip(found, sets, strict=True):
        within = seek_inside(conn, reader, networks, most_inside)
        for seq, matched in within.found.items():
            mine.setdefault(seq, matched)
        stopped_at = stopped_at or within.stopped_at
    return found, stopped_at


_ENOUGH = 4  # index rows a capped seek reads for each result asked for, before seeking apart


def _newest_of_each(conn: Connection, reader: str, keys: list[tuple[int, str, str]],
                    limit: int) -> list[tuple[int, str, str, int]]:
    """For each (set, kind, value) of `keys`, the `limit` newest index rows of the value in
    each collection and audience the reader may read: (seq, kind, value, set)."""
    if not keys:
        return []
    audiences = [EVERY_READER, reader]
    if conn.dialect.name == "postgresql":
        return [tuple(row) for row in direct.rows(conn, _newest_of_each_statement(), {
            "reader": reader, "audiences": audiences, "per_key": limit,
            "kinds": [k for _, k, _ in keys], "values": [v for _, _, v in keys],
            "sought": [n for n, _, _ in keys]}, prelude=GENERIC)]
    # SQLite, in process: a probe of the index's end for each key costs microseconds.
    found: list[tuple[int, str, str, int]] = []
    for collection in readable_collections(conn, reader):
        for audience in audiences:
            for number, kind, value in keys:
                found += [(seq, kind, value, number) for (seq,) in direct.rows(
                    conn, _NEWEST_OF_ONE, {"collection_id": collection, "audience": audience,
                                           "kind": kind, "value": value, "per_key": limit})]
    return found


_v = observables.c
_NEWEST_OF_ONE = (
    select(_v.seq).where(_v.collection_id == bindparam("collection_id", type_=String),
                         _v.audience == bindparam("audience", type_=String),
                         _v.kind == bindparam("kind", type_=String),
                         _v.value >= bindparam("value", type_=String),
                         _v.value <= bindparam("value", type_=String))
    .order_by(_v.value.desc(), _v.seq.desc())  # as PostgreSQL's (below): the key's order
    .limit(bindparam("per_key", type_=Integer)))


@lru_cache(maxsize=1)
def _newest_of_each_statement() -> Select[Any]:
    """PostgreSQL, one statement: every readable collection × audience × value, and for each
    (LATERAL) a backward scan of the index key's end, `per_key` rows at most."""
    v, p = observables.c, permissions.c
    keys = func.unnest(bindparam("kinds", type_=ARRAY(String)),
                       bindparam("values", type_=ARRAY(String)),
                       bindparam("sought", type_=ARRAY(Integer))
                       ).table_valued("kind", "value", "sought").render_derived(name="wanted")
    audiences = func.unnest(bindparam("audiences", type_=ARRAY(String))
                            ).table_valued("audience").render_derived(name="audiences")
    # The value as a range of one, and the order the key's: with `value = …` the planner
    # reduced the order to seq's alone (every other column equal) and, planning without the
    # values, walked the index of seq backwards, filtering every mention of every value on
    # the node (2,034 rows a key for 10 kept, in a test). No other index gives this order.
    newest = (select(v.seq).where(v.collection_id == p.collection_id,
                                  v.audience == audiences.c.audience, v.kind == keys.c.kind,
                                  v.value >= keys.c.value, v.value <= keys.c.value)
              .order_by(v.value.desc(), v.seq.desc())
              .limit(bindparam("per_key", type_=Integer)).lateral("newest"))
    return (select(newest.c.seq, keys.c.kind, keys.c.value, keys.c.sought)
            .select_from(permissions.join(audiences, true()).join(keys, true())
                         .join(newest, true()))
            .where(p.party_id == bindparam("reader", type_=String), p.can_read == true()))


@lru_cache(maxsize=256)
def _seek_statement(dialect: str, shape: tuple[_Condition, ...], *, bounded: bool
                    ) -> CompoundSelect:
    """Built once per shape (building costs more than running it), values bound per call.
    Every branch seeks the index key (collection, audience, kind, value), so rows of other
    collections and audiences are never read. One branch per audience (every reader's, and
    the reader's own, bound as "reader"): PostgreSQL without statistics reads `audience IN
    (…)` as a filter on the rows of every audience, not as a bound of the index scan."""
    v = observables.c
    among = among_readable(dialect, v.collection_id)
    branches: list[Select[Any]] = []
    for audience in (literal(EVERY_READER, String), bindparam("reader", type_=String)):
        for n, (number, kind, how) in enumerate(shape):
            matches = (among_bound(dialect, v.value, f"values_{n}") if how == "in"
                       else and_(v.value >= bindparam(f"low_{n}", type_=String),
                                 v.value <= bindparam(f"high_{n}", type_=String)))
            branches.append(
                select(v.seq, v.kind, v.value, literal(number).label("sought"),
                       literal(len(branches)).label("branch"))
                .where(among, v.audience == audience, v.kind == kind, matches))
    union = union_all(*branches)
    return union.limit(bindparam("cap", type_=Integer)) if bounded else union


def newest(conn: Connection, found: dict[int, Value], limit: int) -> list[int]:
    """The `limit` newest of the versions found, one per object id (an id stored in two
    collections is listed once); all of them when they are no more than `limit` (then
    one_per_id, on what is fetched, keeps one per id: no statement needed)."""
    seqs = sorted(found)
    if len(seqs) <= limit:
        return seqs
    stamped: list[tuple[str, int, str]] = []
    dialect = conn.dialect.name
    # PostgreSQL: every seq in one array, one statement planned once (an IN list of 500 was
    # a statement of its own, planned at each call: 75-105 ms for 10,000 seqs, 20 of them).
    chunk = _CHUNK if dialect == "sqlite" else len(seqs)
    for start in range(0, len(seqs), chunk):
        stamped += [(added, seq, oid) for added, seq, oid in direct.rows(
            conn, _newest_statement(dialect), {"seqs": seqs[start:start + chunk]})]
    stamped.sort(reverse=True)
    chosen, ids = [], set()
    for _added, seq, oid in stamped:
        if oid not in ids:
            ids.add(oid)
            chosen.append(seq)
            if len(chosen) == limit:
                break
    return chosen


@lru_cache(maxsize=2)
def _newest_statement(dialect: str) -> Select[Any]:
    o = objects.c
    return select(o.date_added, o.seq, o.id).where(among_bound(dialect, o.seq, "seqs"))


def fetch(conn: Connection, reader: str, seqs: list[int]) -> list[Any]:
    """The chosen versions, newest first, checked once more against the rule itself; each
    with `sighted`, how many sightings of it `reader` may read."""
    rows: list[Any] = []
    for start in range(0, len(seqs), _CHUNK):
        rows += direct.records(conn, _fetch_statement(conn.dialect.name),
                               {"reader": reader, "seqs": seqs[start:start + _CHUNK]},
                               prelude=GENERIC)
    if len(seqs) > _CHUNK:
        rows.sort(key=lambda r: (r.date_added, r.seq), reverse=True)
    return rows


def _readable(stmt: Select[Any], dialect: str, *, probe_per_row: bool = False
              ) -> Select[Any]:
    """Only versions in collections the reader (bound as "reader") may read, under markings
    that let it see them. The statement joins `objects` and `collections`."""
    o = objects.c
    # SQLite: the collection as an expression, so the planner finds the versions by seq and
    # then their permission. Without statistics it went from the reader's permissions to
    # every object of each collection (the index by collection and type) and kept the few
    # asked for: 12 ms for 100 versions among 100,000, growing with the collection.
    collection = o.collection_id.concat("") if dialect == "sqlite" else o.collection_id
    return (stmt.join(permissions, and_(permissions.c.collection_id == collection,
                                        permissions.c.party_id == bindparam("reader"),
                                        permissions.c.can_read == true()))
            .where(entitled(objects, collections.c.default_tlp, probe_per_row=probe_per_row)))


@lru_cache(maxsize=2)
def _fetch_statement(dialect: str) -> Select[Any]:
    """Built once: building a statement costs more than running this one. A few rows by
    seq: the reader's receipts probed for each (reads.entitled), never hashed all."""
    o = objects.c
    return (_fetching(dialect).where(among_bound(dialect, o.seq, "seqs"))
            .order_by(o.date_added.desc(), o.seq.desc()))


@lru_cache(maxsize=256)
def _seek_and_fetch_statement(shape: tuple[_Condition, ...]) -> Select[Any]:
    """PostgreSQL: the bounded seek, and for each of its rows the fetch of the version it
    names (LATERAL: a probe of the primary key per row found, no more), newest first."""
    sought = _seek_statement("postgresql", shape, bounded=True).subquery("sought")
    # OFFSET 0 keeps the planner from pulling the fetch up into a join it may then run the
    # other way round: from every object of the reader's collections (seen on small tables).
    fetched = (_fetching("postgresql").where(objects.c.seq == sought.c.seq).offset(0)
               .lateral("fetched"))
    return (select(sought.c.seq.label("found_seq"), sought.c.kind.label("kind"),
                   sought.c.value.label("value"), sought.c.sought, fetched)
            .select_from(sought.outerjoin(fetched, true()))
            .order_by(fetched.c.date_added.desc().nulls_last(), fetched.c.seq.desc(),
                      sought.c.branch))


def _fetching(dialect: str) -> Select[Any]:
    """The columns of a fetch, of newest versions the reader may read."""
    o = objects.c
    return _readable(
        select(o.seq, o.id, o.type, o.version, o.date_added, o.collection_id, o.tlp, o.body,
               o.creator_id, collections.c.title, collections.c.default_tlp,
               parties.c.name, _sighted(dialect))
        .select_from(objects)
        .join(collections, collections.c.id == o.collection_id)
        .outerjoin(parties, parties.c.id == o.creator_id)
        .where(o.is_latest == true()), dialect, probe_per_row=True)


# The sightings of one object counted, at most: past it a look-up says "more than", and its
# work stays the same however many sightings a party posts of what others look up.
MOST_COUNTED = 100


def _sighted(dialect: str) -> ColumnElement[int]:
    """How many newest sightings of the row's object the reader may read, MOST_COUNTED + 1 at
    most per audience (past MOST_COUNTED: "more than"): index rows of the sightings (kind
    SIGHTED, value the object's id), sought like any value, per audience, each count ending
    at its bound. A version's index rows are either every reader's or its named parties': no
    sighting is counted twice."""
    s = observables.alias("sighted").c
    counts = [select(func.count()).select_from(
        select(literal_column("1")).where(
            among_readable(dialect, s.collection_id), s.audience == audience,
            s.kind == SIGHTED, s.value == objects.c.id)
        .correlate(objects).limit(MOST_COUNTED + 1).subquery("counted")).scalar_subquery()
        for audience in (literal(EVERY_READER, String), bindparam("reader", type_=String))]
    return (counts[0] + counts[1]).label("sighted")


def one_per_id(rows: list[Any], limit: int) -> list[Any]:
    """The first row of each object id (rows come newest first), `limit` of them."""
    seen: set[str] = set()
    kept: list[Any] = []
    for row in rows:
        if row.id not in seen and len(kept) < limit:
            seen.add(row.id)
            kept.append(row)
    return kept
