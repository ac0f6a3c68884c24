"""Pull integrity: one round per peer at a time (a lease on the peer's row), and which local
collection mirrors which collection of the peer (so that losing access to one retracts it).

Revision ID: 0011
Revises: 0010
"""

import re

import orjson
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# How federation.sync described the mirrors it made before this revision.
_PULLED = re.compile(r"^Pulled from peer (?P<peer>\S+) \(.*\), collection (?P<cid>\S+)$")


def upgrade() -> None:
    op.add_column("peers", sa.Column("lease_holder", sa.String(200), nullable=True))
    op.add_column("peers", sa.Column("lease_expires", sa.String(40), nullable=True))
    op.add_column("peers", sa.Column("mirrors", sa.LargeBinary, nullable=True))
    conn = op.get_bind()
    listed = conn.execute(sa.text(
        "SELECT value FROM settings WHERE key = 'mirror_collections'")).scalar()
    found: dict[str, dict[str, str]] = {}
    for local in orjson.loads(listed or "[]"):
        description = conn.execute(sa.text("SELECT description FROM collections WHERE id = :id"),
                                   {"id": local}).scalar()
        match = _PULLED.match(description or "")
        if match:
            found.setdefault(match["peer"], {})[match["cid"]] = local
    for peer, mirrors in found.items():
        conn.execute(sa.text("UPDATE peers SET mirrors = :m WHERE name = :n"),
                     {"m": orjson.dumps(mirrors), "n": peer})


def downgrade() -> None:
    with op.batch_alter_table("peers") as batch:
        for column in ("mirrors", "lease_expires", "lease_holder"):
            batch.drop_column(column)
