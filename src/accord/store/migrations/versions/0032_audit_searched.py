"""The audit trail's records by action, by token and by collection, each in seq order: a search
by action (or a family of them), by person or by collection reads their records newest first
from an index of their own, instead of walking a trail of tens of millions from its newest
record to find a few (store.audit_search).

Revision ID: 0032
Revises: 0031
"""

from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_action", "audit", ["action", "seq"])
    op.create_index("ix_audit_token", "audit", ["token_id", "seq"])
    op.create_index("ix_audit_collection", "audit", ["collection_id", "seq"])


def downgrade() -> None:
    op.drop_index("ix_audit_collection", "audit")
    op.drop_index("ix_audit_token", "audit")
    op.drop_index("ix_audit_action", "audit")
