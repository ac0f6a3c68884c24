"""Migration 0013 records a node's signing key and each peer's pinned key as the first of
their key histories, so that a node made before key rotation can rotate and follow."""

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy import select, text
from tests.integration.store.migrating import upgrade

from accord.federation.signing import fingerprint, public_bytes, publish
from accord.store.engine import open_engine, writing
from accord.store.schema import node_keys, peer_keys

OWN = "identity--d9555ff1-0409-4a1f-bb02-0987eb3aac57"
PEER = "identity--fcbb9d76-ede8-408e-9257-ecaf3df20d02"


def test_the_node_key_and_the_peers_pinned_keys_start_their_histories(db_url):
    own, theirs = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    engine = open_engine(db_url)
    try:
        upgrade(engine, "0012")
        private = base64.b64encode(own.private_bytes(Encoding.Raw, PrivateFormat.Raw,
                                                     NoEncryption())).decode()
        with writing(engine) as conn:
            for party, created, is_self in ((OWN, "2024-05-01T10:00:00.000000Z", True),
                                            (PEER, "2024-06-01T10:00:00.000000Z", False)):
                conn.execute(text("INSERT INTO parties (id, name, created, is_self, identity) "
                                  "VALUES (:id, :id, :created, :self, :identity)"),
                             {"id": party, "created": created, "self": is_self,
                              "identity": b"{}"})
            conn.execute(text("INSERT INTO settings (key, value) VALUES ('signing_key', :v)"),
                         {"v": private})
            conn.execute(text(
                "INSERT INTO peers (name, url, token, party_id, public_key, added, cursors) "
                "VALUES ('china', 'http://cn/', 't', :party, :key, '2024-07-01T00:00:00Z', "
                ":cursors)"), {"party": PEER, "key": publish(theirs.public_key()),
                               "cursors": b"{}"})
        upgrade(engine, "head")
        with engine.connect() as conn:
            mine = conn.execute(select(node_keys)).one()
            pinned = conn.execute(select(peer_keys)).one()
        assert mine.fingerprint == fingerprint(public_bytes(own.public_key()))
        assert (mine.created, mine.retired) == ("2024-05-01T10:00:00.000000Z", None)
        assert mine.public_key == publish(own.public_key())
        assert (pinned.peer, pinned.fingerprint, pinned.pinned, pinned.how) == (
            "china", fingerprint(public_bytes(theirs.public_key())), "2024-07-01T00:00:00Z",
            "added")
    finally:
        engine.dispose()
