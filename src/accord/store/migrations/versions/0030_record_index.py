"""The attribution record filed by what each version is about: every version of a claim under
its subject, of a position (an opinion carrying Accord's attribution extension) under the claim
it answers, so that the view of a subject or of a claim reads its own claims and positions, not
the whole record (attribution.record). What is already stored is filed here.

Revision ID: 0030
Revises: 0029
"""

from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

# As attribution.objects had them when this migration was written (frozen here: a migration
# must do the same thing whenever it runs).
_CLAIM = "x-accord-claim"
_EXTENSION_ID = "extension-definition--9d3b2f61-7c1a-4e55-8f0b-2a6e4c9d1b37"
_CHUNK = 1000


def upgrade() -> None:
    op.create_table(
        "record_index",
        sa.Column("seq", sa.Integer, sa.ForeignKey("objects.seq", ondelete="CASCADE"),
                  primary_key=True, autoincrement=False),
        sa.Column("filed_under", sa.String(300), nullable=False),
        sa.Column("object_id", sa.String(300), nullable=False),
    )
    op.create_index("ix_record_index_filed", "record_index", ["filed_under", "object_id"])
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(sa.text(
            "SELECT seq, body FROM objects WHERE type IN (:claim, 'opinion') AND seq > :last "
            "ORDER BY seq LIMIT :chunk"), {"claim": _CLAIM, "last": last, "chunk": _CHUNK}).all()
        if not rows:
            return
        filed = [{"seq": seq, "under": under, "id": oid} for seq, body in rows
                 for under, oid in [_filed(orjson.loads(body))] if under is not None]
        if filed:
            conn.execute(sa.text("INSERT INTO record_index (seq, filed_under, object_id) "
                                 "VALUES (:seq, :under, :id)"), filed)
        last = rows[-1][0]


def _filed(obj: dict[str, Any]) -> tuple[str | None, str]:
    oid = str(obj.get("id"))
    if obj.get("type") == _CLAIM:
        subject = obj.get("subject_ref")
        return (subject if isinstance(subject, str) else None), oid
    extensions = obj.get("extensions")
    refs = obj.get("object_refs")
    if isinstance(extensions, dict) and _EXTENSION_ID in extensions and isinstance(refs, list) \
            and len(refs) == 1 and isinstance(refs[0], str):
        return refs[0], oid
    return None, oid


def downgrade() -> None:
    op.drop_index("ix_record_index_filed", "record_index")
    op.drop_table("record_index")
