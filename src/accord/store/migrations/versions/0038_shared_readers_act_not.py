"""A party a request is only shared with has nothing of its own to do on it: the summaries
asked it to rate an answered request, as if it were the requester (cooperation.summary
action_for), and its dashboard listed the request among what needs it. Its rows keep no
action from now on.

Revision ID: 0038
Revises: 0037
"""

from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE request_readers SET action = '' WHERE role = 'shared' AND action <> ''")


def downgrade() -> None:
    pass  # what an older Accord derived it derives again: `accord db rebuild-summaries`
