"""What the review counts of each request (cooperation.review.Counted), in a narrow table beside
its summary, so that `accord review` reads one small row a request instead of deriving every
ledger; and, per reader, whether it sees the ledger whole (its review may then read the same
row). Requests already summarised get a row naming them with no figures (counted_at NULL: not
derived yet): deriving is the node's own code, which a migration must not import, so
`engine.migrate` derives them once every migration ran (store.summaries.mend_in). Until then a
review reads the ledgers.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_figures",
        sa.Column("request_id", sa.String(300), primary_key=True),
        sa.Column("requester", sa.String(100), nullable=False),
        sa.Column("addressee", sa.String(100), nullable=False),
        sa.Column("is_exercise", sa.Boolean, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("urgency", sa.String(40), nullable=False),
        sa.Column("counted_at", sa.String(40), nullable=True),
        sa.Column("is_acknowledged", sa.Boolean, nullable=True),
        sa.Column("acknowledged_on_time", sa.Boolean, nullable=True),
        sa.Column("microseconds_to_acknowledge", sa.BigInteger, nullable=True),
        sa.Column("is_answered", sa.Boolean, nullable=True),
        sa.Column("answered_on_time", sa.Boolean, nullable=True),
        sa.Column("microseconds_to_answer", sa.BigInteger, nullable=True),
        sa.Column("outcome", sa.String(40), nullable=True),
        sa.Column("is_withdrawn", sa.Boolean, nullable=True),
        sa.Column("overdue_after", sa.String(40), nullable=True),
        sa.Column("escalation_reasons", sa.Text, nullable=True),
        sa.Column("backdated_acts", sa.Integer, nullable=True),
        sa.Column("rating", sa.Integer, nullable=True),
        sa.Column("readers_listed", sa.Boolean, nullable=True),
    )
    op.create_index("ix_request_figures_counted", "request_figures", ["counted_at"])
    op.create_index("ix_request_figures_listed", "request_figures", ["readers_listed"])
    op.add_column("request_readers", sa.Column("sees_ledger", sa.Boolean, nullable=True))
    op.execute("INSERT INTO request_figures (request_id, requester, addressee, is_exercise, "
               "kind, category, urgency) SELECT request_id, requester, addressee, is_exercise, "
               "kind, category, urgency FROM request_summaries")


def downgrade() -> None:
    with op.batch_alter_table("request_readers") as readers:
        readers.drop_column("sees_ledger")
    op.drop_index("ix_request_figures_listed", "request_figures")
    op.drop_index("ix_request_figures_counted", "request_figures")
    op.drop_table("request_figures")
