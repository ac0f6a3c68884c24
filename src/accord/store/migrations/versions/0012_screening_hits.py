"""Screening of arrivals: names of identities and e-mail senders that match a designation.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screening_hits",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("object_id", sa.String(300), nullable=False),
        sa.Column("collection_id", sa.String(40), nullable=False),
        sa.Column("screened", sa.String(500), nullable=False),
        sa.Column("designation_id", sa.String(100), nullable=False),
        sa.Column("matched", sa.String(500), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("why", sa.Text, nullable=False),
    )
    op.create_index("ix_screening_hits_object", "screening_hits", ["object_id"])


def downgrade() -> None:
    op.drop_index("ix_screening_hits_object", "screening_hits")
    op.drop_table("screening_hits")
