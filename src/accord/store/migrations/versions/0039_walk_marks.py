"""Where a reader's poll got to through rows hidden from it (store.walk_marks): a client that
pages by `added_after` alone, without `next`, goes on past a stretch of rows marked for
others only, instead of being answered the same empty page for ever.

Revision ID: 0039
Revises: 0038
"""

import sqlalchemy as sa
from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("walk_marks",
                    sa.Column("party_id", sa.String(100), primary_key=True),
                    sa.Column("poll", sa.String(64), primary_key=True),
                    sa.Column("reached", sa.String(40), nullable=False),
                    sa.Column("used", sa.String(40), nullable=False))
    op.create_index("ix_walk_marks_used", "walk_marks", ["party_id", "used"])


def downgrade() -> None:
    op.drop_table("walk_marks")
