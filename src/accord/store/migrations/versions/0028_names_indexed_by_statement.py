"""SQLite: the FTS5 trigram index of object_names is filled by one statement per batch of
names (store.search_index.add), not by a trigger fired once per name.

A trigger runs its INSERT into the FTS5 table as a statement of its own for each row, and
FTS5 pays for each such statement: ATT&CK Enterprise's 11,173 names took 165 ms through the
trigger against 26 ms as one INSERT … SELECT of the batch (bench/README.md, "The search
index, filled a batch at a time"). The trigger that takes names out (a deletion, or a
version no longer the newest) stays: deletions also come by ON DELETE CASCADE from objects,
where no code of the store runs.

PostgreSQL has no trigger here (its trigram index is a GIN index): nothing changes there.

Revision ID: 0028
Revises: 0027
"""

from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER object_names_added")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE TRIGGER object_names_added AFTER INSERT ON object_names BEGIN "
                   "INSERT INTO object_names_fts (rowid, text) VALUES (new.name_id, new.text); "
                   "END")
