"""A peer's change of key, as this node takes it: followed at a sync round when announcements
signed by the pinned key lead to it (federation.rotation), refused loudly otherwise; or
re-pinned deliberately by the administrator (`accord peer rekey`) after comparing the new
fingerprint out of band, when the peer's old key was stolen."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection

from accord.federation.rotation import Announcement, KeyChangeRefused, chain, predecessors
from accord.federation.signing import key_fingerprint, load_public, publish, signature_of
from accord.node import Node
from accord.stix.timestamps import now_timestamp, sort_key
from accord.store.engine import writing
from accord.store.keyring import Keyring, PeerKey
from accord.store.peers import Peer, PeerStore
from accord.store.query import ObjectQuery
from accord.trust.audit import Event


def _announced(published: Mapping[str, Any]) -> list[object]:
    keys = published.get("keys")
    if not isinstance(keys, list):
        return []
    return [k.get("announcement") for k in keys if isinstance(k, dict)]


def _current(published: Mapping[str, Any]) -> str:
    """The key the peer publishes now, in canonical form."""
    shown = published.get("public_key")
    try:
        return publish(load_public(str(shown)))
    except ValueError:
        raise KeyChangeRefused(f"it publishes {str(shown)[:80]!r} as its key, which is not an "
                               "Ed25519 public key") from None


def follow(node: Node, peer: Peer, published: Mapping[str, Any]) -> list[Announcement]:
    """Take the key `peer` publishes now (`published`: its GET /api/v1/node) if a chain of
    announcements from the pinned key leads to it; the announcements followed (none: the
    same key). Raises KeyChangeRefused otherwise: the pin stays, and nothing the new key
    signed is accepted."""
    current = _current(published)
    if key_fingerprint(current) == key_fingerprint(peer.public_key):
        return []
    try:
        path = chain(peer.public_key, current, peer.party_id, _announced(published))
    except KeyChangeRefused as refused:
        message = _refusal(peer, current, published, str(refused))
        if peer.last_error != message:  # recorded once, not at every retry
            node.audit.append([Event(now_timestamp(), "peer.key_refused", peer.party_id,
                                     detail={"peer": peer.name, "reason": message})])
        raise KeyChangeRefused(message) from None
    at = now_timestamp()
    with writing(node.engine) as conn:
        pinned = peer.public_key
        for step in path:
            Keyring.pin_in(conn, peer.name, pinned, PeerKey(
                peer.name, step.fingerprint, step.public_key, at, "announced", None, None,
                dict(step.document)))
            pinned = step.public_key
        node.audit.append_in(conn, [Event(at, "peer.key_followed", peer.party_id, detail={
            "peer": peer.name, "from": key_fingerprint(peer.public_key),
            "to": key_fingerprint(current),
            "announcements": [dict(step.document) for step in path]})])
    return path


def _refusal(peer: Peer, current: str, published: Mapping[str, Any], why: str) -> str:
    old, new = key_fingerprint(peer.public_key), key_fingerprint(current)
    keys = published.get("keys")
    said = next((k.get("compromised_from") for k in (keys if isinstance(keys, list) else [])
                 if isinstance(k, dict) and k.get("fingerprint") == old
                 and isinstance(k.get("compromised_from"), str)), None)
    return (f"{peer.name} now shows key {new}, not the key pinned here ({old}), and no "
            f"announcement signed by the pinned key vouches for it ({why}); refused: "
            "nothing more is taken from or sent to it"
            + (f". It says its key {old} was stolen from {said}" if said else "")
            + ". If its administrator confirms the new fingerprint over another channel: "
            f"accord peer rekey {peer.name} --fingerprint {new}"
            + (f" --revoke-from {said}" if said else " [--revoke-from DATE]"))


def earlier_keys(published: Mapping[str, Any], party: str
                 ) -> list[tuple[str, str, dict[str, Any]]]:
    """The keys the key a peer shows now succeeded, as `accord peer add` pins them with it:
    (public key, when retired, the announcement binding it to its successor)."""
    shown = published.get("keys")
    listed = [str(k.get("public_key")) for k in shown if isinstance(k, dict)] \
        if isinstance(shown, list) else []
    return [(key, step.created, dict(step.document)) for key, step in predecessors(
        _current(published), party, listed, _announced(published))]


@dataclass(frozen=True)
class Repinned:
    old: str  # fingerprints
    new: str
    revoked: Mapping[str, str]  # fingerprint -> revoked from
    removed: tuple[str, ...]  # ids of the versions held here that a revoked key signed since


def repin(node: Node, peer: Peer, published: Mapping[str, Any], expected: str,
          revoke_from: str | None) -> Repinned:
    """Pin the key `peer` publishes now, the administrator having compared its fingerprint
    (`expected`) out of band; with `revoke_from`, every other key of the peer is revoked
    from that date: what they signed dated then or later is refused from now on, and removed
    where held here. The peer is read again from its start at the next round (what was
    refused meanwhile may be taken now). ValueError when the peer is not what was expected."""
    identity = published.get("identity")
    shown = identity.get("id") if isinstance(identity, dict) else None
    if shown != peer.party_id:
        raise ValueError(f"{peer.url} now stands for {shown}, not {peer.party_id}: another "
                         "node (pin it with `accord peer add`)")
    current = _current(published)
    new = key_fingerprint(current)
    if new != expected:
        raise ValueError(f"{peer.url} has key {new}, not {expected}: refusing it (a different "
                         "node, or someone in between)")
    at = now_timestamp()
    with writing(node.engine) as conn:
        Keyring.pin_in(conn, peer.name, None, PeerKey(peer.name, new, current, at, "repinned",
                                                      None, None, None))
        revoked = {} if revoke_from is None else Keyring.revoke_in(conn, peer.name, new,
                                                                    revoke_from)
        removed = _remove_suspects_in(conn, node, peer.party_id, revoked)
        PeerStore.restart_in(conn, peer.name, soon=True)
        node.audit.append_in(conn, [Event(at, "peer.rekey", None, object_ids=removed, detail={
            "peer": peer.name, "party": peer.party_id,
            "from": key_fingerprint(peer.public_key), "to": new, "revoked": revoked,
            "removed": len(removed)})])
    return Repinned(key_fingerprint(peer.public_key), new, revoked, removed)


def _remove_suspects_in(conn: Connection, node: Node, party: str,
                        revoked: Mapping[str, str]) -> tuple[str, ...]:
    """Remove every version held here of `party`'s objects signed by a revoked key and dated
    at or after the date it is revoked from: it may be the thief's."""
    if not revoked:
        return ()
    earliest = min(sort_key(since) for since in revoked.values())
    gone: list[str] = []
    for version in Keyring.versions_in(conn, {party}, earliest):
        found = signature_of(orjson.loads(version.body))
        since = revoked.get(str(found.get("key"))) if found else None
        if since is not None and version.version_key >= sort_key(since):
            node.objects.delete_in(conn, version.collection_id, version.id, ObjectQuery(
                versions=frozenset({version.version_key})))
            gone.append(version.id)
    return tuple(gone)
