"""Forms that are safe to send: the one-time key of each new-request form (a second send of
the same form shows the request the first made), what a browser typed when its session had
ended (sealed with a secret only that browser holds, until it signs in again), and the
guidelines each peer's node applies to requests addressed to it (read at sync).

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "form_keys",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("party_id", sa.String(100), nullable=False),
        sa.Column("request_id", sa.String(100), nullable=True),
        sa.Column("expires", sa.String(40), nullable=False),
    )
    op.create_index("ix_form_keys_expires", "form_keys", ["expires"])
    op.create_table(
        "kept_forms",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("path", sa.String(300), nullable=False),
        sa.Column("sealed", sa.LargeBinary, nullable=False),
        sa.Column("expires", sa.String(40), nullable=False),
    )
    op.create_index("ix_kept_forms_expires", "kept_forms", ["expires"])
    op.create_table(
        "peer_guidelines",
        sa.Column("party_id", sa.String(100), primary_key=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("fetched", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("peer_guidelines")
    op.drop_index("ix_kept_forms_expires", "kept_forms")
    op.drop_table("kept_forms")
    op.drop_index("ix_form_keys_expires", "form_keys")
    op.drop_table("form_keys")
