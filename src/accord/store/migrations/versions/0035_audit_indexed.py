"""The audit trail's index of objects (audit_objects) is written in batches behind the trail,
not in the transaction of each append: `audit_indexed` holds the last record indexed.

A page read names a thousand objects, each at a random place of the index: on SQLite every
append of a page dirtied a thousand of the index's 16 KiB pages, a page read served cost the
appending thread more than serving it did, and the WAL it wrote slowed the reads themselves
(bench/README.md, "The audit index, behind the trail"). Indexed every few seconds, a
collection walked many times over is one row per object, and a page of the index is written
once for all the reads that fell on it. Every record already in the trail is indexed: the
mark starts at the trail's head.

Revision ID: 0035
Revises: 0034
"""

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


# An Accord older than 0035, left running, would index its appends as it makes them: records
# past the mark that the indexer then indexes again. On SQLite that row would refuse the
# indexer's batch for ever (the table's key): there such a row is refused instead, and the old
# server's append with it, loudly. PostgreSQL has no key to refuse the second row, and
# `accord db check` reports it (a trigger there would go into the schema's dumps, which
# `accord backup` and `restore` move between schemas).
_REFUSED = ("audit_objects: a row for a record the index has not reached; an Accord older "
            "than schema 0035 is appending to this database: stop it")


def upgrade() -> None:
    op.create_table("audit_indexed",
                    sa.Column("through", sa.Integer, primary_key=True, autoincrement=False))
    op.execute("INSERT INTO audit_indexed (through) SELECT COALESCE(MAX(seq), 0) FROM audit")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE TRIGGER audit_objects_past_the_mark BEFORE INSERT ON audit_objects "
                   "WHEN NEW.seq > (SELECT through FROM audit_indexed) "
                   f"BEGIN SELECT RAISE(ABORT, '{_REFUSED}'); END")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER audit_objects_past_the_mark")
    # The records not indexed yet get a row per object each (as before migration 0027's
    # grouping, which readers still take): before 0035 every record was indexed as appended.
    if sqlite:
        op.execute("INSERT INTO audit_objects (object_id, seq) "
                   "SELECT DISTINCT listed.value, a.seq "
                   "FROM audit AS a, json_each(CAST(a.object_ids AS TEXT)) AS listed "
                   "WHERE a.seq > (SELECT through FROM audit_indexed)")
    else:
        op.execute("INSERT INTO audit_objects (object_id, seq) "
                   "SELECT DISTINCT listed, a.seq FROM audit AS a, "
                   "jsonb_array_elements_text(convert_from(a.object_ids, 'UTF8')::jsonb) "
                   "AS listed WHERE a.seq > (SELECT through FROM audit_indexed)")
    op.drop_table("audit_indexed")
