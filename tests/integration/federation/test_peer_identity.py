"""A peer's node stands for the party whose identity it publishes, and signs as it here: it
may not publish the identity of this node's own party, of a party another peer's node stands
for, or of a party known here, unless the operator names that party (`peer add --party`)."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from accord.store.directory import DirectoryError
from accord.store.peers import PeerStore, hosted_parties


def _key() -> str:
    raw = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _identity(party_id: str) -> dict[str, str]:
    return {"type": "identity", "spec_version": "2.1", "id": party_id, "name": "Evil",
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z"}


def test_a_peer_publishing_this_node_s_own_party_is_refused(world):
    with pytest.raises(DirectoryError, match="this node's own party"):
        world.node.directory.pin_party(_identity(world.own.id), None)
    with pytest.raises(DirectoryError, match="this node's own party"):
        world.node.directory.pin_party(_identity(world.own.id), world.own)
    assert world.own.id in hosted_parties(world.node.engine)


def test_a_party_known_here_is_a_peer_s_only_on_the_operator_s_word(world):
    # China's party has officers' tokens here; a node publishing its id would sign as it.
    with pytest.raises(DirectoryError, match=r"China \(CNCERT/CC\).*known here already.*"
                                             r"--party"):
        world.node.directory.pin_party(_identity(world.other.id), None)
    assert world.other.id in hosted_parties(world.node.engine)
    pinned = world.node.directory.pin_party(_identity(world.other.id), world.other)
    assert pinned.id == world.other.id and pinned.name == "China (CNCERT/CC)"


def test_a_party_one_peer_stands_for_is_no_other_peer_s(world):
    PeerStore(world.node.engine).add("cn", "https://cn.example/", "t", world.other.id, _key())
    for local in (None, world.other):
        with pytest.raises(DirectoryError, match="stands for peer 'cn' already|known here"):
            world.node.directory.pin_party(_identity(world.other.id), local)
    assert [p.name for p in PeerStore(world.node.engine).all()] == ["cn"]
