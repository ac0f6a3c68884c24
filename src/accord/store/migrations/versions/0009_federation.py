"""Federation: peers, each pinned to a party and its public key, with their sync cursors.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "peers",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("token", sa.String(200), nullable=False),
        sa.Column("party_id", sa.String(100), sa.ForeignKey("parties.id"), nullable=False),
        sa.Column("public_key", sa.String(100), nullable=False),
        sa.Column("added", sa.String(40), nullable=False),
        sa.Column("last_attempt", sa.String(40), nullable=True),
        sa.Column("last_success", sa.String(40), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("cursors", sa.LargeBinary, nullable=False),
        sa.Column("pulled", sa.Integer, nullable=False, server_default="0"),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("behind", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("peers")
