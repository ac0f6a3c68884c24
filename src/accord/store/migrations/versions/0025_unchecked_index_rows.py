"""PostgreSQL stops checking, row by row, that each row of the derived indexes names a stored
version or audit record: the correlation index (observables), the search index (object_names,
relationship_ends) and the objects of each audit record (audit_objects).

Each such row costs a foreign-key check when it is written: a look-up of the parent's key and a
row lock on it, per row. An import of 100,000 indicators writes about 300,000 of them, and the
checks took a third of PostgreSQL's work (10.2 → 7.0 CPU-seconds, bench/README.md, "Bulk
ingest"). Only the object store writes these rows, in the transaction that writes their
parent; it deletes them itself when it deletes a version (store.objects), and audit records are
never deleted. `accord db check --thorough` still looks for rows that name nothing (the schema
still declares what each refers to: store.checkup).

SQLite keeps its checks: they cost an index probe there, and dropping one means rebuilding the
table.

Revision ID: 0025
Revises: 0024
"""

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

# (table, column, the table it refers to, its column, ON DELETE CASCADE?)
_UNCHECKED = (("observables", "seq", "objects", "seq", True),
              ("object_names", "seq", "objects", "seq", True),
              ("relationship_ends", "seq", "objects", "seq", True),
              ("audit_objects", "seq", "audit", "seq", False))


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, column, parent, _, _ in _UNCHECKED:
        # Their names differ with the migrations that made them (observables_new_seq_fkey).
        for (name,) in op.get_bind().exec_driver_sql(
                "SELECT c.conname FROM pg_constraint c JOIN pg_attribute a "
                "ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey) "
                "WHERE c.contype = 'f' AND c.conrelid = %s::regclass "
                "AND c.confrelid = %s::regclass AND a.attname = %s",
                (table, parent, column)).all():
            op.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, column, parent, key, cascade in _UNCHECKED:
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_fkey FOREIGN KEY "
                   f"({column}) REFERENCES {parent} ({key})"
                   + (" ON DELETE CASCADE" if cascade else ""))
