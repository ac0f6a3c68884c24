"""The audit trail and its index by object.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("party_id", sa.String(100), nullable=True),
        sa.Column("token_id", sa.String(40), nullable=True),
        sa.Column("collection_id", sa.String(40), nullable=True),
        sa.Column("object_ids", sa.LargeBinary, nullable=False),
        sa.Column("detail", sa.LargeBinary, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_party", "audit", ["party_id", "seq"])
    op.create_index("ix_audit_at", "audit", ["at"])
    op.create_table(
        "audit_objects",
        sa.Column("object_id", sa.String(300), primary_key=True),
        sa.Column("seq", sa.Integer, sa.ForeignKey("audit.seq"), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("audit_objects")
    op.drop_index("ix_audit_at", "audit")
    op.drop_index("ix_audit_party", "audit")
    op.drop_table("audit")
