"""Which stored sightings are of which object: feedback on the use of what was shared.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sightings",
        sa.Column("seq", sa.Integer, sa.ForeignKey("objects.seq", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("sighting_of_ref", sa.String(300), nullable=False),
    )
    op.create_index("ix_sightings_of", "sightings", ["sighting_of_ref"])


def downgrade() -> None:
    op.drop_index("ix_sightings_of", "sightings")
    op.drop_table("sightings")
