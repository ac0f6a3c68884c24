"""What each reader of a request reads of the translations of its summary and description
(request_translations), so that a search of the requests list finds a request by their words
too, as the request page shows them to that party and no other. The rows of the requests whose
ledgers already hold a translation are the node's own code to derive, which a migration must
not import: their figures are marked not derived (counted_at NULL, as migration 0020 left
them), and `engine.migrate` derives those requests again, rows and all, once every migration
ran (store.summaries.mend_in).

Revision ID: 0041
Revises: 0040
"""

import sqlalchemy as sa
from alembic import op

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_translations",
        sa.Column("party_id", sa.String(100), primary_key=True),
        sa.Column("request_id", sa.String(300), primary_key=True),
        sa.Column("translation_id", sa.String(300), primary_key=True),
        sa.Column("lang", sa.String(100), primary_key=True),
        sa.Column("translator", sa.String(300), nullable=False),
        sa.Column("translated", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("summary", sa.Text, nullable=True),
        sa.Column("description", sa.Text, nullable=True),
    )
    op.create_index("ix_request_translations_request", "request_translations", ["request_id"])
    op.execute("UPDATE request_figures SET counted_at = NULL WHERE request_id IN "
               "(SELECT request_id FROM ledger WHERE type = 'language-content')")


def downgrade() -> None:
    op.drop_index("ix_request_translations_request", "request_translations")
    op.drop_table("request_translations")
