"""TLS between nodes: each peer's pin (its certificate or a CA) and the client certificate this
node presents to it. Peers added before keep no pin: an https:// one must be re-pinned
(`accord peer repin`) before it is synced again, an http:// one stays insecure.

Revision ID: 0014
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("peers", sa.Column("tls_pin_kind", sa.String(16), nullable=True))
    op.add_column("peers", sa.Column("tls_pin", sa.Text, nullable=True))
    op.add_column("peers", sa.Column("tls_client_cert", sa.String(4096), nullable=True))
    op.add_column("peers", sa.Column("tls_client_key", sa.String(4096), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("peers") as batch:
        for column in ("tls_client_key", "tls_client_cert", "tls_pin", "tls_pin_kind"):
            batch.drop_column(column)
