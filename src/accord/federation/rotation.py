"""Key rotation, pure: a node's new key announced in a statement signed by its old key, and
how a peer that pinned an old key decides whether a key it is shown now is the same node's.

An announcement is a small JSON document, verifiable by anyone holding the old public key:

    {"type": "accord-key-announcement", "party": "identity--…",
     "previous": "SHA256:…",            # the fingerprint of the key that signs it
     "public_key": "<base64url>",       # the new key, as nodes publish keys
     "created": "2026-03-01T09:00:00.000Z",
     "signature": "<base64url>",        # by the previous key
     "proof": "<base64url>"}            # by the new key: its holder made the announcement

Both signatures are Ed25519 over the RFC 8785 form of the document without `signature` and
`proof` (the recipe federation.signing uses for objects). A peer follows a change of key only
along announcements starting at the key it pinned: an old announcement replayed, a fork (two
successors of one key: the old key is in two hands), or a key nobody announced is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from accord.federation.signing import (
    b64url,
    fingerprint,
    from_b64url,
    key_fingerprint,
    load_public,
    public_bytes,
    publish,
)
from accord.stix.timestamps import is_timestamp

ANNOUNCEMENT = "accord-key-announcement"
_SIGNATURES = ("signature", "proof")
# A key history longer than this is not a node's (one rotation a day for almost three years):
# checking every signature of a hostile peer's endless list would stall the round.
MAX_ANNOUNCEMENTS = 1000


class KeyChangeRefused(ValueError):
    """A peer shows a key that no chain of announcements from the pinned key leads to."""


@dataclass(frozen=True, slots=True)
class Announcement:
    """A well-formed announcement (its signatures not yet checked)."""

    party: str
    previous: str  # fingerprint of the announcing (old) key
    public_key: str  # the new key, base64url of the raw 32 bytes
    created: str
    document: Mapping[str, Any]  # as published, signatures included

    @property
    def fingerprint(self) -> str:
        return key_fingerprint(self.public_key)


def _signed_bytes(document: Mapping[str, Any]) -> bytes:
    return rfc8785.dumps({k: v for k, v in document.items() if k not in _SIGNATURES})


def announce(party: str, old: Ed25519PrivateKey, new: Ed25519PrivateKey, created: str
             ) -> dict[str, Any]:
    """The statement, signed by `old` and by `new`, that `party`'s node now signs with `new`."""
    document: dict[str, Any] = {
        "type": ANNOUNCEMENT, "party": party,
        "previous": fingerprint(public_bytes(old.public_key())),
        "public_key": publish(new.public_key()), "created": created}
    signed = _signed_bytes(document)
    return document | {"signature": b64url(old.sign(signed)), "proof": b64url(new.sign(signed))}


def parse(document: object) -> Announcement:
    """The announcement `document` holds; ValueError naming what is wrong with it."""
    if not isinstance(document, Mapping):
        raise ValueError("an announcement is a JSON object")
    if document.get("type") != ANNOUNCEMENT:
        raise ValueError(f"'type' is not {ANNOUNCEMENT!r}")
    for name in ("party", "previous", "public_key", "created", *_SIGNATURES):
        if not isinstance(document.get(name), str):
            raise ValueError(f"{name!r} is missing or not a string")
    if not is_timestamp(document["created"]):
        raise ValueError(f"'created' ({document['created']!r}) is not a timestamp")
    try:  # as this node writes keys, whatever padding it came with
        public_key = publish(load_public(document["public_key"]))
    except ValueError:
        raise ValueError("'public_key' is not an Ed25519 public key (base64url of 32 bytes)"
                         ) from None
    return Announcement(document["party"], document["previous"], public_key,
                        document["created"], document)


