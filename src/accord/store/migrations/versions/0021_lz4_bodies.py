"""PostgreSQL compresses the stored JSON of objects and audit records with lz4, not pglz: a
TAXII page decompressed each large body (ATT&CK's run to several KiB) at a fifth of
PostgreSQL's CPU for the read (pglz_decompress in `perf`); lz4 decompresses several times
faster and compresses faster on ingest, for a slightly larger file. What is stored already
keeps pglz until rewritten (a restore rewrites it). Nothing changes where the server was built
without lz4, nor on SQLite, which does not compress.

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

COLUMNS = (("objects", "body"), ("audit", "object_ids"), ("audit", "detail"))


def _has_lz4() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    return bool(bind.execute(sa.text(
        "SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
        "WHERE name = 'default_toast_compression'")).scalar())


def upgrade() -> None:
    if _has_lz4():
        for table, column in COLUMNS:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION lz4")


def downgrade() -> None:
    if _has_lz4():
        for table, column in COLUMNS:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION DEFAULT")
