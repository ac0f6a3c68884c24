"""Key rotation: every signing key this node has had, and every key of each peer pinned here.

The node's current key (the setting `signing_key`) and each peer's pinned key are recorded as
the first of their histories.

Revision ID: 0013
Revises: 0012
"""

import base64
import hashlib

import sqlalchemy as sa
from alembic import op
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _fingerprint(public_key: str) -> str:
    raw = base64.urlsafe_b64decode(public_key + "=" * (-len(public_key) % 4))
    return "SHA256:" + _b64url(hashlib.sha256(raw).digest())


def upgrade() -> None:
    node_keys = op.create_table(
        "node_keys",
        sa.Column("fingerprint", sa.String(60), primary_key=True),
        sa.Column("public_key", sa.String(100), nullable=False),
        sa.Column("created", sa.String(40), nullable=False),
        sa.Column("retired", sa.String(40), nullable=True),
        sa.Column("compromised_from", sa.String(40), nullable=True),
        sa.Column("announcement", sa.LargeBinary, nullable=True),
    )
    peer_keys = op.create_table(
        "peer_keys",
        sa.Column("peer", sa.String(100), sa.ForeignKey("peers.name"), primary_key=True),
        sa.Column("fingerprint", sa.String(60), primary_key=True),
        sa.Column("public_key", sa.String(100), nullable=False),
        sa.Column("pinned", sa.String(40), nullable=False),
        sa.Column("how", sa.String(20), nullable=False),
        sa.Column("retired", sa.String(40), nullable=True),
        sa.Column("revoked_from", sa.String(40), nullable=True),
        sa.Column("announcement", sa.LargeBinary, nullable=True),
    )
    conn = op.get_bind()
    private = conn.execute(sa.text(
        "SELECT value FROM settings WHERE key = 'signing_key'")).scalar()
    if private is not None:
        key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(private))
        public = _b64url(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
        # The key was made when the node first signed; its own party's creation is the
        # nearest date recorded.
        created = conn.execute(sa.text(
            "SELECT min(created) FROM parties WHERE is_self")).scalar() or "1970-01-01T00:00:00Z"
        op.bulk_insert(node_keys, [{"fingerprint": _fingerprint(public), "public_key": public,
                                    "created": created}])
    op.bulk_insert(peer_keys, [
        {"peer": name, "fingerprint": _fingerprint(public), "public_key": public,
         "pinned": added, "how": "added"}
        for name, public, added in conn.execute(sa.text(
            "SELECT name, public_key, added FROM peers")).all()])


def downgrade() -> None:
    op.drop_table("peer_keys")
    op.drop_table("node_keys")
