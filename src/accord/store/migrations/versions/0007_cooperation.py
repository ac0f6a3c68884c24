"""The cooperation mechanism: guidelines, hotline contacts, the notification outbox.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "guidelines",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("pair_a", sa.String(100), nullable=True),
        sa.Column("pair_b", sa.String(100), nullable=True),
        sa.Column("effective", sa.String(40), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_table(
        "hotline_contacts",
        sa.Column("party_id", sa.String(100), sa.ForeignKey("parties.id"), primary_key=True),
        sa.Column("webhook", sa.String(2000), nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("created", sa.String(40), nullable=False),
        sa.Column("webhook", sa.String(2000), nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt", sa.String(40), nullable=False),
        sa.Column("delivered", sa.String(40), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
    )
    op.create_index("ix_outbox_due", "outbox", ["delivered", "next_attempt"])
    op.create_table(
        "ledger",
        sa.Column("seq", sa.Integer, sa.ForeignKey("objects.seq", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("request_id", sa.String(300), nullable=False),
        sa.Column("object_id", sa.String(300), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("time", sa.String(40), nullable=False),
        sa.Column("digest", sa.LargeBinary, nullable=True),
    )
    op.create_index("ix_ledger_request", "ledger", ["request_id"])
    op.create_index("ix_ledger_time", "ledger", ["type", "time", "request_id"])


def downgrade() -> None:
    op.drop_index("ix_ledger_time", "ledger")
    op.drop_index("ix_ledger_request", "ledger")
    op.drop_table("ledger")
    op.drop_index("ix_outbox_due", "outbox")
    op.drop_table("outbox")
    op.drop_table("hotline_contacts")
    op.drop_table("guidelines")
