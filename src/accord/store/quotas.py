"""What each party has stored on this node, and the most it may store: its quota.

A party with a write grant can send valid objects for as long as it likes, each request within
the server's bounds, until the disk is full and no party can store anything. A quota, set by
the node's administrator (`accord party quota`), stops that party alone: its new versions past
the quota are refused, with words that say how much it holds and of how much, and what it
already stored stays.

Counted: the body of every version a party added (over TAXII, through the desk, pulled from
its node) that is still stored, as stored. Not counted: what the node makes itself (receipts,
its own tooling's objects, which have no poster). A party's acts on requests may take it
ACT_HEADROOM past its quota: one that filled its quota with evidence must still be able to
acknowledge, answer and escalate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    union,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from accord.store.engine import is_sqlite, reading, writing
from accord.store.schema import objects, parties, party_storage, party_storage_changes
from accord.words import how_large

_CHUNK = 5_000  # seqs in one IN list
# How far a party's acts on requests (acknowledgements, status reports, responses,
# escalations, ratings, withdrawals, their receipts) may take it past its quota: thousands of
# acts, so that a party that filled its quota with evidence can still take part in the
# mechanism, and still a bound. Requests and translations are not acts: a party could make
# them without end.
ACT_HEADROOM = 16 * 2**20
MOST_QUOTA = 2**62  # bytes: what the column holds, with room for what is added to it


class OverQuota(Exception):
    """New versions that would take their poster past its quota: none of them was stored.
    `outcomes`: each object's, as the store would have answered with these refused."""

    def __init__(self, message: str, outcomes: Sequence[Any] = (), *, party: str = "",
                 stored: int = 0, quota: int = 0) -> None:
        super().__init__(message)
        self.outcomes = list(outcomes)
        self.party, self.stored, self.quota = party, stored, quota  # for words of its own


@dataclass(frozen=True, slots=True)
class Storage:
    """What one party holds on this node."""

    party_id: str
    stored_bytes: int
    versions: int
    quota_bytes: int | None


def charge_in(conn: Connection, poster_id: str, added_bytes: int, versions: int, *,
              acts_only: bool) -> None:
    """Count `versions` new versions of `added_bytes` against `poster_id`, in the caller's
    write transaction, before they are written; raises OverQuota, counting nothing, when
    they would take it past its quota (`acts_only`: past its quota and ACT_HEADROOM).

    Nothing here waits for another transaction: the addition is written as a row of its own
    (party_storage_changes), and taken into the party's row only when no other transaction
    holds that row (FOR UPDATE SKIP LOCKED). Holding the party's row until commit instead
    would make every write of one party wait for its others, on every host and in every
    collection (a long POST would hold up the party's acts). Two transactions storing for
    one party at once may each pass the check before the other commits: the quota can be
    passed by what is written at one moment, never more."""
    if not versions:
        return
    s, c = party_storage.c, party_storage_changes.c
    pending = select(func.coalesce(func.sum(c.changed_bytes), 0)).where(
        c.party_id == poster_id).scalar_subquery()
    # One statement, one snapshot: the row and the changes not yet taken into it.
    held = conn.execute(select(s.quota_bytes, (s.stored_bytes + pending).label("stored"))
                        .where(s.party_id == poster_id)).first()
    if held is None:  # a poster without a row (not a party here): its changes, no quota
        stored, quota = int(conn.execute(select(pending)).scalar() or 0), None
    else:
        stored, quota = int(held.stored), held.quota_bytes
    if quota is not None and stored + added_bytes > quota + (ACT_HEADROOM if acts_only else 0):
        name = conn.execute(select(parties.c.name).where(parties.c.id == poster_id)).scalar()
        raise OverQuota(_over(name or poster_id, stored, int(quota), added_bytes, versions),
                        party=name or poster_id, stored=stored, quota=int(quota))
    conn.execute(insert(party_storage_changes).values(
        party_id=poster_id, changed_bytes=added_bytes, versions=versions))
    if held is not None:
        _fold_in(conn, poster_id)


def _fold_in(conn: Connection, poster_id: str) -> None:
    """Take the party's changes into its row, unless another transaction holds the row (it
    is folding them itself, or setting the quota): then they wait for the next time. Keeps
    the changes a party has in waiting few, whatever it stores."""
    s, c = party_storage.c, party_storage_changes.c
    mine = conn.execute(select(s.party_id).where(s.party_id == poster_id)
                        .with_for_update(skip_locked=True)).first()
    if mine is None:
        return
    taken = conn.execute(delete(party_storage_changes).where(c.party_id == poster_id)
                         .returning(c.changed_bytes, c.versions)).all()
    if taken:
        conn.execute(update(party_storage).where(s.party_id == poster_id).values(
            stored_bytes=s.stored_bytes + sum(int(b) for b, _ in taken),
            versions=s.versions + sum(int(v) for _, v in taken)))