def why_not_valid(announcement: Announcement, signer: Ed25519PublicKey, party: str) -> str | None:
    """Why `announcement` is not `party`'s, signed by `signer` and by the key it announces."""
    if announcement.party != party:
        return f"it announces a key of {announcement.party}, not of {party}"
    if announcement.previous != fingerprint(public_bytes(signer)):
        return (f"it is announced by key {announcement.previous}, not "
                f"{fingerprint(public_bytes(signer))}")
    try:
        signed = _signed_bytes(announcement.document)
    except rfc8785.CanonicalizationError as error:
        return f"it has no canonical form to verify ({error})"
    for name, key in (("signature", signer), ("proof", load_public(announcement.public_key))):
        try:
            key.verify(from_b64url(str(announcement.document[name])), signed)
        except (InvalidSignature, ValueError):
            whose = "the previous key" if name == "signature" else "the key it announces"
            return f"its {name} does not verify against {whose} (altered or forged)"
    return None


def chain(pinned: str, current: str, party: str, documents: Iterable[object]
          ) -> list[Announcement]:
    """The announcements leading from the `pinned` key to the `current` one, each signed by
    the key before it; raises KeyChangeRefused saying why there is no such chain.

    Only announcements signed by a key on the way count: anything else published beside them
    (old ones, or junk) is ignored, so replaying an old announcement leads nowhere new."""
    documents = list(documents)
    if len(documents) > MAX_ANNOUNCEMENTS:
        raise KeyChangeRefused(f"it publishes {len(documents)} key announcements, more than "
                               f"the {MAX_ANNOUNCEMENTS} a node can be believed to have made")
    by_signer: dict[str, list[Announcement]] = {}
    for document in documents:
        try:
            found = parse(document)
        except ValueError:
            continue  # not part of any chain; if one was needed, the chain breaks below
        by_signer.setdefault(found.previous, []).append(found)
    target = key_fingerprint(current)
    path: list[Announcement] = []
    key = pinned
    seen = {key_fingerprint(key)}
    while key_fingerprint(key) != target:
        signer = load_public(key)
        signed_by_key = by_signer.get(key_fingerprint(key), [])
        valid = [a for a in signed_by_key if why_not_valid(a, signer, party) is None]
        successors = sorted({a.fingerprint for a in valid})
        if len(successors) > 1:
            raise KeyChangeRefused(
                f"key {key_fingerprint(key)} announced {len(successors)} different successors "
                f"({', '.join(successors)}): it is in more than one hand (stolen?)")
        if not valid:
            why = "" if not signed_by_key else (
                f"; the one it is said to have signed is not valid: "
                f"{why_not_valid(signed_by_key[0], signer, party)}")
            raise KeyChangeRefused(f"no announcement signed by key {key_fingerprint(key)} "
                                   f"leads to {target}{why}")
        step = valid[0]
        if step.fingerprint in seen:  # a key announced back: a circle, never the target
            raise KeyChangeRefused(f"the announcements go round in a circle at {step.fingerprint}")
        seen.add(step.fingerprint)
        path.append(step)
        key = step.public_key
    return path


def predecessors(current: str, party: str, published: Iterable[str], documents: Iterable[object]
                 ) -> list[tuple[str, Announcement]]:
    """The keys `current` succeeded, newest first, each with the announcement that binds the
    two: signed by the older key and proven by the newer, so that whoever trusts `current`
    (a fingerprint compared out of band, at `accord peer add`) may trust what the older keys
    signed too. `published`: the keys the node lists (the older ones are looked up there by
    fingerprint). The walk stops at a key no valid announcement introduces."""
    documents = list(documents)
    if len(documents) > MAX_ANNOUNCEMENTS:
        return []
    keys: dict[str, str] = {}
    for each in published:
        try:
            keys[key_fingerprint(each)] = publish(load_public(each))
        except ValueError:
            continue
    by_key: dict[str, list[Announcement]] = {}
    for document in documents:
        try:
            found = parse(document)
        except ValueError:
            continue
        by_key.setdefault(found.fingerprint, []).append(found)
    found_keys: list[tuple[str, Announcement]] = []
    key, seen = current, {key_fingerprint(current)}
    while True:
        older = [(keys[a.previous], a) for a in by_key.get(key_fingerprint(key), [])
                 if a.previous in keys and a.previous not in seen
                 and why_not_valid(a, load_public(keys[a.previous]), party) is None]
        if len(older) != 1:  # none, or two claimed predecessors: believe neither
            return found_keys
        found_keys.append(older[0])
        key = older[0][0]
        seen.add(key_fingerprint(key))
