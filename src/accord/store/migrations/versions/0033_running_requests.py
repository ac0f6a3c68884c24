"""The requests a party has running with an addressee, by state: the bound of a new request
(store.running_bound) counts them from an index, not from every request the pair ever made.

Revision ID: 0033
Revises: 0032
"""

from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_request_summaries_running", "request_summaries",
                    ["requester", "addressee", "settled_state"])


def downgrade() -> None:
    op.drop_index("ix_request_summaries_running", "request_summaries")
