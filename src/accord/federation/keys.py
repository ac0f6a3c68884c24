"""The node's signing key: made on first use, kept in the node's own database, rotated with
`accord key rotate`. Every key it had is kept (the public half), so that what an old key
signed still verifies, here and at peers; each new key is announced in a statement signed by
the old one (federation.rotation), published with the key history at GET /api/v1/node."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from accord.federation.rotation import announce
from accord.federation.signing import (
    KnownKey,
    fingerprint,
    public_bytes,
    publish,
    sign,
    signature_of,
)
from accord.node import Node
from accord.stix.timestamps import now_timestamp, sort_key
from accord.store.directory import Directory
from accord.store.engine import writing
from accord.store.keyring import SIGNING_KEY, Keyring, OwnKey
from accord.store.peers import hosted_parties
from accord.trust.audit import Event


def _private(stored: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(stored))


def _stored(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(
        key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())).decode()


def _own_key(key: Ed25519PrivateKey, created: str, announcement: dict[str, Any] | None = None
             ) -> OwnKey:
    public = key.public_key()
    return OwnKey(fingerprint(public_bytes(public)), publish(public), created, None, None,
                  announcement)


def node_key(directory: Directory) -> Ed25519PrivateKey:
    """The key this node signs with now (made, and recorded as its first, on first use)."""
    stored = directory.setting(SIGNING_KEY)
    if stored is not None:
        return _private(stored)
    new = Ed25519PrivateKey.generate()
    first = _own_key(new, now_timestamp())
    try:
        with writing(directory.engine) as conn:
            found = Keyring.private_in(conn)
            if found is not None:  # another process made it meanwhile: both use that one
                return _private(found)
            Keyring.make_first_in(conn, _stored(new), first.fingerprint, first.public_key,
                                  first.created)
    except IntegrityError:  # the same race, lost on PostgreSQL's unique key
        with directory.engine.connect() as conn:
            return _private(str(Keyring.private_in(conn)))
    return new


def own_keys(engine: Engine) -> list[KnownKey]:
    """This node's keys as a verifier takes them: all it had, a stolen one revoked from the
    date it was stolen."""
    return [KnownKey.of(k.public_key, k.compromised_from) for k in Keyring(engine).own()]


def peer_keys(engine: Engine) -> dict[str, list[KnownKey]]:
    """Each peer's party id -> every key of its node pinned here."""
    return {party: [KnownKey.of(key, revoked_from) for key, revoked_from in known]
            for party, known in Keyring(engine).of_parties().items()}


def history(node: Node) -> list[OwnKey]:
    """Every key this node has had, oldest first, the current one last."""
    keys = Keyring(node.engine).own()
    if not keys:  # a node that never signed: its first key now
        node_key(node.directory)
        keys = Keyring(node.engine).own()
    return keys


def published(node: Node) -> dict[str, Any]:
    """What GET /api/v1/node answers: the party's identity, its current key, and every key
    it had with the announcement that introduced each (what a peer follows)."""
    keys = history(node)  # one read: the current key and its announcements agree
    identity = next((p for p in node.directory.identities() if p["id"] == node.party.id), None)
    # Where this party's deadlines fall: peers show each deadline in both parties' zones.
    time_zone = node.directory.time_zones().get(node.party.id)
    return {"identity": identity, "time_zone": time_zone, "public_key": keys[-1].public_key,
            "fingerprint": keys[-1].fingerprint,
            "keys": [{"public_key": k.public_key, "fingerprint": k.fingerprint,
                      "created": k.created, "retired": k.retired,
                      "compromised_from": k.compromised_from,
                      "announcement": k.announcement} for k in keys]}


@dataclass(frozen=True)
class Rotation:
    old: OwnKey
    new: OwnKey
    resigned: int  # objects signed by the stolen key since it was stolen, signed anew


def rotate(node: Node, at: str, compromised_since: str | None = None) -> Rotation:
    """Sign with a new key from `at` on. Normally the old key announces the new one; when
    it was stolen (`compromised_since`), nothing it signs can be believed, so there is no
    announcement (peers re-pin by a fingerprint compared out of band) and what it signed
    for this node's parties since then is signed anew with the new key."""
    old_key = node_key(node.directory)
    [old] = [k for k in history(node) if k.retired is None]
    new_key = Ed25519PrivateKey.generate()
    new = _own_key(new_key, at, None if compromised_since else announce(
        node.party.id, old_key, new_key, at))
    with writing(node.engine) as conn:
        Keyring.replace_in(conn, _stored(old_key), _stored(new_key), new, compromised_since)
        resigned = () if compromised_since is None else _resign_in(
            conn, hosted_parties(node.engine), old.fingerprint, compromised_since, new_key)
        # Re-signing rewrites stored bodies (their signature only): the trail names each.
        node.audit.append_in(conn, [Event(at, "key.rotate", None, object_ids=resigned, detail={
            "from": old.fingerprint, "to": new.fingerprint,
            "compromised_since": compromised_since, "resigned": len(resigned),
            "announcement": new.announcement})])
    return Rotation(old, new, len(resigned))


def _resign_in(conn: Connection, creators: Iterable[str], stolen: str, since: str,
               key: Ed25519PrivateKey) -> tuple[str, ...]:
    """Sign anew every version this node holds of its parties' objects that the stolen key
    signed, dated `since` or later: peers that revoke the stolen key from then on refuse
    those signatures, and take these at their next reading. Returns the ids signed anew."""
    done: list[str] = []
    for version in Keyring.versions_in(conn, set(creators), sort_key(since)):
        obj = orjson.loads(version.body)
        found = signature_of(obj)
        if found is not None and found.get("key") == stolen:
            Keyring.rewrite_in(conn, version.seq, orjson.dumps(sign(obj, key)))
            done.append(version.id)
    return tuple(done)