def release_in(conn: Connection, seqs: Sequence[int]) -> None:
    """Give back what the versions `seqs` hold to those who added them, in the transaction
    that removes them (before it does): as changes of their own, like additions, so that a
    removal waits for no party's row."""
    o = objects.c
    freed: dict[str, tuple[int, int]] = {}
    for start in range(0, len(seqs), _CHUNK):
        # length(): read from the value's header, not the value (megabytes, perhaps).
        for poster, size, count in conn.execute(
                select(o.poster_id, func.sum(func.length(o.body)), func.count())
                .where(o.seq.in_(seqs[start:start + _CHUNK]), o.poster_id.is_not(None))
                .group_by(o.poster_id)):
            was = freed.get(poster, (0, 0))
            freed[poster] = (was[0] + int(size or 0), was[1] + int(count))
    if freed:
        conn.execute(insert(party_storage_changes), [
            {"party_id": poster, "changed_bytes": -size, "versions": -count}
            for poster, (size, count) in sorted(freed.items())])


def _over(name: str, stored: int, quota: int, added: int, versions: int) -> str:
    return (f"over quota: {name} holds {how_large(stored)} on this node, of its "
            f"quota of {how_large(quota)}; these {versions:,} new version(s) "
            f"({how_large(added)}) would pass it, so none of them was stored. Delete what is "
            "no longer needed, or ask the node's administrator for a larger quota")


class Quotas:
    """The administrator's view: each party's storage, and setting its quota."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def of(self, party_ids: Iterable[str]) -> dict[str, Storage]:
        wanted = sorted(set(party_ids))
        if not wanted:
            return {}
        s, c = party_storage.c, party_storage_changes.c
        with reading(self.engine) as conn:
            rows = {r.party_id: r for r in conn.execute(
                select(party_storage).where(s.party_id.in_(wanted)))}
            # The changes not yet taken into the rows (charge_in, release_in).
            changes = {party: (int(size), int(count)) for party, size, count in conn.execute(
                select(c.party_id, func.sum(c.changed_bytes), func.sum(c.versions))
                .where(c.party_id.in_(wanted)).group_by(c.party_id))}
        found: dict[str, Storage] = {}
        for party in sorted(rows.keys() | changes.keys()):
            row, (size, count) = rows.get(party), changes.get(party, (0, 0))
            found[party] = Storage(
                party, size + (int(row.stored_bytes) if row else 0),
                count + (int(row.versions) if row else 0),
                None if row is None or row.quota_bytes is None else int(row.quota_bytes))
        return found

    def set_quota(self, party_id: str, quota_bytes: int | None) -> Storage:
        """Set (None: lift) the party's quota; what it already holds stays, even past it."""
        if quota_bytes is not None and not 0 <= quota_bytes <= MOST_QUOTA:
            raise ValueError(f"a quota is a number of bytes from 0 to {MOST_QUOTA:,} "
                             f"(not {quota_bytes:,})")
        with writing(self.engine) as conn:
            _set_quota_in(conn, party_id, quota_bytes)
        return self.of([party_id])[party_id]


def move_storage_in(conn: Connection, old_id: str, new_id: str) -> None:
    """A party that takes a peer's identity (Directory.pin_party, which also gives its
    versions the new id as their poster) keeps its count and quota: they move to the new id's
    row, made in the same transaction."""
    s, c = party_storage.c, party_storage_changes.c
    old = conn.execute(select(s.quota_bytes, s.stored_bytes, s.versions)
                       .where(s.party_id == old_id)).first()
    conn.execute(update(party_storage_changes).where(c.party_id == old_id)
                 .values(party_id=new_id))
    if old is None:
        return
    conn.execute(update(party_storage).where(s.party_id == new_id).values(
        quota_bytes=old.quota_bytes, stored_bytes=s.stored_bytes + old.stored_bytes,
        versions=s.versions + old.versions))
    conn.execute(delete(party_storage).where(s.party_id == old_id))


def open_storage_in(conn: Connection, party_id: str) -> None:
    """A new party's row, in the transaction that makes the party: what it stores is taken
    into it (charge_in), and no first addition has to make it while others wait."""
    conn.execute(_row(conn, party_id).on_conflict_do_nothing(
        index_elements=[party_storage.c.party_id]))


