"""The rows of each collection that not every reader may read (marked AMBER+STRICT or RED), by
date_added: how many a collection holds tells a TAXII page whether its reader's walk could run
long (store.objects, ObjectQuery.most_walked). A partial index: the rows every reader may read,
most of a node, are not in it.

Revision ID: 0031
Revises: 0030
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

_AMBER = 2  # trust.markings.Tlp.AMBER, as it was when this migration was written


def upgrade() -> None:
    closed = sa.text(f"tlp > {_AMBER}")
    op.create_index("ix_objects_closed", "objects", ["collection_id", "date_added"],
                    sqlite_where=closed, postgresql_where=closed)


def downgrade() -> None:
    op.drop_index("ix_objects_closed", "objects")
