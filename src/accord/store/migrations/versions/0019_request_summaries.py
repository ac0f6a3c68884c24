"""Request summaries: what lists and the dashboard show of each request, derived from its
ledger and kept beside it (store.summaries), with who may see each request, so that a
party's dashboard reads an index instead of deriving every ledger. Left empty here: deriving
them is the node's own code, which a migration must not import (it changes later, and would
write the columns of a later schema); `engine.migrate` fills them once every migration ran
(store.summaries.mend_in).

Revision ID: 0019
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_summaries",
        sa.Column("request_id", sa.String(300), primary_key=True),
        sa.Column("requester", sa.String(100), nullable=False),
        sa.Column("addressee", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("urgency", sa.String(40), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("lang", sa.String(40), nullable=False),
        sa.Column("is_exercise", sa.Boolean, nullable=False),
        sa.Column("created", sa.String(40), nullable=False),
        sa.Column("received", sa.String(40), nullable=True),
        sa.Column("acknowledge_by", sa.String(40), nullable=True),
        sa.Column("respond_by", sa.String(40), nullable=True),
        sa.Column("is_acknowledged", sa.Boolean, nullable=False),
        sa.Column("is_answered", sa.Boolean, nullable=False),
        sa.Column("is_rated", sa.Boolean, nullable=False),
        sa.Column("is_escalated", sa.Boolean, nullable=False),
        sa.Column("settled_state", sa.String(20), nullable=False),
        sa.Column("overdue_after", sa.String(40), nullable=True),
        sa.Column("last_act", sa.String(40), nullable=False),
    )
    op.create_table(
        "request_readers",
        sa.Column("party_id", sa.String(100), primary_key=True),
        sa.Column("request_id", sa.String(300), primary_key=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("settled_state", sa.String(20), nullable=False),
        sa.Column("overdue_after", sa.String(40), nullable=True),
        sa.Column("sort_time", sa.String(40), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("is_escalated", sa.Boolean, nullable=False),
    )
    op.create_index("ix_request_readers_counts", "request_readers",
                    ["party_id", "role", "settled_state", "overdue_after", "action"])
    op.create_index("ix_request_readers_needs", "request_readers",
                    ["party_id", "is_escalated", "action", "overdue_after", "sort_time",
                     "request_id"])
    op.create_index("ix_request_readers_newest", "request_readers",
                    ["party_id", "sort_time", "request_id"])
    op.create_index("ix_request_readers_request", "request_readers", ["request_id"])


def downgrade() -> None:
    op.drop_index("ix_request_readers_request", "request_readers")
    op.drop_index("ix_request_readers_newest", "request_readers")
    op.drop_index("ix_request_readers_needs", "request_readers")
    op.drop_index("ix_request_readers_counts", "request_readers")
    op.drop_table("request_readers")
    op.drop_table("request_summaries")
