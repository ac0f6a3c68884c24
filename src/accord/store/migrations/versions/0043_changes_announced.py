"""PostgreSQL: every statement that writes a table a TAXII page is read from (objects,
recipients, walk_marks) announces it, `NOTIFY accord_changed` with the table's schema, sent
when its transaction commits; a serving process that remembers pages forgets them when it hears
it (store.page_memo). Statement-level triggers: a COPY of thousands of rows announces once, and
PostgreSQL sends one notification per transaction for the same channel and schema. SQLite:
nothing (its reads are in process, and nothing is remembered).

Revision ID: 0043
Revises: 0042
"""

from alembic import op

revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None

# As store.page_memo names them (frozen here: a migration must do the same whenever it runs).
_TABLES = ("objects", "recipients", "walk_marks")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("CREATE FUNCTION accord_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
               "BEGIN PERFORM pg_notify('accord_changed', TG_TABLE_SCHEMA); RETURN NULL; END $$")
    for table in _TABLES:
        op.execute(f"CREATE TRIGGER accord_changed_{table} AFTER INSERT OR UPDATE OR DELETE OR "
                   f"TRUNCATE ON {table} FOR EACH STATEMENT "
                   "EXECUTE FUNCTION accord_announce_change()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table in _TABLES:
        op.execute(f"DROP TRIGGER accord_changed_{table} ON {table}")
    op.execute("DROP FUNCTION accord_announce_change()")
