"""PostgreSQL keys the objects of each audit record by a 64-bit hash of the object id, not the
id itself.

Every object served is a row of audit_objects (which record names which object: "who was served
X?"), and its key (object id, seq) put each row at a random place in a B-tree of keys of 50 to
300 bytes: the largest single cost of a TAXII read in PostgreSQL (bench/README.md, "ATT&CK
Enterprise": half of PostgreSQL's work for a page of objects). The same B-tree over
(hashtextextended(object_id, 0), seq) holds 12-byte keys: for 1,000 rows appended among a
million, 8.2-8.5 → 4.0-4.8 ms of PostgreSQL's CPU, and an index of 45 MB instead of 115
(bench/audit_index_bench.py). It still reads an object's records newest first and stops at a
limit (a hash index would not: it would read every record of an object served a million times,
then sort them).

Not unique: object ids are chosen by whoever posts them, and this hash is no cryptographic one;
two ids made to collide in one record must not make the audit trail refuse it. Readers match the
id itself as well (store.audit_log), so a collision costs a row read, never a wrong answer.

Readers ask for both the hash and the id, and PostgreSQL would multiply the two selectivities
(an object read 2,000 times estimated at 5 rows, its records then gathered whole and sorted
rather than read newest first up to the limit): statistics of the dependency tell it that the
id decides the hash.

A BRIN index over seq, which rises with the table (one appender at a time), lets `accord db
check` (its audit check) read the rows of each batch of records without reading the table.

SQLite keeps its key: the table is clustered on it (WITHOUT ROWID).

Revision ID: 0026
Revises: 0025
"""

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

_DEPENDENCY = "audit_objects_hash_of_id"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("ALTER TABLE audit_objects DROP CONSTRAINT audit_objects_pkey")
    op.execute("CREATE INDEX ix_audit_objects_object ON audit_objects "
               "((hashtextextended(object_id, 0)), seq)")
    op.execute("CREATE INDEX ix_audit_objects_seq ON audit_objects USING brin (seq)")
    op.execute(f"CREATE STATISTICS {_DEPENDENCY} (dependencies) "
               "ON (hashtextextended(object_id, 0)), object_id FROM audit_objects")
    op.execute("ANALYZE audit_objects")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute(f"DROP STATISTICS {_DEPENDENCY}")
    op.execute("DROP INDEX ix_audit_objects_seq")
    op.execute("DROP INDEX ix_audit_objects_object")
    op.execute("ALTER TABLE audit_objects ADD CONSTRAINT audit_objects_pkey "
               "PRIMARY KEY (object_id, seq)")
