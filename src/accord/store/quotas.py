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

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from accord.store.engine import reading, writing
from accord.store.schema import objects, parties, party_storage, party_storage_freed
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
    write transaction, before they are written; raises OverQuota, counting nothing new, when
    they would take it past its quota (`acts_only`: past its quota and ACT_HEADROOM)."""
    if not versions:
        return
    s = party_storage.c
    # The party's row, locked until this transaction ends (PostgreSQL; SQLite's writer is
    # alone already): two hosts storing for one party at once cannot both slip under it.
    held = conn.execute(select(s.stored_bytes, s.quota_bytes)
                        .where(s.party_id == poster_id).with_for_update()).first()
    freed_bytes, freed_versions = _fold_in(conn, poster_id)
    if held is None:
        # The party's first version here: a row of its own (ON CONFLICT: another host's
        # first at the same moment). No quota is set for it yet: none is exceeded.
        upsert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        stmt = upsert(party_storage).values(party_id=poster_id, stored_bytes=added_bytes,
                                            versions=versions)
        conn.execute(stmt.on_conflict_do_update(index_elements=[s.party_id], set_={
            "stored_bytes": s.stored_bytes + added_bytes, "versions": s.versions + versions}))
        return
    stored = held.stored_bytes - freed_bytes
    limit = None if held.quota_bytes is None else \
        held.quota_bytes + (ACT_HEADROOM if acts_only else 0)
    over = limit is not None and stored + added_bytes > limit
    if freed_bytes or freed_versions or not over:
        conn.execute(update(party_storage).where(s.party_id == poster_id).values(
            stored_bytes=s.stored_bytes - freed_bytes + (0 if over else added_bytes),
            versions=s.versions - freed_versions + (0 if over else versions)))
    if over:
        name = conn.execute(select(parties.c.name).where(parties.c.id == poster_id)).scalar()
        quota = int(held.quota_bytes)
        raise OverQuota(_over(name or poster_id, stored, quota, added_bytes, versions),
                        party=name or poster_id, stored=stored, quota=quota)


def _fold_in(conn: Connection, poster_id: str) -> tuple[int, int]:
    """What removals gave back to `poster_id` since its row was last written, taken into it
    now that its row is held: (bytes, versions)."""
    f = party_storage_freed.c
    taken = conn.execute(delete(party_storage_freed).where(f.party_id == poster_id)
                         .returning(f.freed_bytes, f.versions)).all()
    return sum(int(b) for b, _ in taken), sum(int(v) for _, v in taken)


def release_in(conn: Connection, seqs: Sequence[int]) -> None:
    """Give back what the versions `seqs` hold to those who added them, in the transaction
    that removes them (before it does). Written beside their rows, not into them: a removal
    holds its collection's turn, and waiting for a party's row there would cross a storing
    transaction that holds the party's row and waits for that turn (PostgreSQL would end
    one of them as a deadlock). The next charge of the party takes it into its row."""
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
        conn.execute(insert(party_storage_freed), [
            {"party_id": poster, "freed_bytes": size, "versions": count}
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
        s, f = party_storage.c, party_storage_freed.c
        with reading(self.engine) as conn:
            rows = conn.execute(select(party_storage).where(s.party_id.in_(wanted))).all()
            # What removals gave back, not yet taken into the rows (release_in).
            freed = {party: (int(size), int(count)) for party, size, count in conn.execute(
                select(f.party_id, func.sum(f.freed_bytes), func.sum(f.versions))
                .where(f.party_id.in_(wanted)).group_by(f.party_id))}
        return {r.party_id: Storage(r.party_id,
                                    int(r.stored_bytes) - freed.get(r.party_id, (0, 0))[0],
                                    int(r.versions) - freed.get(r.party_id, (0, 0))[1],
                                    None if r.quota_bytes is None else int(r.quota_bytes))
                for r in rows}

    def set_quota(self, party_id: str, quota_bytes: int | None) -> Storage:
        """Set (None: lift) the party's quota; what it already holds stays, even past it."""
        if quota_bytes is not None and not 0 <= quota_bytes <= MOST_QUOTA:
            raise ValueError(f"a quota is a number of bytes from 0 to {MOST_QUOTA:,} "
                             f"(not {quota_bytes:,})")
        s = party_storage.c
        with writing(self.engine) as conn:
            upsert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
            stmt = upsert(party_storage).values(party_id=party_id, stored_bytes=0, versions=0,
                                                quota_bytes=quota_bytes)
            conn.execute(stmt.on_conflict_do_update(index_elements=[s.party_id],
                                                    set_={"quota_bytes": quota_bytes}))
        return self.of([party_id])[party_id]


def move_quota_in(conn: Connection, old_id: str, new_id: str) -> None:
    """A party that takes a peer's identity keeps its quota under its new id. What it stored
    stays counted under the id it stored it as (objects keep their poster_id)."""
    s = party_storage.c
    quota = conn.execute(select(s.quota_bytes).where(s.party_id == old_id)).scalar()
    if quota is None:
        return
    upsert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(upsert(party_storage).values(
        party_id=new_id, stored_bytes=0, versions=0, quota_bytes=quota
    ).on_conflict_do_update(index_elements=[s.party_id], set_={"quota_bytes": quota}))