def _set_quota_in(conn: Connection, party_id: str, quota_bytes: int | None) -> None:
    conn.execute(_row(conn, party_id, quota_bytes).on_conflict_do_update(
        index_elements=[party_storage.c.party_id], set_={"quota_bytes": quota_bytes}))


def _row(conn: Connection, party_id: str, quota_bytes: int | None = None) -> Any:
    """The insert of a party's row holding nothing yet, in the dialect's own words (each has
    its ON CONFLICT)."""
    dialect = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    return dialect(party_storage).values(party_id=party_id, stored_bytes=0, versions=0,
                                         quota_bytes=quota_bytes)


@dataclass(frozen=True, slots=True)
class Recount:
    """One poster's storage as counted (its row and changes in waiting) and as its stored
    versions hold it."""

    party_id: str
    name: str | None  # None: the poster is no party here
    counted_bytes: int
    counted_versions: int
    held_bytes: int
    held_versions: int

    @property
    def shown(self) -> str:
        """'China (identity--…)', or the id alone for a poster that is no party."""
        return f"{self.name} ({self.party_id})" if self.name else self.party_id

    @property
    def agrees(self) -> bool:
        return (self.counted_bytes, self.counted_versions) == (self.held_bytes,
                                                               self.held_versions)


def counts_apart(engine: Engine) -> list[Recount]:
    """Every poster whose counted storage differs from what its versions hold ([]: none).
    Reads every version's length (not its body), in one snapshot: writes running meanwhile
    cannot show up as differences. `accord db check --thorough`."""
    with engine.connect().execution_options(accord_snapshot=True) as conn, conn.begin():
        if not is_sqlite(engine):
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        return [r for r in _recounts(conn) if not r.agrees]


def recount(engine: Engine) -> list[Recount]:
    """Set every poster's counted storage to what its versions hold; returns those that were
    apart, as they were. On PostgreSQL the rows are locked first, so writes by any party wait
    for the recount to commit (it reads every version's length: seconds at millions); what
    was written but not committed when it began is counted by its own change rows, as
    always. `accord db recount-storage`."""
    with writing(engine) as conn:
        if not is_sqlite(engine):
            # The lock before the snapshot: no fold is under way or begins in this one, and
            # what this transaction reads is what every fold before it left.
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            conn.execute(text("LOCK TABLE party_storage IN EXCLUSIVE MODE"))
        counts = _recounts(conn)
        conn.execute(delete(party_storage_changes))
        s = party_storage.c
        has_row = set(conn.execute(select(s.party_id)).scalars())
        for r in counts:
            if r.party_id in has_row:
                conn.execute(update(party_storage).where(s.party_id == r.party_id).values(
                    stored_bytes=r.held_bytes, versions=r.held_versions))
            elif r.held_versions:  # a poster with no row (not a party here): its changes
                conn.execute(insert(party_storage_changes).values(
                    party_id=r.party_id, changed_bytes=r.held_bytes,
                    versions=r.held_versions))
        return [r for r in counts if not r.agrees]


def _recounts(conn: Connection) -> list[Recount]:
    o, s, c = objects.c, party_storage.c, party_storage_changes.c
    held = select(o.poster_id.label("party"), func.sum(func.length(o.body)).label("size"),
                  func.count().label("count")).where(o.poster_id.is_not(None)).group_by(
                      o.poster_id).subquery()
    pending = select(c.party_id.label("party"), func.sum(c.changed_bytes).label("size"),
                     func.sum(c.versions).label("count")).group_by(c.party_id).subquery()
    everyone = union(select(held.c.party), select(pending.c.party),
                     select(s.party_id.label("party"))).subquery()
    zero = literal(0)
    rows = conn.execute(
        select(everyone.c.party, parties.c.name,
               func.coalesce(s.stored_bytes, zero) + func.coalesce(pending.c.size, zero),
               func.coalesce(s.versions, zero) + func.coalesce(pending.c.count, zero),
               func.coalesce(held.c.size, zero), func.coalesce(held.c.count, zero))
        .select_from(everyone.outerjoin(party_storage, s.party_id == everyone.c.party)
                     .outerjoin(pending, pending.c.party == everyone.c.party)
                     .outerjoin(held, held.c.party == everyone.c.party)
                     .outerjoin(parties, parties.c.id == everyone.c.party))
        .order_by(everyone.c.party))
    return [Recount(str(party), name, int(cb), int(cv), int(hb), int(hv))
            for party, name, cb, cv, hb, hv in rows]
