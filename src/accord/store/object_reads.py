"""Every version of every STIX object, per collection, as readers ask for them: a page (a
TAXII read, a listing, an export's), whether an object is there, who made its versions.
store.objects adds the writes (ObjectStore)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import OperationalError

from accord import clock as node_clock
from accord.store import held_bodies
from accord.store.body_cache import BodyCache
from accord.store.engine import is_sqlite, reading, snapshot
from accord.store.page_memo import PageMemo
from accord.store.query import ALL, Cursor, ObjectQuery, Page, Reader, StoredVersion
from accord.store.reads import versions, walked_to
from accord.store.schema import objects
from accord.store.walk_marks import WalkMarks, resumable
from accord.store.walks import Walks

CHUNK = 500  # ids per IN (…) list: well under every backend's bound-parameter limit


class ObjectReads:
    """The reading half of the store (store.objects.ObjectStore is the whole), with what the
    process keeps of what it read: bodies, walks' counts, and, while serving, pages."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self._sqlite = is_sqlite(engine)
        # PostgreSQL: the bodies of the pages asked for again, kept in this process.
        self.bodies = BodyCache()
        # How many rows each collection holds that not every reader may read (kept a while).
        self.walks = Walks()
        # Where a reader's polls got to through rows hidden from it (in the database).
        self.marks = WalkMarks(engine)
        # The pages a serving process remembers (store.page_memo), set while it serves.
        self.pages: PageMemo | None = None
        # What date_added is taken from; tests of deadlines pass their own clock.
        self.clock = clock or node_clock.now

    # -- reading ---------------------------------------------------------------------------

    def exists(self, collection_id: str, object_id: str, reader: Reader | None = None) -> bool:
        """Whether any version of the object is there (that `reader` may see)."""
        query = ObjectQuery(versions=frozenset({ALL}), limit=1, reader=reader, bodies=False)
        with reading(self.engine) as conn:
            return bool(self._select(conn, collection_id, query, object_id, 1)[0])

    def count(self, collection_id: str) -> int:
        with self.engine.connect() as conn:
            return conn.execute(
                select(func.count()).select_from(objects)
                .where(objects.c.collection_id == collection_id)
            ).scalar_one()

    def authors(self, seqs: Sequence[int]) -> dict[int, tuple[str | None, str | None]]:
        """For each stored version of `seqs`: its creator (created_by_ref) and its poster."""
        o = objects.c
        found: dict[int, tuple[str | None, str | None]] = {}
        with reading(self.engine) as conn:
            for start in range(0, len(seqs), CHUNK):
                found.update({seq: (creator, poster) for seq, creator, poster in conn.execute(
                    select(o.seq, o.creator_id, o.poster_id)
                    .where(o.seq.in_(seqs[start:start + CHUNK])))})
        return found

    def page(self, collection_id: str, query: ObjectQuery, object_id: str | None = None, *,
             polled: bool = False) -> Page:
        """The page that answers `query`. `polled`: a client's TAXII read, which a client
        that does not follow `next` asks again as it was (store.walk_marks): where an
        earlier page of it walked only rows hidden from its reader, it goes on from there.
        A serving process on PostgreSQL answers it from memory while nothing it was read
        from changed (store.page_memo)."""
        memo = self.pages
        if memo is None:
            return self._asked(collection_id, query, object_id, polled)
        key = (collection_id, query, object_id, polled)
        kept, generation = memo.get(key)
        if kept is not None:
            return kept
        page = self._asked(collection_id, query, object_id, polled)
        memo.put(key, page, generation)
        return page

    def _asked(self, collection_id: str, query: ObjectQuery, object_id: str | None,
               polled: bool) -> Page:
        asked = query
        if query.most_walked is not None:  # (a read by id, or any without a bound: none)
            with reading(self.engine) as conn:
                query = self.walks.bounded(conn, collection_id, query, object_id)
                if polled and object_id is None and resumable(query):
                    reached = self.marks.reached(conn, collection_id, query)
                    if reached is not None:
                        query = replace(query, after=Cursor(reached, hidden=True))
        page = self._page(collection_id, query, object_id)
        if polled and not page.items and page.walked_to is not None and resumable(asked):
            try:
                self.marks.keep(collection_id, asked, page.walked_to, self.clock())
            except OperationalError as error:
                # (SQLite's write lock held past its timeout, say.) The page stands as it is:
                # without the mark, the same poll walks this stretch again; nothing is lost.
                logging.getLogger("accord").warning("where a poll's walk stopped was not "
                                                    "kept: %s", error)
        return page

    def _page(self, collection_id: str, query: ObjectQuery, object_id: str | None) -> Page:
        # A walked page and where its walk stopped are read in one snapshot: a version
        # written or deleted between the two would move the stop past a row the page did
        # not walk, and no page would hold it.
        with (reading if query.most_walked is None else snapshot)(self.engine) as conn:
            rows, cut = self._select(conn, collection_id, query, object_id, query.limit + 1)
            if cut or len(rows) > query.limit:
                return Page(rows[: query.limit], more=True)
            # Short of its limit: the rows ran out, or the page's walk met its bound
            # (ObjectQuery.most_walked), and the next page goes on from where it stopped,
            # that row included (a hidden Cursor is inclusive): this page leaves it out.
            stopped = walked_to(conn, collection_id, query, object_id)
        if stopped is None:
            return Page(rows, more=False)
        before = (lambda v: v.date_added > stopped) if query.newest_first \
            else (lambda v: v.date_added < stopped)
        return Page([v for v in rows if before(v)], more=True, walked_to=stopped)

    def _select(
        self, conn: Connection, collection_id: str, query: ObjectQuery, object_id: str | None,
        limit: int,
    ) -> tuple[list[StoredVersion], bool]:
        # First pages only (store.body_cache): what clients ask for again and again (a poll,
        # a dashboard, a list in the UI). The pages after it are walked once, in order, by
        # whoever pages a whole collection; keeping their bodies would cost each page more
        # than it saves (a loop paging ATT&CK by 50: 18 % more CPU a page, the bodies
        # pushed out before they were asked for again). And one object's versions are a body
        # or a few, which PostgreSQL sends for less than keeping them costs. A manifest reads
        # no bodies at all.
        if self._sqlite or object_id is not None or query.after is not None or not query.bodies:
            return versions(conn, collection_id, query, object_id, limit)
        return held_bodies.select(conn, self.bodies, collection_id, query, object_id, limit)
