"""What each party has stored, and its quota (store.quotas): a table of one row per poster,
filled here from the objects already stored, and one of the changes not yet taken into it.

Counting a party's bytes when it posts would read every version it ever added (at 10 million
objects, seconds for each POST); the row is kept instead, in the transaction of each
addition and removal.

Revision ID: 0029
Revises: 0028
"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "party_storage",
        sa.Column("party_id", sa.String(100), primary_key=True),
        sa.Column("stored_bytes", sa.BigInteger, nullable=False),
        sa.Column("versions", sa.BigInteger, nullable=False),
        sa.Column("quota_bytes", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "party_storage_changes",
        sa.Column("seq", sa.Integer().with_variant(sa.BigInteger(), "postgresql"),
                  primary_key=True, autoincrement=True),
        sa.Column("party_id", sa.String(100), nullable=False),
        sa.Column("changed_bytes", sa.BigInteger, nullable=False),
        sa.Column("versions", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_party_storage_changes_party", "party_storage_changes", ["party_id"])
    # length() of a bytea or a blob is read from the value's header: no body is read.
    op.execute("INSERT INTO party_storage (party_id, stored_bytes, versions) "
               "SELECT poster_id, sum(length(body)), count(*) FROM objects "
               "WHERE poster_id IS NOT NULL GROUP BY poster_id")
    # Every party has its row: what it adds is taken into it (store.quotas._fold_in).
    op.execute("INSERT INTO party_storage (party_id, stored_bytes, versions) "
               "SELECT id, 0, 0 FROM parties "
               "WHERE id NOT IN (SELECT party_id FROM party_storage)")


def downgrade() -> None:
    op.drop_table("party_storage_changes")
    op.drop_table("party_storage")
