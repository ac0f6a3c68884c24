"""TLP on every stored version: its level, its creator, who posted it, whom it is addressed to.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("collections") as batch:
        # Unmarked objects are read as AMBER unless the collection says otherwise.
        batch.add_column(sa.Column("default_tlp", sa.Integer, nullable=False,
                                   server_default="2"))
    with op.batch_alter_table("objects") as batch:
        batch.add_column(sa.Column("tlp", sa.Integer, nullable=True))
        batch.add_column(sa.Column("creator_id", sa.String(300), nullable=True))
        batch.add_column(sa.Column("poster_id", sa.String(100), nullable=True))
    op.create_table(
        "recipients",
        sa.Column("seq", sa.Integer, sa.ForeignKey("objects.seq", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("party_id", sa.String(300), primary_key=True),
    )
    op.create_index("ix_recipients_party", "recipients", ["party_id", "seq"])
    _mark_existing_objects()


def _mark_existing_objects() -> None:
    """Versions stored before this migration get their level and creator from their JSON."""
    import orjson

    from accord.trust.markings import tlp_of

    conn = op.get_bind()
    objects = sa.table("objects", sa.column("seq", sa.Integer), sa.column("body", sa.LargeBinary),
                       sa.column("tlp", sa.Integer), sa.column("creator_id", sa.String))
    rows = conn.execute(sa.select(objects.c.seq, objects.c.body)).all()
    updates = []
    for seq, body in rows:
        obj = orjson.loads(body)
        level = tlp_of(obj)
        creator = obj.get("created_by_ref")
        if level is not None or creator is not None:
            updates.append({"row_seq": seq, "tlp": None if level is None else int(level),
                            "creator_id": creator})
    if updates:
        conn.execute(objects.update().where(objects.c.seq == sa.bindparam("row_seq"))
                     .values(tlp=sa.bindparam("tlp"), creator_id=sa.bindparam("creator_id")),
                     updates)


def downgrade() -> None:
    op.drop_index("ix_recipients_party", "recipients")
    op.drop_table("recipients")
    with op.batch_alter_table("objects") as batch:
        batch.drop_column("poster_id")
        batch.drop_column("creator_id")
        batch.drop_column("tlp")
    with op.batch_alter_table("collections") as batch:
        batch.drop_column("default_tlp")
