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


# TLP marking-definition ids and their levels as they stood when this migration was written
# (frozen here: a migration must do the same thing whenever it runs).
_LEVELS = {
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": 0,
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": 0,
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": 1,
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": 1,
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": 2,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": 2,
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": 3,
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": 4,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": 4,
}


def _level(obj: dict) -> int | None:
    refs = list(obj.get("object_marking_refs") or [])
    refs += [g.get("marking_ref") for g in obj.get("granular_markings") or []
             if isinstance(g, dict)]
    levels = [_LEVELS[r] for r in refs if r in _LEVELS]
    return max(levels) if levels else None


def _mark_existing_objects() -> None:
    """Versions stored before this migration get their level and creator from their JSON.

    Who posted them was not recorded: poster_id stays empty, so they are read by level,
    creator and recipients alone.
    """
    import orjson

    conn = op.get_bind()
    objects = sa.table("objects", sa.column("seq", sa.Integer), sa.column("body", sa.LargeBinary),
                       sa.column("tlp", sa.Integer), sa.column("creator_id", sa.String))
    set_marking = (objects.update().where(objects.c.seq == sa.bindparam("row_seq"))
                   .values(tlp=sa.bindparam("tlp"), creator_id=sa.bindparam("creator_id")))
    after = 0
    while True:  # in batches, by seq: a large store does not have to fit in memory
        rows = conn.execute(sa.select(objects.c.seq, objects.c.body)
                            .where(objects.c.seq > after).order_by(objects.c.seq)
                            .limit(2000)).all()
        if not rows:
            return
        updates = []
        for seq, body in rows:
            obj = orjson.loads(body)
            level, creator = _level(obj), obj.get("created_by_ref")
            if level is not None or creator is not None:
                updates.append({"row_seq": seq, "tlp": level, "creator_id": creator})
        if updates:
            conn.execute(set_marking, updates)
        after = rows[-1][0]


def downgrade() -> None:
    op.drop_index("ix_recipients_party", "recipients")
    op.drop_table("recipients")
    with op.batch_alter_table("objects") as batch:
        batch.drop_column("poster_id")
        batch.drop_column("creator_id")
        batch.drop_column("tlp")
    with op.batch_alter_table("collections") as batch:
        batch.drop_column("default_tlp")
