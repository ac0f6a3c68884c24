"""What `accord export` hands out, read a page at a time: each collection's objects as its
reader may see them (the node's own party, or --for another party, who gets only what TLP 2.0
lets travel), each version once however many collections hold it, in bounded memory."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import orjson
from sqlalchemy import select

from accord.node import Node
from accord.store.bulk import among
from accord.store.directory import Collection, Party
from accord.store.query import ObjectQuery, Reader, StoredVersion
from accord.store.schema import objects
from accord.trust.markings import creator_permits_forwarding, may_forward, tlp_of

_IDS_PER_QUERY = 500  # ids per look-up of what an earlier collection handed out: an IN list


@dataclass(slots=True)
class Tally:
    """How many versions were handed out, and how many were withheld from the recipient."""

    exported: int = 0
    withheld: int = 0


@dataclass(frozen=True, slots=True)
class Export:
    """One export: the collections in order, the filters, and for whom (None: the node itself,
    its own party reading)."""

    node: Node
    collections: Sequence[Collection]
    query: ObjectQuery
    recipient: Party | None = None

    def bodies(self, tally: Tally) -> Iterator[bytes]:
        """The JSON of every version handed out, as read; `tally` counts them as they go.

        A version several collections hold is handed out from the first that hands it out.
        Which ones an earlier collection did is asked of the database a page at a time: no set
        of what was written grows with the export."""
        parties = frozenset(p.id for p in self.node.directory.parties())
        for n, collection in enumerate(self.collections):
            for page in self._pages(collection, self._query_for(collection)):
                handed = [item for item in page
                          if self._may_hand_on(item, collection, parties, tally)]
                already = self._handed_out_before(handed, self.collections[:n], parties)
                for item in handed:
                    if (item.id, item.version) not in already:
                        tally.exported += 1
                        yield item.body

    def _query_for(self, collection: Collection) -> ObjectQuery:
        # What the reader may read under each object's TLP: the node's own party, or the
        # recipient (then only the collections it may read: see `exportable`).
        reader = self.recipient or self.node.party
        return replace(self.query, reader=Reader(reader.id, int(collection.default_tlp)))

    def _pages(self, collection: Collection, query: ObjectQuery
               ) -> Iterator[list[StoredVersion]]:
        page = self.node.objects.page(collection.id, query)
        yield page.items
        while page.more:
            page = self.node.objects.page(collection.id, replace(query, after=page.next_cursor))
            yield page.items

    def _may_hand_on(self, item: StoredVersion, collection: Collection,
                     parties: frozenset[str], tally: Tally | None) -> bool:
        """Always for the node's own view; for another party, what TLP 2.0 lets travel, judged
        by the marking the version has (unmarked: its collection's level)."""
        if self.recipient is None:
            return True
        obj = orjson.loads(item.body)
        level = tlp_of(obj)
        if may_forward(collection.default_tlp if level is None else level,
                       creator_permits=creator_permits_forwarding(obj, parties)):
            return True
        if tally is not None:
            tally.withheld += 1
        return False

    def _handed_out_before(self, items: list[StoredVersion], earlier: Sequence[Collection],
                           parties: frozenset[str]) -> set[tuple[str, str]]:
        """Which of these versions (id, version) an earlier collection of the export handed
        out: at most a page of them. First the versions an earlier collection holds at all (one
        look-up by id); those few are then read through each such collection's own query, so
        that its filters, its reader's rights and its forwarding rules decide, as they did."""
        if not earlier or not items:
            return set()
        wanted = {(i.id, i.version) for i in items}
        held: set[tuple[str, str]] = set()
        with self.node.engine.connect() as conn:
            ids = sorted({i.id for i in items})
            for condition in among(conn, objects.c.id, ids):
                held.update((oid, version) for oid, version in conn.execute(
                    select(objects.c.id, objects.c.version).where(
                        objects.c.collection_id.in_([c.id for c in earlier]), condition)))
        candidates = sorted({oid for oid, version in held & wanted})
        handed: set[tuple[str, str]] = set()
        for collection in earlier if candidates else ():
            for start in range(0, len(candidates), _IDS_PER_QUERY):
                query = replace(self._query_for(collection),
                                ids=tuple(candidates[start:start + _IDS_PER_QUERY]))
                handed.update((item.id, item.version)
                              for page in self._pages(collection, query) for item in page
                              if self._may_hand_on(item, collection, parties, None))
        return handed & wanted


def exportable(node: Node, collections: Sequence[Collection], recipient: Party | None
               ) -> list[Collection]:
    """The collections an export for `recipient` may draw on: those it may read."""
    if recipient is None:
        return list(collections)
    return [c for c in collections
            if (found := node.directory.collection_for(recipient.id, c.id)) and found[1].can_read]
