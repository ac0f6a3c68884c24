"""On SQLite, removing the newest stored objects moves the screening of arrivals back behind
them: SQLite gives a removed newest row's seq to the next row stored (a rowid without
AUTOINCREMENT), and the screening's cursor (attribution.arrivals), past that seq already,
would never screen the next object. A party could post a harmless identity, wait for it to be
screened, remove it, and post a designated name under its seq, never screened. PostgreSQL's
sequence never gives a seq twice.

Revision ID: 0037
Revises: 0036
"""

from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None

# Back to the newest object left (per row removed: removing 10 then 9, or 9 then 10, leaves the
# cursor at 8 either way), and only a cursor past it.
_TRIGGER = (
    "CREATE TRIGGER screening_cursor_behind_a_removed_newest AFTER DELETE ON objects "
    "WHEN OLD.seq > COALESCE((SELECT MAX(seq) FROM objects), 0) BEGIN "
    "UPDATE settings SET value = CAST(COALESCE((SELECT MAX(seq) FROM objects), 0) AS TEXT) "
    "WHERE key = 'screening_cursor' "
    "AND CAST(value AS INTEGER) > COALESCE((SELECT MAX(seq) FROM objects), 0); END")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER screening_cursor_behind_a_removed_newest")
