"""The correlation index: which stored versions mention which observable values.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "observables",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("value", sa.String(2048), primary_key=True),
        sa.Column("seq", sa.Integer, sa.ForeignKey("objects.seq", ondelete="CASCADE"),
                  primary_key=True),
    )
    op.create_index("ix_observables_seq", "observables", ["seq"])


def downgrade() -> None:
    op.drop_index("ix_observables_seq", "observables")
    op.drop_table("observables")
