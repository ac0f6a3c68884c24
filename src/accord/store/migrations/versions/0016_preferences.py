"""What a person reads in: each person's language (a BCP 47 tag such as "zh-Hans") and time
zone (an IANA name such as "Asia/Shanghai"), and each party's own time zone, so a deadline can
say when it falls for the other side. Empty until chosen: the browser's guess stands in.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("people", sa.Column("locale", sa.String(16), nullable=True))
    op.add_column("people", sa.Column("time_zone", sa.String(64), nullable=True))
    op.add_column("parties", sa.Column("time_zone", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("parties") as batch:
        batch.drop_column("time_zone")
    with op.batch_alter_table("people") as batch:
        batch.drop_column("time_zone")
        batch.drop_column("locale")
