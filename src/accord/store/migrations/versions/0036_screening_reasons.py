"""A screening flag keeps why it was raised as a reason any language can say
(accord.screening.reasons), beside the English: a liaison officer reading the node in Chinese
read the match's reason in English. Flags raised before keep their English alone.

Revision ID: 0036
Revises: 0035
"""

import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("screening_hits", sa.Column("reason", sa.Text, nullable=True))


def downgrade() -> None:
    # Not alembic's batch mode: SQLite drops a column itself since 3.35.
    op.execute("ALTER TABLE screening_hits DROP COLUMN reason")
