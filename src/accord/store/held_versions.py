"""What a collection already holds of the objects arriving: the versions a new one is decided
against (ObjectStore.add_in), their markings, who created the same ids elsewhere on the node,
and which of the ids named are parties here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import orjson
from sqlalchemy import Connection, select

from accord.store.bulk import among
from accord.store.new_versions import NewVersion
from accord.store.schema import collections, objects, parties, recipients
from accord.trust.markings import MarkedVersion, Tlp
from accord.trust.ownership import Holding


@dataclass(slots=True)
class HeldVersion:
    id: str
    version: str
    version_key: str
    is_latest: bool
    body: bytes
    seq: int | None  # None for a row this call is adding
    marking: MarkedVersion
    insert: NewVersion | None = None  # the pending insert of a row this call is adding


def held_in(conn: Connection, collection_id: str, ids: Iterable[str]
            ) -> dict[str, dict[str, HeldVersion]]:
    """Every version the collection holds of each of `ids`, by version key, with its
    marking (and its recipients, beyond AMBER)."""
    found: dict[str, dict[str, HeldVersion]] = {}
    for condition in among(conn, objects.c.id, list(ids)):
        rows = conn.execute(
            select(objects.c.seq, objects.c.id, objects.c.version, objects.c.version_key,
                   objects.c.is_latest, objects.c.body, objects.c.tlp, objects.c.creator_id,
                   objects.c.poster_id)
            .where(objects.c.collection_id == collection_id, condition)
        )
        for seq, oid, version, key, is_latest, body, tlp, creator, poster in rows:
            level = None if tlp is None else Tlp(tlp)
            found.setdefault(oid, {})[key] = HeldVersion(
                oid, version, key, bool(is_latest), bytes(body), seq,
                MarkedVersion(level, creator, poster))
    addressed = {r.seq: r for versions in found.values() for r in versions.values()
                 if r.marking.level is not None and r.marking.level > Tlp.AMBER}
    if addressed:
        for seq, party in conn.execute(select(recipients.c.seq, recipients.c.party_id)
                                       .where(recipients.c.seq.in_(list(addressed)))):
            row = addressed[seq]
            row.marking = replace(row.marking, recipients=row.marking.recipients | {party})
    return found


def creators_elsewhere(conn: Connection, collection_id: str, ids: list[str]
                       ) -> dict[str, set[str]]:
    """Who created each of `ids` in the node's other collections (none: not there)."""
    if not ids:
        return {}
    others = [c for c in conn.execute(select(collections.c.id)).scalars()
              if c != collection_id]
    found: dict[str, set[str]] = {}
    # By collection and id: the unique index's order, where a look-up by id alone would
    # have no index to use.
    for condition in among(conn, objects.c.id, ids) if others else ():
        for oid, creator in conn.execute(
                select(objects.c.id, objects.c.creator_id).distinct()
                .where(objects.c.collection_id.in_(others), condition,
                       objects.c.creator_id.is_not(None))):
            found.setdefault(oid, set()).add(creator)
    return found


def parties_among(conn: Connection, ids: set[str]) -> frozenset[str]:
    """Which of `ids` are parties of this node (trust.ownership)."""
    found: set[str] = set()
    for condition in among(conn, parties.c.id, sorted(ids)):  # often none: then no query
        found.update(conn.execute(select(parties.c.id).where(condition)).scalars())
    return frozenset(found)


def holding(versions: dict[str, HeldVersion], latest: HeldVersion | None) -> Holding | None:
    """The object as the collection holds it: its creator, and who first put it there."""
    if latest is None:
        return None
    first = min(versions.values(), key=lambda r: (r.seq is None, r.seq or 0))
    return Holding(latest.marking.creator, first.marking.poster)


def same_content(stored: bytes, body: bytes) -> bool:
    """Whether a body sent is the version stored: byte equality is the fast path; key order
    alone must not make a re-post a conflict."""
    if stored == body:
        return True
    before, now = orjson.loads(stored), orjson.loads(body)
    if before == now:
        return True
    # Nor a signature made with another key of its creator's node (it rotated since): the
    # same content is the same version. Only what passed verification reaches the store.
    from accord.federation.signing import unsigned

    return unsigned(before) == unsigned(now)
