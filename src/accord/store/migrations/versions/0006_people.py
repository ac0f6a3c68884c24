"""People and machine accounts of a party: every token belongs to one.

Revision ID: 0006
Revises: 0005
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    people = op.create_table(
        "people",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("party_id", sa.String(100), sa.ForeignKey("parties.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("created", sa.String(40), nullable=False),
        sa.UniqueConstraint("party_id", "name", name="uq_people_name"),
    )
    with op.batch_alter_table("tokens") as batch:
        batch.add_column(sa.Column("person_id", sa.String(40), nullable=True))
        batch.create_foreign_key("fk_tokens_person", "people", ["person_id"], ["id"])
    # Tokens made before people existed belong to the holder their label named, or to the
    # party's "automation" machine account when they had no label.
    conn = op.get_bind()
    tokens = sa.table("tokens", sa.column("id"), sa.column("party_id"), sa.column("name"),
                      sa.column("created"), sa.column("person_id"))
    holders: dict[tuple[str, str], str] = {}
    for token in conn.execute(sa.select(tokens.c.id, tokens.c.party_id, tokens.c.name,
                                        tokens.c.created)).all():
        name = token.name or "automation"
        key = (token.party_id, name)
        if key not in holders:
            holders[key] = str(uuid.uuid4())
            conn.execute(people.insert().values(
                id=holders[key], party_id=token.party_id, name=name,
                kind="person" if token.name else "machine", created=token.created))
        conn.execute(tokens.update().where(tokens.c.id == token.id)
                     .values(person_id=holders[key]))


def downgrade() -> None:
    with op.batch_alter_table("tokens") as batch:
        batch.drop_constraint("fk_tokens_person", type_="foreignkey")
        batch.drop_column("person_id")
    op.drop_table("people")
