"""SQLite: the link tables keep their rows in their primary key (WITHOUT ROWID).

A table with a composite primary key otherwise keeps two B-trees, the rows and the key; every
stored indicator writes one row to `observables` and one to `audit_objects`, so this saves two
B-tree inserts per object on a bulk load. PostgreSQL is unchanged.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TABLES = {
    "observables": (
        "kind VARCHAR(16) NOT NULL, value VARCHAR(2048) NOT NULL, "
        "seq INTEGER NOT NULL REFERENCES objects (seq) ON DELETE CASCADE, "
        "PRIMARY KEY (kind, value, seq)",
        ["CREATE INDEX ix_observables_seq ON observables (seq)"],
    ),
    "audit_objects": (
        "object_id VARCHAR(300) NOT NULL, seq INTEGER NOT NULL REFERENCES audit (seq), "
        "PRIMARY KEY (object_id, seq)",
        [],
    ),
    "recipients": (
        "seq INTEGER NOT NULL REFERENCES objects (seq) ON DELETE CASCADE, "
        "party_id VARCHAR(300) NOT NULL, PRIMARY KEY (seq, party_id)",
        ["CREATE INDEX ix_recipients_party ON recipients (party_id, seq)"],
    ),
}


def _rebuild(without_rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, (columns, indexes) in _TABLES.items():
        suffix = " WITHOUT ROWID" if without_rowid else ""
        op.execute(f"CREATE TABLE {table}_new ({columns}){suffix}")
        op.execute(f"INSERT INTO {table}_new SELECT * FROM {table}")
        op.execute(f"DROP TABLE {table}")
        op.execute(f"ALTER TABLE {table}_new RENAME TO {table}")
        for index in indexes:
            op.execute(index)


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
