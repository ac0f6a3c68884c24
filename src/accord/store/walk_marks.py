"""Where a reader's poll got to through rows hidden from it, for a client that does not follow
`next` (table walk_marks).

A TAXII page walks a bounded number of rows for its reader (ObjectQuery.most_walked). Where
every row walked was hidden from the reader, the page is empty, says `more`, and its `next`
token (sealed: taxii.filters.PagingTokens) goes on from where the walk stopped. It has no
X-TAXII-Date-Added-Last header, which would name the date_added of a row the reader may not
read. A client that pages by `added_after` alone (TAXII 2.1 §3.5 allows it) asks for the same
page again, and would be answered the same empty page for ever: one party posting as many
rows marked for others only as a walk's bound into a shared collection would stop every
other reader's poller there.

So the node remembers, per reader party and poll (collection, filters, `added_after`), where
such a walk stopped, and the same poll asked again goes on from there: each repetition walks
the next stretch, and the reader meets the first row it may read after the hidden ones. What
the client is told is what `next` would have told it, nothing more: an empty page, or the
rows it may read with their own dates.

A mark says that the reader may read no row from the poll's `added_after` to where the walk
stopped. Rows added later are added after it (date_added is the time of adding), so a mark
stays true; one that is not used for KEEP seconds is forgotten, and a party keeps LIMIT of
them at most (the least recently used go first). A mark is written only after a walk of a
whole bound of hidden rows, which bounds how fast a party can write them. In the primary, so
that every host of a node resumes the same poll, and a greater mark is never moved back by a
host that walked less far.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, Connection, Engine, Index, String, Table, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from accord.stix.timestamps import format_timestamp
from accord.store.engine import is_sqlite, writing
from accord.store.query import ObjectQuery
from accord.store.schema import metadata

KEEP = timedelta(days=7)  # a poller stalled behind hidden rows polls again well within it
LIMIT = 1_000  # marks a party keeps

# Migration 0039 creates it.
walk_marks = Table(
    "walk_marks",
    metadata,
    Column("party_id", String(100), primary_key=True),
    Column("poll", String(64), primary_key=True),  # sha-256 of what the poll asks (poll_key)
    Column("reached", String(40), nullable=False),  # a date_added: where the walk stopped
    Column("used", String(40), nullable=False),  # a STIX timestamp: when last written
)
Index("ix_walk_marks_used", walk_marks.c.party_id, walk_marks.c.used)


def resumable(query: ObjectQuery) -> bool:
    """Whether a mark may stand for where `query` starts: a poll by a reader, bounded, oldest
    first, not already continuing from a `next` token."""
    return query.reader is not None and query.most_walked is not None \
        and query.after is None and not query.newest_first


def poll_key(collection_id: str, query: ObjectQuery) -> str:
    """What decides which rows a poll walks and which the reader may read of them: the
    collection, its unmarked objects' level, the filters and where it starts. Not its limit
    or whether it reads bodies (a page of objects and of the manifest walk alike)."""
    assert query.reader is not None
    said = "\n".join((
        collection_id, str(query.reader.default_tlp), ",".join(query.ids),
        ",".join(query.types), ",".join(sorted(query.versions)),
        ",".join(query.spec_versions), query.added_after or ""))
    return hashlib.sha256(said.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class WalkMarks:
    """The marks of one node's database (reads on the caller's connection, writes on the
    primary)."""

    engine: Engine

    def reached(self, conn: Connection, collection_id: str, query: ObjectQuery) -> str | None:
        """Where an earlier walk of this poll stopped for its reader, if one did."""
        assert query.reader is not None
        m = walk_marks.c
        return conn.execute(select(m.reached).where(
            m.party_id == query.reader.party_id,
            m.poll == poll_key(collection_id, query))).scalar()

    def keep(self, collection_id: str, query: ObjectQuery, reached: str,
             now: datetime) -> None:
        """The walk of `query` (as the client asked it) stopped at `reached`, having found
        nothing its reader may read."""
        assert query.reader is not None
        party = query.reader.party_id
        used = format_timestamp(now)
        m = walk_marks.c
        on_sqlite = is_sqlite(self.engine)
        insert = (sqlite.insert if on_sqlite else postgresql.insert)(walk_marks).values(
            party_id=party, poll=poll_key(collection_id, query), reached=reached, used=used)
        greatest = func.max if on_sqlite else func.greatest  # (SQLite's max of two values)
        with writing(self.engine) as conn:
            conn.execute(insert.on_conflict_do_update(
                index_elements=[m.party_id, m.poll],
                set_={"reached": greatest(m.reached, insert.excluded.reached), "used": used}))
            conn.execute(delete(walk_marks).where(
                m.party_id == party, m.used < format_timestamp(now - KEEP)))
            beyond = (select(m.poll).where(m.party_id == party).order_by(m.used.desc())
                      .offset(LIMIT).scalar_subquery())
            conn.execute(delete(walk_marks).where(m.party_id == party, m.poll.in_(beyond)))
