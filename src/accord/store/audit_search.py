"""Searching the audit trail: the newest records that meet an auditor's criteria, a page at a
time, and no more than WALKED records looked at by one search.

The trail is the largest table of a busy node: every read is a record, tens of millions a
month at a few hundred reads a second. So a search is driven by the most telling criterion
that has an index of its own: the object (audit_objects), the person (the records of each of
their tokens, merged), the action or family of actions (each action's records, merged), the
time (when few records fall in it), the party, the collection; failing all, the trail
itself, newest first. The driver's records are read newest first, a chunk at a time; the
other criteria sift them. Where a search has looked at WALKED records without filling its
page, it stops and says where (`AuditPage.next_before`, `stopped`): the auditor goes on below
that record, and no one request reads the whole trail to find that nothing older matches.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    LargeBinary,
    and_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.elements import TextClause

from accord.store.audit_rows import read_field, record_of
from accord.store.bulk import among
from accord.store.schema import audit, audit_indexed, audit_objects, tokens
from accord.trust.audit import Record

# Records one search looks at, at most: a few hundred milliseconds on either backend.
WALKED = 100_000
# Index entries read at a time: as many as the page asks for first, then four times more
# each time the other criteria left too few; records asked for by seq in one statement.
_CHUNK = 4000
_SEQS_A_STATEMENT = 2000
# Records of a time range gathered from the time index at once, at most (else time sifts).
_GATHERED = 10_000
# Index ranges merged by one statement (SQLite allows 500 terms of a compound SELECT).
_BRANCHES = 100
# The distinct actions on the trail are a few dozen (the code writes them): more than this
# many are not sought one by one.
_MOST_ACTIONS = 200
# What an index row's list of records may hold: numbers, comma-separated.
_LIST = re.compile(r"[0-9]+(,[0-9]+)*")


@dataclass(frozen=True, slots=True)
class AuditQuery:
    party_id: str | None = None
    person_id: str | None = None  # records made with any token of this person
    object_id: str | None = None
    action: str | None = None  # "auth" also matches auth.refused, auth.throttled, ...
    since: str | None = None  # inclusive STIX timestamps
    until: str | None = None
    limit: int = 100
    before: int | None = None  # only records older than this one (its seq): the next page
    collection_id: str | None = None  # records of reads and writes of this collection


@dataclass(frozen=True, slots=True)
class AuditPage:
    """A page of matching records, newest first, and where to go on from: `next_before` is
    the seq below which more may match (the page's last record when it is full; where the
    search stopped, with `stopped`, when it looked at WALKED records first), None when no
    older record matches."""

    records: list[Record]
    next_before: int | None
    stopped: bool = False
    looked: int = 0  # the driver's records looked at


# Up to `count` seqs of a driver's records below `below`, newest first, and whether there
# are no more.
Seek = Callable[[Connection, int, int], tuple[list[int], bool]]


@dataclass(frozen=True, slots=True)
class Driver:
    """What drives a search: how its records are sought, and, where they are one range of an
    index in seq order (a party's, an action's, the trail's own), the condition of that range:
    the records between two of its seqs are then read by the range itself, sifted by the
    database, instead of asked for by seq (a third of the time for what a search sifts)."""

    seek: Seek
    range: ColumnElement[bool] | None = None


def search(conn: Connection, query: AuditQuery, *, walked: int | None = None) -> AuditPage:
    """The newest `query.limit` records below `query.before` that meet every criterion, at
    most `walked` (WALKED) of the driver's records looked at."""
    walked = WALKED if walked is None else walked
    if query.limit < 1:
        return AuditPage([], None)
    if query.before is not None:
        below = query.before
    else:
        # Pinned: records appended while the search runs are not half seen (the pages after
        # this one go on from a seq, and every record below a seen one is already there).
        below = (conn.execute(select(func.max(audit.c.seq))).scalar() or 0) + 1
    drivers = _drivers(conn, query, below)
    if len(drivers) == 1 and drivers[0][0].range is not None and not drivers[0][1]:
        return _one_range(conn, drivers[0][0].range, below, query.limit)
    chunk = min(query.limit, _CHUNK, walked)
    driver, sifted, (seqs, exhausted) = _choose(conn, drivers, below, chunk)
    found: list[Record] = []
    looked = 0
    while True:
        looked += len(seqs)
        wanted = query.limit - len(found)
        if not sifted:
            seqs = seqs[:wanted]  # every one matches: the newest will do
        found += _records(conn, driver, below, seqs, sifted, wanted)
        if len(found) >= query.limit:
            return AuditPage(found, _older_than(found[-1].seq), looked=looked)
        if exhausted or not seqs or seqs[-1] <= 1:  # nothing older than record 1
            return AuditPage(found, None, looked=looked)
        below = seqs[-1]
        if looked >= walked:
            return AuditPage(found, below, stopped=True, looked=looked)
        chunk = min(chunk * 4, _CHUNK)
        seqs, exhausted = driver.seek(conn, below, min(chunk, walked - looked))


Sifted = list[ColumnElement[bool]]


def _one_range(conn: Connection, range_: ColumnElement[bool], below: int, limit: int
               ) -> AuditPage:
    """Where every record of one index range matches (the newest; a party's; one action's),
    the page is the range's newest `limit` below `below`: one statement, `limit` rows."""
    found = [record_of(row) for row in conn.execute(
        select(audit).where(range_, audit.c.seq < below)
        .order_by(audit.c.seq.desc()).limit(limit))]
    full = len(found) == limit
    return AuditPage(found, _older_than(found[-1].seq) if full else None, looked=len(found))


def _choose(conn: Connection, drivers: list[tuple[Driver, Sifted]], below: int, chunk: int
            ) -> tuple[Driver, Sifted, tuple[list[int], bool]]:
    """Of several criteria with an index each, the one whose first chunk of records reaches
    furthest back (the fewest records, for all the search can tell without counting them):
    a party's records in a trail of another's reads, not every read to sift by party. One
    that has no more than its first chunk is taken at once."""
    probed: list[tuple[tuple[int, int], int, tuple[Driver, Sifted, tuple[list[int], bool]]]] = []
    for driver, sifted in drivers:
        seqs, exhausted = driver.seek(conn, below, chunk)
        if exhausted and not seqs:  # nothing matches
            return driver, sifted, (seqs, exhausted)
        # Whole first: the fewest; then the furthest back (a full chunk is never empty).
        rank = (0, len(seqs)) if exhausted else (1, seqs[-1])
        probed.append((rank, len(probed), (driver, sifted, (seqs, exhausted))))
    return min(probed)[2]


def record_number(text: str) -> int | None:
    """A record's seq as a caller wrote it (a page's `before`), or None when `text` is not
    one: decimal digits, 1 to 2**31 - 1, checked by length before it is read as a number."""
    if not (text.isascii() and text.isdecimal() and len(text) <= 10):
        return None
    seq = int(text)
    return seq if 0 < seq < 2**31 else None


def _older_than(seq: int) -> int | None:
    """Where the page after one ending at record `seq` begins: none after the first record."""
    return seq if seq > 1 else None


def _records(conn: Connection, driver: Driver, below: int, seqs: Sequence[int],
             sifted: Sifted, wanted: int) -> list[Record]:
    """The newest `wanted` of the records `seqs` (newest first, below `below`) that meet
    `sifted`."""
    if driver.range is not None and sifted and seqs:
        return [record_of(row) for row in conn.execute(
            select(audit).where(driver.range, audit.c.seq < below, audit.c.seq >= seqs[-1],
                                *sifted)
            .order_by(audit.c.seq.desc()).limit(wanted))]
    found: list[Record] = []
    for start in range(0, len(seqs), _SEQS_A_STATEMENT):
        for among_seqs in among(conn, audit.c.seq, seqs[start:start + _SEQS_A_STATEMENT]):
            found += [record_of(row) for row in conn.execute(
                select(audit).where(among_seqs, *sifted)
                .order_by(audit.c.seq.desc()).limit(wanted - len(found)))]
            if len(found) >= wanted:
                return found
    return found


def _drivers(conn: Connection, query: AuditQuery, below: int) -> list[tuple[Driver, Sifted]]:
    """Each criterion that has an index to drive the search, with the conditions that then
    sift the rest; the object's index always drives (a record's objects are listed, not a
    column to sift by), and with no criterion at all, the trail itself. Only what can drive
    is looked up (a person's tokens, the actions of a family, a time range's records)."""
    times = _times(query)
    party = [audit.c.party_id == query.party_id] if query.party_id is not None else []
    collection = ([audit.c.collection_id == query.collection_id]
                  if query.collection_id is not None else [])
    action = [_of_action(query.action)] if query.action is not None else []
    person = _of_person(query)
    if query.object_id is not None:
        return [(_naming(query.object_id), person + action + party + collection + times)]
    criteria: list[tuple[Driver | None, Sifted]] = []
    if query.person_id is not None:
        held = list(conn.execute(select(tokens.c.id).where(
            tokens.c.person_id == query.person_id).order_by(tokens.c.id)
            .limit(_BRANCHES + 1)).scalars())
        criteria.append((_merged([audit.c.token_id == token for token in held])
                         if len(held) <= _BRANCHES else None, person))
    if query.action is not None:
        actions = _actions(conn, query.action)
        criteria.append((None if actions is None else
                         _merged([audit.c.action == name for name in actions]), action))
    if party:
        criteria.append((_merged(party), party))
    if collection:
        criteria.append((_merged(collection), collection))
    if times:
        criteria.append((_timed(conn, times, below), times))
    drivers = [(driver, [c for other, (_, conditions) in enumerate(criteria) if other != n
                         for c in conditions])
               for n, (driver, _) in enumerate(criteria) if driver is not None]
    every = [c for _, conditions in criteria for c in conditions]
    return drivers or [(_merged([true()]), every)]


def _merged(branches: list[ColumnElement[bool]]) -> Driver:
    """The records meeting any of `branches` (none: no record; `true()`: every record), each
    branch an index range in seq order, merged: a statement merges up to _BRANCHES, more are
    merged here."""

    def seqs(conn: Connection, below: int, count: int) -> tuple[list[int], bool]:
        parts = [list(conn.execute(_branches(conn.dialect.name,
                                             branches[start:start + _BRANCHES],
                                             below, count)).scalars())
                 for start in range(0, len(branches), _BRANCHES)]
        merged = list(islice(heapq.merge(*parts, reverse=True), count))
        return merged, len(merged) < count

    return Driver(seqs, branches[0] if len(branches) == 1 else None)


def _branches(dialect: str, branches: list[ColumnElement[bool]], below: int, count: int
              ) -> Any:
    """One statement: the newest `count` seqs below `below` meeting any of `branches`, each
    its own ordered index range. PostgreSQL merges them (Merge Append) only when each says its
    order; SQLite takes a compound's ORDER BY as a merge of its terms, each a subquery."""
    arms = [select(audit.c.seq).where(branch, audit.c.seq < below)
            .order_by(audit.c.seq.desc()).limit(count) for branch in branches]
    if len(arms) == 1:
        return arms[0]
    if dialect == "sqlite":
        subqueries = [arm.subquery() for arm in arms]
        arms = [select(sub.c.seq) for sub in subqueries]
    return union_all(*arms).order_by(literal_column("seq").desc()).limit(count)


def _actions(conn: Connection, action: str) -> list[str] | None:
    """The actions on the trail that `action` names: itself and its family (`action.…`).
    Every distinct action is found by one seek of the action index after the one before, in
    one statement (a few dozen: the code writes them); a prefix's range is not sought, as where
    "." and "/" sort depends on the database's collation. None when there are too many
    distinct actions to seek one by one (the search then sifts by action instead)."""
    found = list(conn.execute(_DISTINCT_ACTIONS, {"most": _MOST_ACTIONS + 1}).scalars())
    if len(found) > _MOST_ACTIONS:
        return None
    return [name for name in found if name == action or name.startswith(f"{action}.")]


# A loose index scan: each step the first action after the one before.
_DISTINCT_ACTIONS = text(
    "WITH RECURSIVE actions(action) AS ("
    " SELECT (SELECT action FROM audit ORDER BY action LIMIT 1)"
    " UNION ALL"
    " SELECT (SELECT a.action FROM audit a WHERE a.action > actions.action"
    " ORDER BY a.action LIMIT 1) FROM actions WHERE actions.action IS NOT NULL)"
    " SELECT action FROM actions WHERE action IS NOT NULL LIMIT :most")


def _timed(conn: Connection, times: Sifted, below: int) -> Driver | None:
    """The records of the time range below `below` when no more than _GATHERED fall in it:
    all gathered at once (the time index gives them in time order, not the trail's: sorted
    here); None when more do (the search then sifts by time)."""
    rows = conn.execute(select(audit.c.seq).where(*times, audit.c.seq < below)
                        .limit(_GATHERED + 1)).scalars().all()
    if len(rows) > _GATHERED:
        return None
    held = sorted(rows, reverse=True)

    def seqs(conn: Connection, below: int, count: int) -> tuple[list[int], bool]:
        kept = [seq for seq in held if seq < below][:count]
        return kept, len(kept) < count

    return Driver(seqs)


def _naming(object_id: str) -> Driver:
    """The records naming the object, newest first: those after the index's mark (migration
    0035: not indexed yet, a few seconds' worth) from the records themselves, then the rest
    from its index rows newest first. Each index row names its first record and lists the
    later ones of the same batch (up to LISTED_A_ROW), so a row's records are all newer than
    the rows after it. Rows are read a few at first, more each time, and no further than
    `count` records need: a row lists up to a thousand."""

    def seqs(conn: Connection, below: int, count: int) -> tuple[list[int], bool]:
        # One mark for both parts: a batch indexed between them would give its records twice.
        through = indexed_through(conn)
        found = tail_naming(conn, [object_id], below, count, through=through).get(object_id, [])
        if len(found) >= count:
            return found[:count], False
        rows_at_once = min(count, 16)
        under = min(below, through + 1)  # a row's first record: its batch's, all ≤ the mark
        while True:
            rows = conn.execute(select(audit_objects.c.seq, audit_objects.c.also)
                                .where(naming(conn.dialect.name, object_id),
                                       audit_objects.c.seq < under)
                                .order_by(audit_objects.c.seq.desc())
                                .limit(rows_at_once)).all()
            for first, also in rows:
                found += [seq for seq in reversed(listed_seqs(first, also)) if seq < below]
                if len(found) >= count:
                    # The rest of a row cut short is read again with it, from below the
                    # last seq handed on.
                    return found[:count], False
            if len(rows) < rows_at_once:
                return found, True
            under = rows[-1].seq
            rows_at_once = min(rows_at_once * 4, count)

    return Driver(seqs)


# Records after the index's mark that a read looks through itself, at most: past it, the
# index is brought up first (store.audit_log.AuditLog.search). Its batches run every 5 s.
TAIL_READ = 100_000


def indexed_through(conn: Connection) -> int:
    """The last record the index of objects holds (audit_indexed, migration 0035)."""
    return int(conn.execute(select(audit_indexed.c.through)).scalar() or 0)


def tail_naming(conn: Connection, object_ids: Sequence[str], below: int | None = None,
                count: int | None = None, *, action: str | None = None,
                through: int | None = None) -> dict[str, list[int]]:
    """The records after the index's mark (`through`, else read now; and below `below`)
    that name each of `object_ids`, newest first (at most `count` each when given; of
    `action` alone when given), read from the records: what the index does not hold yet."""
    if through is None:
        through = indexed_through(conn)
    if below is not None and below <= through + 1 or not object_ids:
        return {}
    wanted = set(object_ids)
    where: list[ColumnElement[bool] | TextClause] = [audit.c.seq > through]
    if below is not None:
        where.append(audit.c.seq < below)
    if action is not None:
        where.append(audit.c.action == action)
    if len(wanted) == 1:  # the database keeps what names it, whatever else the tail holds
        [only] = wanted
        needle = orjson.dumps(only)  # as the record's JSON list writes it
        where.append(func.instr(audit.c.object_ids, needle) > 0 if conn.dialect.name == "sqlite"
                     else text("position(CAST(:needle AS bytea) IN audit.object_ids) > 0")
                     .bindparams(bindparam("needle", needle, type_=LargeBinary)))
    found: dict[str, list[int]] = {}
    query = select(audit.c.seq, audit.c.object_ids).where(*where).order_by(audit.c.seq.desc())
    for seq, listed in conn.execute(query):
        ids = read_field(listed)
        for oid in wanted.intersection(ids if isinstance(ids, list) else ()):
            seqs = found.setdefault(oid, [])
            if count is None or len(seqs) < count:
                seqs.append(int(seq))
        if count is not None and len(found) == len(wanted) \
                and all(len(v) >= count for v in found.values()):
            break
    return found


def _times(query: AuditQuery) -> list[ColumnElement[bool]]:
    times = []
    if query.since is not None:
        times.append(audit.c.at >= query.since)
    if query.until is not None:
        times.append(audit.c.at <= query.until)
    return times


def _of_action(action: str) -> ColumnElement[bool]:
    """The action or one of its family, case and all (SQLite's LIKE would ignore ASCII case,
    where the actions the index drives by do not)."""
    family = f"{action}."
    return or_(audit.c.action == action,
               func.substr(audit.c.action, 1, len(family)) == family)


def _of_person(query: AuditQuery) -> list[ColumnElement[bool]]:
    if query.person_id is None:
        return []
    return [audit.c.token_id.in_(select(tokens.c.id).where(
        tokens.c.person_id == query.person_id))]


def naming(dialect: str, object_id: str) -> ColumnElement[bool]:
    """The audit_objects rows of this object. PostgreSQL finds them by the hash of the id
    its index is keyed by (migration 0026), then matches the id itself: a hash may
    collide."""
    named = audit_objects.c.object_id == object_id
    if dialect == "sqlite":
        return named
    return and_(hashed(audit_objects.c.object_id) == hashed(object_id), named)


def hashed(value: Any) -> ColumnElement[int]:
    # The seed written into the statement, as in the index's expression: a bound seed would
    # not be the same expression to the planner, which would then read the whole table.
    return func.hashtextextended(value, literal_column("0"))


def listed_seqs(first: int, also: str | None, *, strict: bool = False,
                at_most: int | None = None) -> list[int]:
    """The records an index row names, in order: its first, then those it lists (`at_most`:
    no more than that many). A list that is not one of later records (only a hand in the
    database makes one) is ignored, or with `strict` (`accord db check`) a ValueError."""
    if not also:
        return [int(first)]
    if strict and not _LIST.fullmatch(also):
        raise ValueError(f"index row of record {first} lists {also[:40]!r}")
    parts = also.split(",", at_most) if at_most else also.split(",")
    try:
        later = [int(part) for part in parts[:at_most - 1 if at_most else None]]
    except ValueError:
        if strict:
            raise
        return [int(first)]
    if any(b <= a for a, b in zip([first, *later], later, strict=False)):
        if strict:
            raise ValueError(f"index row of record {first} lists records out of order")
        return [int(first)]
    return [int(first), *later]
