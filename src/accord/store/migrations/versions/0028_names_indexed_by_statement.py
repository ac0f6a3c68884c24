"""SQLite: the FTS5 trigram index of object_names is filled by one statement per batch of
names (store.search_index.add), not by a trigger fired once per name.

A trigger runs its INSERT into the FTS5 table as a statement of its own for each row, and
FTS5 pays for each such statement: ATT&CK Enterprise's 11,173 names took 165 ms through the
trigger against 26 ms as one INSERT … SELECT of the batch (bench/README.md, "The search
index, filled a batch at a time").

The trigger stays, guarded: it fills the index only on a connection that does not say it
fills it itself (the SQL function accord_fills_search_index, which Accord's connections
define: store.engine). So a name inserted by an Accord that predates this migration (a
server left running through the upgrade) is not lost to the search: that connection knows no
such function, and its insert fails, loudly, instead of leaving the name out of the index. A
migration after this one that inserts names fills the index itself, as `add` does. The
trigger that takes names out (a deletion, or a version no longer the newest) is as it was:
deletions also come by ON DELETE CASCADE from objects, where no code of the store runs.

PostgreSQL has no trigger here (its trigram index is a GIN index): nothing changes there.

Revision ID: 0028
Revises: 0027
"""

from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

_FILL = "INSERT INTO object_names_fts (rowid, text) VALUES (new.name_id, new.text);"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS object_names_added")
        op.execute("CREATE TRIGGER object_names_added AFTER INSERT ON object_names "
                   f"WHEN accord_fills_search_index() IS NULL BEGIN {_FILL} END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS object_names_added")
        op.execute(f"CREATE TRIGGER object_names_added AFTER INSERT ON object_names "
                   f"BEGIN {_FILL} END")
