"""Authorship that cannot be forged: an Ed25519 signature over an object's canonical form.

The signature travels in the object, in Accord's signature extension:

    "extensions": {"extension-definition--9a3f5e1c-…": {
        "extension_type": "property-extension", "algorithm": "Ed25519",
        "key": "SHA256:<base64url of the SHA-256 of the raw public key>",
        "signature": "<base64url of the 64-byte signature>"}}

What is signed is the object without that one extension entry (and without `extensions` if
nothing else is left in it), canonicalised by RFC 8785 (JSON Canonicalization Scheme). Any
tool with the signer's public key can verify: drop the entry, canonicalise, check. Pure: keys
in, bytes out; no storage.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from accord.stix.timestamps import is_timestamp, sort_key

SIGNATURE_EXTENSION = "extension-definition--9a3f5e1c-2b4d-4c6e-8f0a-1b2c3d4e5f60"
ALGORITHM = "Ed25519"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def fingerprint(public_key: bytes) -> str:
    """How people compare keys: "SHA256:" and the base64url of the raw key's SHA-256."""
    return "SHA256:" + b64url(hashlib.sha256(public_key).digest())


def load_public(text: str) -> Ed25519PublicKey:
    """A public key as nodes publish it: base64url of the 32 raw bytes."""
    return Ed25519PublicKey.from_public_bytes(from_b64url(text))


def publish(key: Ed25519PublicKey) -> str:
    return b64url(public_bytes(key))


def key_fingerprint(published: str) -> str:
    """The fingerprint of a key as nodes publish it (ValueError: it is no Ed25519 key)."""
    return fingerprint(public_bytes(load_public(published)))


def unsigned(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The object as it was signed: without Accord's signature entry."""
    bare = dict(obj)
    extensions = bare.get("extensions")
    if isinstance(extensions, dict) and SIGNATURE_EXTENSION in extensions:
        rest = {k: v for k, v in extensions.items() if k != SIGNATURE_EXTENSION}
        if rest:
            bare["extensions"] = rest
        else:
            del bare["extensions"]
    return bare


class UnsignableError(ValueError):
    """The object has no RFC 8785 canonical form (e.g. an integer beyond ±2^53)."""


def canonical(obj: Mapping[str, Any]) -> bytes:
    """RFC 8785 bytes of the object without its signature: what is signed and verified."""
    try:
        return rfc8785.dumps(unsigned(obj))
    except rfc8785.CanonicalizationError as error:
        raise UnsignableError(
            f"it cannot be signed: {error} (RFC 8785 JSON numbers must be exact as "
            "IEEE 754 doubles, so integers beyond ±2^53 are refused)") from None


def sign(obj: Mapping[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """A copy of `obj` carrying its signature (Ed25519 is deterministic: signing the same
    object twice gives the same bytes, so a re-post is still "already stored")."""
    signature = key.sign(canonical(obj))
    signed = unsigned(obj)
    if not isinstance(signed.get("extensions", {}), dict):  # where the signature goes
        raise UnsignableError("it cannot be signed: its extensions are not a JSON object")
    signed["extensions"] = {**signed.get("extensions", {}), SIGNATURE_EXTENSION: {
        "extension_type": "property-extension", "algorithm": ALGORITHM,
        "key": fingerprint(public_bytes(key.public_key())), "signature": b64url(signature)}}
    return signed


def signature_of(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    extensions = obj.get("extensions")
    if not isinstance(extensions, dict):
        return None
    found = extensions.get(SIGNATURE_EXTENSION)
    return found if isinstance(found, dict) else None


def why_not_authentic(obj: Mapping[str, Any], key: Ed25519PublicKey) -> str | None:
    """Why `obj` is not signed by `key` (None: it is)."""
    found = signature_of(obj)
    if found is None:
        return "it carries no Accord signature"
    if found.get("algorithm") != ALGORITHM:
        return f"its signature algorithm {found.get('algorithm')!r} is not {ALGORITHM}"
    if found.get("key") != fingerprint(public_bytes(key)):
        return (f"it is signed with key {found.get('key')}, not its creator's "
                f"{fingerprint(public_bytes(key))}")
    try:
        key.verify(from_b64url(str(found.get("signature", ""))), canonical(obj))
    except (InvalidSignature, ValueError):  # UnsignableError is a ValueError too
        return "its signature does not match its content (altered or forged)"
    return None


@dataclass(frozen=True, slots=True)
class KnownKey:
    """One of a signer's keys as a verifier knows it: the current one, one rotated away from
    (still good for what it signed), or one revoked from a date (stolen: a version it signed
    dated then or later is refused)."""

    public: Ed25519PublicKey
    fingerprint: str
    revoked_from: str | None = None

    @classmethod
    def of(cls, published: str, revoked_from: str | None = None) -> KnownKey:
        public = load_public(published)
        return cls(public, fingerprint(public_bytes(public)), revoked_from)


def why_not_signed(obj: Mapping[str, Any], keys: Sequence[KnownKey]) -> str | None:
    """Why `obj` is not signed by one of `keys` (None: it is).

    A revoked key's date is compared with the version's own timestamp (`modified`, else
    `created`), which the signer chose: a thief can backdate (docs/federation.md)."""
    found = signature_of(obj)
    if found is None:
        return "it carries no Accord signature"
    used = next((k for k in keys if k.fingerprint == found.get("key")), None)
    if used is None:
        return (f"it is signed with key {found.get('key')}, not its creator's "
                f"{', '.join(k.fingerprint for k in keys)}")
    if used.revoked_from is not None:
        version = obj.get("modified", obj.get("created"))
        if not is_timestamp(version) or sort_key(str(version)) >= sort_key(used.revoked_from):
            return (f"it is signed with key {used.fingerprint}, revoked from "
                    f"{used.revoked_from} (stolen), and its version {version} is not earlier")
    return why_not_authentic(obj, used.public)
