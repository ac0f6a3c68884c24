"""The foundation: settings, parties, tokens, collections, permissions, objects, statuses.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "settings",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "parties",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(400), nullable=False, unique=True),
        sa.Column("created", sa.String(40), nullable=False),
        sa.Column("is_self", sa.Boolean, nullable=False),
        sa.Column("identity", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "tokens",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("party_id", sa.String(100), sa.ForeignKey("parties.id"), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("created", sa.String(40), nullable=False),
        sa.Column("expires", sa.String(40), nullable=True),
        sa.Column("revoked", sa.String(40), nullable=True),
    )
    op.create_table(
        "collections",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("title", sa.String(400), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("alias", sa.String(200), nullable=True, unique=True),
        sa.Column("created", sa.String(40), nullable=False),
    )
    op.create_table(
        "permissions",
        sa.Column("collection_id", sa.String(40), sa.ForeignKey("collections.id"),
                  primary_key=True),
        sa.Column("party_id", sa.String(100), sa.ForeignKey("parties.id"), primary_key=True),
        sa.Column("can_read", sa.Boolean, nullable=False),
        sa.Column("can_write", sa.Boolean, nullable=False),
    )
    op.create_table(
        "objects",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("collection_id", sa.String(40), sa.ForeignKey("collections.id"),
                  nullable=False),
        sa.Column("id", sa.String(300), nullable=False),
        sa.Column("type", sa.String(250), nullable=False),
        sa.Column("spec_version", sa.String(10), nullable=False),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("version_key", sa.String(60), nullable=False),
        sa.Column("date_added", sa.String(40), nullable=False),
        sa.Column("is_latest", sa.Boolean, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.UniqueConstraint("collection_id", "id", "version_key", name="uq_object_version"),
    )
    op.create_index("ix_objects_paging", "objects", ["collection_id", "date_added"], unique=True)
    op.create_index("ix_objects_type", "objects", ["collection_id", "type", "date_added"])
    op.create_table(
        "statuses",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("party_id", sa.String(100), sa.ForeignKey("parties.id"), nullable=False),
        sa.Column("collection_id", sa.String(40), sa.ForeignKey("collections.id"),
                  nullable=False),
        sa.Column("request_timestamp", sa.String(40), nullable=False),
        sa.Column("total_count", sa.Integer, nullable=False),
        sa.Column("success_count", sa.Integer, nullable=False),
        sa.Column("failure_count", sa.Integer, nullable=False),
        sa.Column("details", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    for table in ("statuses", "objects", "permissions", "collections", "tokens", "parties",
                  "settings"):
        op.drop_table(table)
