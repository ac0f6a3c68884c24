"""Signing keys as stored rows: every key this node has had, and every key of each peer that
this node has pinned, with their dates. Writes take the caller's transaction (`*_in`), so a
change of key is stored with what goes with it (the audit record, re-signed objects) or not
at all."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, select, update

from accord.stix.timestamps import sort_key
from accord.store.schema import node_keys, objects, peer_keys, peers, settings

_CHUNK = 500

SIGNING_KEY = "signing_key"  # setting: the private half of the current key, base64


class KeyChanged(Exception):
    """The key changed meanwhile (another rotation, or a round that followed the peer's):
    nothing was changed; look again."""


@dataclass(frozen=True, slots=True)
class OwnKey:
    fingerprint: str
    public_key: str
    created: str
    retired: str | None
    compromised_from: str | None
    announcement: dict[str, Any] | None

    @property
    def status(self) -> str:
        if self.compromised_from is not None:
            return "compromised"
        return "retired" if self.retired else "current"


@dataclass(frozen=True, slots=True)
class PeerKey:
    peer: str
    fingerprint: str
    public_key: str
    pinned: str
    how: str  # added (`peer add`), announced (followed at a round), repinned (`peer rekey`)
    retired: str | None
    revoked_from: str | None
    announcement: dict[str, Any] | None

    @property
    def status(self) -> str:
        if self.revoked_from is not None:
            return "revoked"
        return "retired" if self.retired else "current"


@dataclass(frozen=True, slots=True)
class SignedVersion:
    """A stored version of an object some party created, as a change of key looks at it."""

    seq: int
    collection_id: str
    id: str
    version: str
    version_key: str
    body: bytes


def _json(value: bytes | None) -> dict[str, Any] | None:
    return None if value is None else dict(orjson.loads(value))


class Keyring:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- this node's keys --------------------------------------------------------------------

    def own(self) -> list[OwnKey]:
        """Every key this node has had, oldest first (the current one last)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(node_keys)).all()
        found = [OwnKey(r.fingerprint, r.public_key, r.created, r.retired, r.compromised_from,
                        _json(r.announcement)) for r in rows]
        return sorted(found, key=lambda k: (k.retired is None, k.created))

    @staticmethod
    def private_in(conn: Connection) -> str | None:
        return conn.execute(select(settings.c.value)
                            .where(settings.c.key == SIGNING_KEY)).scalar()

    @staticmethod
    def make_first_in(conn: Connection, private: str, fingerprint: str, public_key: str,
                      created: str) -> None:
        """The node's first key (the caller saw none)."""
        conn.execute(settings.insert().values(key=SIGNING_KEY, value=private))
        conn.execute(node_keys.insert().values(fingerprint=fingerprint, public_key=public_key,
                                               created=created))

    @staticmethod
    def replace_in(conn: Connection, old_private: str, new_private: str, new: OwnKey,
                   compromised_from: str | None) -> None:
        """Sign with `new` from now on; the current key is retired at `new.created` (and
        marked stolen from `compromised_from`, if given). Raises KeyChanged if the current
        key is not `old_private` any more (another rotation won)."""
        swapped = conn.execute(update(settings).where(
            settings.c.key == SIGNING_KEY, settings.c.value == old_private
        ).values(value=new_private))
        if swapped.rowcount != 1:
            raise KeyChanged("the node's key changed meanwhile (another rotation?)")
        conn.execute(update(node_keys).where(node_keys.c.retired.is_(None)).values(
            retired=new.created, compromised_from=compromised_from))
        conn.execute(node_keys.insert().values(
            fingerprint=new.fingerprint, public_key=new.public_key, created=new.created,
            announcement=None if new.announcement is None else orjson.dumps(new.announcement)))

    # -- peers' keys -------------------------------------------------------------------------

    def of_peer(self, name: str) -> list[PeerKey]:
        """Every key of the peer pinned here, in the order they were pinned."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(peer_keys).where(peer_keys.c.peer == name)).all()
        found = [PeerKey(r.peer, r.fingerprint, r.public_key, r.pinned, r.how, r.retired,
                         r.revoked_from, _json(r.announcement)) for r in rows]
        return sorted(found, key=lambda k: (k.retired is None, k.pinned))

    def of_parties(self) -> dict[str, list[tuple[str, str | None]]]:
        """Each peer's party id -> its keys pinned here: (public key, revoked from)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(peers.c.party_id, peers.c.public_key,
                                       peer_keys.c.public_key.label("known"),
                                       peer_keys.c.revoked_from)
                                .select_from(peers.outerjoin(
                                    peer_keys, peer_keys.c.peer == peers.c.name))).all()
        found: dict[str, dict[str, str | None]] = {}
        for party, current, known, revoked_from in rows:
            keys = found.setdefault(party, {})
            keys.setdefault(current, None)  # the pin counts even before its row exists
            if known is not None:
                keys[known] = revoked_from
        return {party: list(keys.items()) for party, keys in found.items()}

    @staticmethod
    def pin_in(conn: Connection, peer: str, expected: str | None, key: PeerKey) -> None:
        """Make `key` the peer's pinned key, the one pinned before retired at `key.pinned`.
        Raises KeyChanged if the pin is not `expected` any more (None: whatever it is)."""
        change = update(peers).where(peers.c.name == peer)
        if expected is not None:
            change = change.where(peers.c.public_key == expected)
        if conn.execute(change.values(public_key=key.public_key)).rowcount != 1:
            raise KeyChanged(f"the key pinned for {peer} changed meanwhile")
        conn.execute(update(peer_keys).where(
            peer_keys.c.peer == peer, peer_keys.c.retired.is_(None),
            peer_keys.c.fingerprint != key.fingerprint).values(retired=key.pinned))
        known = conn.execute(select(peer_keys.c.fingerprint).where(
            peer_keys.c.peer == peer, peer_keys.c.fingerprint == key.fingerprint)).first()
        if known is None:
            Keyring.add_in(conn, key)
        else:  # pinned again (after a peer went back to it): current once more
            conn.execute(update(peer_keys).where(
                peer_keys.c.peer == peer, peer_keys.c.fingerprint == key.fingerprint
            ).values(retired=None, pinned=key.pinned, how=key.how,
                     revoked_from=key.revoked_from))

    @staticmethod
    def add_in(conn: Connection, key: PeerKey) -> None:
        """A key of a peer being added (`accord peer add`): the one it shows, and those that
        one succeeded (retired)."""
        conn.execute(peer_keys.insert().values(
            peer=key.peer, fingerprint=key.fingerprint, public_key=key.public_key,
            pinned=key.pinned, how=key.how, retired=key.retired, revoked_from=key.revoked_from,
            announcement=None if key.announcement is None else orjson.dumps(key.announcement)))

    @staticmethod
    def revoke_in(conn: Connection, peer: str, keep: str, revoked_from: str
                  ) -> Mapping[str, str]:
        """Every key of the peer but `keep` (a fingerprint) is revoked from `revoked_from`
        (or from an earlier date it had already). Returns each revoked key's fingerprint and
        the date it is revoked from."""
        revoked: dict[str, str] = {}
        for fingerprint, before in conn.execute(select(
                peer_keys.c.fingerprint, peer_keys.c.revoked_from).where(
                peer_keys.c.peer == peer, peer_keys.c.fingerprint != keep)).all():
            since = before if before and sort_key(before) <= sort_key(revoked_from) \
                else revoked_from
            conn.execute(update(peer_keys).where(
                peer_keys.c.peer == peer, peer_keys.c.fingerprint == fingerprint
            ).values(revoked_from=since))
            revoked[fingerprint] = since
        return revoked

    # -- what the keys signed ----------------------------------------------------------------

    @staticmethod
    def versions_in(conn: Connection, creators: Collection[str], since_key: str
                    ) -> Iterator[SignedVersion]:
        """Every stored version created by one of `creators` whose version sorts at or after
        `since_key` (stix.timestamps.sort_key), a chunk read at a time: the caller may change
        or remove each as it goes."""
        if not creators:
            return
        seqs = list(conn.execute(select(objects.c.seq).where(
            objects.c.creator_id.in_(sorted(creators)),
            objects.c.version_key >= since_key).order_by(objects.c.seq)).scalars())
        for start in range(0, len(seqs), _CHUNK):
            rows = conn.execute(select(
                objects.c.seq, objects.c.collection_id, objects.c.id, objects.c.version,
                objects.c.version_key, objects.c.body).where(
                objects.c.seq.in_(seqs[start:start + _CHUNK]))).all()
            yield from (SignedVersion(*row) for row in rows)

    @staticmethod
    def rewrite_in(conn: Connection, seq: int, body: bytes) -> None:
        """The stored version `seq` with a new body (the same object, signed anew)."""
        conn.execute(update(objects).where(objects.c.seq == seq).values(body=body))
