"""The dashboard's peers: how each is doing, in words."""

from __future__ import annotations


def test_a_peer_one_object_behind_is_said_in_the_singular(world, browser):
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from accord.store.peers import PeerStore

    peer = world.node.directory.add_party("Russia")
    key = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    peers = PeerStore(world.node.engine)
    peers.add("ru-cert", "https://ru.example", "t", peer.id,
              base64.urlsafe_b64encode(key).decode().rstrip("="))
    peers.attempted("ru-cert", None, behind=1)
    page = browser(world.admin_token).get("/ui/").text
    assert "1 object behind" in page and "1 objects" not in page
