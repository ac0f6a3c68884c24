"""The duplicate check of a new request (cooperation.duplicates) reads only what its sender sent
the same addressee lately: an index on request_summaries (requester, addressee, created), so a
party that sent 50,000 requests reads a day's worth, not every one (web.new_request).

Revision ID: 0023
Revises: 0022
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_request_summaries_sent", "request_summaries",
                    ["requester", "addressee", "created"])


def downgrade() -> None:
    op.drop_index("ix_request_summaries_sent", "request_summaries")
