"""One row of audit_objects per object per append, not per object per record: the further
records of the same append that name the object are listed in the row (`also`).

The audit trail's reads are appended in batches (every 0.2 s, store.audit_log.AuditBuffer),
and a batch's records name the same objects again and again: a page asked for by a poll, a
dashboard, many analysts. Each (object, record) pair was a row, at a random place of the
index: for ATT&CK's 187 intrusion sets asked for 500 times a second, 93,500 rows a second.
On SQLite, where the appender runs in the serving process, that work halved the requests it
served (bench/README.md, "The audit trail's index of objects, grouped"). A row now names the
object's first record in the append (`seq`, its key as before) and the others after it, in
order, as text ("12,15,40"); the rows of an object newest first are its records newest first,
since appends do not interleave (one appender at a time, under the audit lock).

Rows written before stay as they are (`also` NULL: the one record).

Revision ID: 0027
Revises: 0026
"""

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A column added with no default: no table rewritten on either backend.
    op.execute("ALTER TABLE audit_objects ADD COLUMN also TEXT")


def downgrade() -> None:
    # Each listed record back to a row of its own, in the database (no rows through Python),
    # then the column dropped.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("INSERT INTO audit_objects (object_id, seq) "
                   "SELECT grouped.object_id, CAST(listed.value AS INTEGER) "
                   "FROM audit_objects AS grouped, json_each('[' || grouped.also || ']') AS listed "
                   "WHERE grouped.also IS NOT NULL")
    else:
        op.execute("INSERT INTO audit_objects (object_id, seq) "
                   "SELECT object_id, unnest(string_to_array(also, ','))::integer "
                   "FROM audit_objects WHERE also IS NOT NULL")
    # Not alembic's batch mode: on SQLite it would copy the table into one it makes anew,
    # without WITHOUT ROWID. (SQLite drops a column itself since 3.35.)
    op.execute("ALTER TABLE audit_objects DROP COLUMN also")
