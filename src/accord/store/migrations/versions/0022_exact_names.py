"""The search index finds a name exactly, newest first, without reading every row that holds it:
an index on (md5(text), name_id) on PostgreSQL, (text, name_id) on SQLite. A search lists exact
names before names that merely contain the needle, and at 10 M objects a name shared by
thousands of them ("Xindra") then costs a page of index entries, not a trigram match of every
row, sorted (store.search_index.matching). md5 on PostgreSQL: a btree key may not exceed a
third of a page, and a name may be 1,000 characters of up to four bytes each.

Revision ID: 0022
Revises: 0021
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE INDEX ix_object_names_exact ON object_names (text, name_id)")
    else:
        op.execute("CREATE INDEX ix_object_names_exact ON object_names (md5(text), name_id)")


def downgrade() -> None:
    op.execute("DROP INDEX ix_object_names_exact")
