"""Each API client's latest write position (WAL LSN) in the primary, for read-your-writes
across hosts (serving.read_your_writes): a client that keeps no cookie may write on one host
and read on another. UNLOGGED on PostgreSQL: positions are worthless after a crash (the
replica has long replayed them, or is rebuilt), so they cost no WAL; a standby cannot read
the table, and only the primary's is read.

Revision ID: 0024
Revises: 0023
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    unlogged = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "write_positions",
        sa.Column("client", sa.String(64), primary_key=True),
        sa.Column("lsn", sa.BigInteger, nullable=False),
        sa.Column("written_at", sa.Float, nullable=False),
        prefixes=["UNLOGGED"] if unlogged else [],
    )
    op.create_index("ix_write_positions_written_at", "write_positions", ["written_at"])


def downgrade() -> None:
    op.drop_index("ix_write_positions_written_at", "write_positions")
    op.drop_table("write_positions")
