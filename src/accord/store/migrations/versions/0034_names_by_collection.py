"""The search index keeps each name's collection, and finds a name exactly among the
collections its reader may read: (text, collection_id, name_id) on SQLite, (md5(text),
collection_id, name_id) on PostgreSQL, in place of the index over every collection's names.

A party that posted tens of thousands of objects named "APT28" into a collection of its own
made every other party's search for APT28 walk them, row by row, to find none it may read:
past the walk's budget, "nothing you may read matches", and the time taken told how many such
names it may not read (store.browse, the name search). The collection is that of the version
named (it never moves), as the observable index keeps it (migration 0004).

Revision ID: 0034
Revises: 0033
"""

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("object_names", sa.Column("collection_id", sa.String(40), nullable=True))
    op.execute("UPDATE object_names SET collection_id = (SELECT o.collection_id FROM objects o "
               "WHERE o.seq = object_names.seq)")
    op.execute("DROP INDEX ix_object_names_exact")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE INDEX ix_object_names_readable ON object_names "
                   "(text, collection_id, name_id)")
    else:
        op.execute("CREATE INDEX ix_object_names_readable ON object_names "
                   "(md5(text), collection_id, name_id)")


def downgrade() -> None:
    op.execute("DROP INDEX ix_object_names_readable")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE INDEX ix_object_names_exact ON object_names (text, name_id)")
    else:
        op.execute("CREATE INDEX ix_object_names_exact ON object_names (md5(text), name_id)")
    op.drop_column("object_names", "collection_id")
