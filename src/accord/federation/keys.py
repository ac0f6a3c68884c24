"""The node's signing key: made on first use, kept in the node's own database."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)

from accord.store.directory import Directory

_SETTING = "signing_key"


def node_key(directory: Directory) -> Ed25519PrivateKey:
    stored = directory.setting(_SETTING)
    if stored is not None:
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(stored))
    raw = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw,
                                                      NoEncryption())
    # Two processes racing here: the first one stored wins, and both use it.
    kept = directory.setting_once(_SETTING, base64.b64encode(raw).decode())
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(kept))
