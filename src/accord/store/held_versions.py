"""What a collection already holds of the objects arriving: the versions a new one is decided
against (ObjectStore.add_in), their markings, who created the same ids elsewhere on the node,
and which of the ids named are parties here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import orjson
from sqlalchemy import Connection, select

from accord.stix.timestamps import sort_key
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
    body: bytes | None  # None: not read, as nothing arriving is compared with it
    seq: int | None  # None for a row this call is adding
    marking: MarkedVersion
    insert: NewVersion | None = None  # the pending insert of a row this call is adding

    @property
    def content(self) -> bytes:
        if self.body is None:
            raise LookupError(f"the body of {self.id} {self.version} was not read")
        return self.body


def version_of(obj: dict[str, Any]) -> str | None:
    """TAXII 2.1 §3.4.1: an object's version is `modified`, else `created` (else date_added)."""
    return obj.get("modified") or obj.get("created")


def held_in(conn: Connection, collection_id: str, incoming: Sequence[dict[str, Any]]
            ) -> dict[str, dict[str, HeldVersion]]:
    """Every version the collection holds of each object arriving, by version key, with its
    marking (and its recipients, beyond AMBER); and the bodies an arrival is compared with."""
    found: dict[str, dict[str, HeldVersion]] = {}
    for condition in among(conn, objects.c.id, sorted({o["id"] for o in incoming})):
        rows = conn.execute(
            select(objects.c.seq, objects.c.id, objects.c.version, objects.c.version_key,
                   objects.c.is_latest, objects.c.tlp, objects.c.creator_id, objects.c.poster_id)
            .where(objects.c.collection_id == collection_id, condition)
        )
        for seq, oid, version, key, is_latest, tlp, creator, poster in rows:
            level = None if tlp is None else Tlp(tlp)
            found.setdefault(oid, {})[key] = HeldVersion(
                oid, version, key, bool(is_latest), None, seq,
                MarkedVersion(level, creator, poster))
    _read_bodies(conn, found, incoming)
    addressed = {r.seq: r for versions in found.values() for r in versions.values()
                 if r.marking.level is not None and r.marking.level > Tlp.AMBER}
    if addressed:
        for seq, party in conn.execute(select(recipients.c.seq, recipients.c.party_id)
                                       .where(recipients.c.seq.in_(list(addressed)))):
            row = addressed[seq]
            row.marking = replace(row.marking, recipients=row.marking.recipients | {party})
    return found


def _read_bodies(conn: Connection, found: dict[str, dict[str, HeldVersion]],
                 incoming: Sequence[dict[str, Any]]) -> None:
    """The bodies an arrival is compared with: the version with its own timestamp, or, for an
    object with none (most observables), every version of its id. Not the others: an object
    may hold up to a thousand versions, each up to the largest object's size."""
    wanted: dict[int, HeldVersion] = {}
    for obj in incoming:
        versions = found.get(obj["id"])
        if not versions:
            continue
        version = version_of(obj)
        if version is None:
            wanted.update((r.seq, r) for r in versions.values() if r.seq is not None)
        elif (same := versions.get(sort_key(version))) is not None and same.seq is not None:
            wanted[same.seq] = same
    for condition in among(conn, objects.c.seq, sorted(wanted)):
        for seq, body in conn.execute(select(objects.c.seq, objects.c.body).where(condition)):
            wanted[seq].body = bytes(body)


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
