"""Reading the ledgers of requests: each as a party may see it, or as the node does (the
watcher, the review), from the collection that holds every ledger on a node. The desk
(cooperation.desk) makes requests and acts on them on top of this."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import CompoundSelect, and_, false, or_, select, true, union

from accord import clock
from accord.cooperation.digest import from_digest
from accord.cooperation.drafts import Actor
from accord.cooperation.ledger import RequestView, derive
from accord.cooperation.model import Entry, Ledger, Request
from accord.cooperation.objects import from_stix
from accord.cooperation.refusals import NoSuchRequest
from accord.cooperation.summary import Filters
from accord.memory import no_cyclic_gc
from accord.node import Node
from accord.stix.timestamps import format_timestamp
from accord.store.bulk import among
from accord.store.directory import Collection, DirectoryError
from accord.store.reads import entitled
from accord.store.schema import collections, ledger, objects, permissions
from accord.store.summary_reads import ended_by
from accord.store.summary_rows import REQUESTS_ALIAS
from accord.trust.markings import Tlp


def utc_now() -> datetime:
    return clock.now()


_MIDDLE = "x-accord-request--8"  # request ids are random (UUID v4): this splits them in two


def _received_between(start: datetime, end: datetime) -> CompoundSelect[Any]:
    """The requests the review of [start, end) may count: received then, or created then (the
    review itself leaves out those created then but received later). Two index range scans."""
    low, high = format_timestamp(start), format_timestamp(end)
    return union(*(select(ledger.c.request_id).where(ledger.c.type == kind,
                                                     ledger.c.time >= low, ledger.c.time < high)
                   for kind in ("x-accord-receipt", "x-accord-request")))


TRANSLATION_PREFIX = "language-content--"


class LedgerReads:
    """The ledgers of a node's requests, read."""

    def __init__(self, node: Node, clock: Callable[[], datetime] = utc_now) -> None:
        self.node = node
        self.clock = clock

    # -- where requests live -----------------------------------------------------------------

    def collection(self) -> Collection:
        """The collection that holds every ledger on this node, made on first use. Who sees
        which request is decided by each object's marking, not by this collection."""
        found = self._requests_collection()
        if found is not None:
            return found
        try:
            return self.node.directory.create_collection(
                "Requests", alias=REQUESTS_ALIAS, default_tlp=Tlp.RED,
                description="Requests for information and assistance, and their ledgers",
                read=[self.node.party], write=[self.node.party])
        except DirectoryError:
            # Made at the same moment by another worker (or the review's fork): use theirs.
            found = self._requests_collection()
            if found is None:
                raise
            return found

    def _requests_collection(self) -> Collection | None:
        return next((c for c in self.node.directory.all_collections()
                     if c.alias == REQUESTS_ALIAS), None)

    # -- reading ledgers ---------------------------------------------------------------------

    def view(self, actor: Actor | None, request_id: str) -> RequestView:
        return self._visible(actor, request_id)

    def _visible(self, actor: Actor | None, request_id: str) -> RequestView:
        found = self.ledgers(actor, [request_id])
        if not found:
            raise NoSuchRequest(f"no request {request_id!r} that you may see")
        return derive(found[0], self.clock())

    def ledgers(self, actor: Actor | None, request_ids: Sequence[str] | None = None, *,
                whole: bool = True, received: tuple[datetime, datetime] | None = None,
                half: int | None = None, among: set[str] | None = None,
                without: tuple[str, ...] = ()) -> list[Ledger]:
        """The ledgers `actor` may see (None: the node's own view, every ledger), each holding
        only the entries the actor may read. `whole=False` reads each entry's digest instead of
        the object: all that deadlines and the review need, many times faster. `received`
        [start, end): only requests received then (or, never received, created then), as the
        review counts them. `half` 0 or 1: only the requests whose id sorts below (0) or from
        (1) the middle of the UUID space, so that two processes can share the work. `among`:
        only these requests (filtered as rows are read, not in SQL). `without`: leave out the
        requests ended by an entry of one of these types (a response, a withdrawal) made by
        the party that may make it (store.summary_reads.ended_by): what the watcher need not
        look at again."""
        with no_cyclic_gc():
            if received is not None:
                found = self.received_between(*received)
                among = found if among is None else found & among
            return self._ledgers(actor, request_ids, whole, half, among, without)

    def received_between(self, start: datetime, end: datetime) -> set[str]:
        """The ids of the requests the review of [start, end) may count (_received_between)."""
        with self.node.engine.connect() as conn:
            return set(conn.execute(_received_between(start, end)).scalars())

    def _ledgers(self, actor: Actor | None, request_ids: Sequence[str] | None, whole: bool,
                 half: int | None, wanted: set[str] | None,
                 without: tuple[str, ...] = ()) -> list[Ledger]:
        o = objects.c
        params: dict[str, Any] = {}
        if actor is None and not whole:
            # The node's own view from the ledger table alone: entries are immutable (one
            # version each), and a copy stored in a second collection is the same entry.
            stmt = select(ledger.c.request_id, ledger.c.digest, ledger.c.object_id)
        else:
            collection = self.collection()
            stmt = (select(ledger.c.request_id, o.body if whole else ledger.c.digest,
                           ledger.c.object_id)
                    .select_from(ledger).join(objects, o.seq == ledger.c.seq)
                    .where(o.collection_id == collection.id, o.is_latest == true()))
        if actor is not None:
            # A few requests (a page of them, one request's view): the reader's receipt is
            # probed for each entry; for every ledger, the reader's receipts are hashed once
            # (a party receiving 130,000 objects: 1.1 s → ms for a page of 200 requests).
            stmt = stmt.where(entitled(objects, collections.c.default_tlp,
                                       probe_per_row=request_ids is not None)).join(
                collections, collections.c.id == o.collection_id).join(
                permissions, and_(permissions.c.collection_id == o.collection_id,
                                  permissions.c.party_id == actor.party.id,
                                  permissions.c.can_read == true()))
            params["reader"] = actor.party.id
        if without:
            stmt = stmt.where(ledger.c.request_id.not_in(ended_by(without)))
        if half is not None:
            # An expression, not the column: a scan of the table beats walking its index.
            key = ledger.c.request_id.concat("")
            stmt = stmt.where(key < _MIDDLE if half == 0 else key >= _MIDDLE)
        # With `wanted`, one pass over the ledger keeps only their rows: faster than an index
        # look-up per request.
        requests: dict[str, Request] = {}
        entries: dict[str, dict[str, Entry]] = {}
        with self.node.engine.connect() as conn:
            if request_ids is not None:
                # One array parameter on PostgreSQL: a prepared IN list of 200 ids gets a
                # generic plan that scans (store.bulk.among).
                stmt = stmt.where(or_(false(), *among(conn, ledger.c.request_id,
                                                      list(request_ids))))
            # In batches (fetchmany), not row by row: a tenth faster over half a million rows.
            rows = conn.execution_options(yield_per=5000).execute(stmt, params)
            for request_id, data, oid in rows:
                if wanted is not None and request_id not in wanted \
                        or oid.startswith(TRANSLATION_PREFIX):  # read by `translating`
                    continue
                item = (from_stix(orjson.loads(data)) if whole
                        else from_digest(oid, request_id, data))
                if isinstance(item, Request):
                    requests[request_id] = item
                else:
                    entries.setdefault(request_id, {})[oid] = item
        return [Ledger(request, tuple(entries[rid].values()) if rid in entries else ())
                for rid, request in requests.items()]

    def search(self, actor: Actor | None, filters: Filters = Filters(), *,
               without: tuple[str, ...] = ()) -> list[RequestView]:
        now = self.clock()
        views = [derive(ledger_, now) for ledger_ in self.ledgers(actor, without=without)]
        me = actor.party.id if actor is not None else None
        chosen = []
        for view in views:
            request = view.request
            if filters.direction == "sent" and request.requester != me:
                continue
            if filters.direction == "received" and request.addressee != me:
                continue
            if filters.state is not None and view.state != filters.state:
                continue
            if filters.is_overdue is not None and view.is_overdue != filters.is_overdue:
                continue
            if filters.party is not None and filters.party not in (request.requester,
                                                                   request.addressee):
                continue
            if filters.category is not None and request.category != filters.category:
                continue
            if not filters.include_exercises and request.is_exercise:
                continue
            chosen.append(view)
        chosen.sort(key=lambda v: (v.received or v.request.created, v.request.id), reverse=True)
        return chosen
