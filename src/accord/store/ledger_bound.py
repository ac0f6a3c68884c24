"""How many entries one party may make in one request's ledger, and how much they may hold.

Every view of a request reads its ledger whole, so a participant posting status reports (or
translations) without end would make the request slow to open for everyone, and could bury
it: 1,000 reports of 20,000 characters made one request's page 121 MB, and each new act read
them all. Real ledgers hold tens of entries of a few pages each; one party may make
MOST_ENTRIES in one request's, holding MOST_BYTES in all (as stored: compact JSON), on every
path that stores them (the desk, TAXII, a peer's sync).

Counted against the party the entry names as its creator (a peer relays for several parties),
or its poster where that names no party here (made-up identities would spread one poster's
entries over as many counts). Not counted: what no party chooses to make, a node's receipts
(one per request or act) and the watcher's escalation of a passed deadline (one per
deadline), so neither party can crowd them out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, case, func, select

from accord.cooperation.digest import ledger_entry
from accord.cooperation.model import ESCALATION_REASONS, escalation_id
from accord.store.held_versions import parties_among
from accord.store.schema import ledger, objects, parties
from accord.words import how_large

MOST_ENTRIES = 1_000
MOST_BYTES = 2 * 2**20  # a hundred full-length reports in English, thirty in Chinese
_UNCOUNTED = ("x-accord-request", "x-accord-receipt", "x-accord-act-receipt")
# The watcher's escalation of a passed deadline is about a kilobyte. Its id is known to both
# parties (model.escalation_id), so one of theirs under it is exempt only as small as that:
# else four entries of any size (one per reason) would escape the bound.
WATCHER_MOST = 4 * 2**10
_CHUNK = 500  # request ids a statement


class EntriesMade:
    """The entries each party has made in each request's ledger, for one call that stores
    `incoming` as `poster_id`: read once, when the first entry needs it, and kept up as the
    call adds more."""

    def __init__(self, conn: Connection, incoming: Sequence[dict[str, Any]],
                 poster_id: str | None) -> None:
        self.conn, self.incoming, self.poster_id = conn, incoming, poster_id
        self.made: dict[tuple[str, str], Made] | None = None
        self.parties: frozenset[str] = frozenset()

    def refusal(self, obj: dict[str, Any], request_id: str | None, size: int) -> str | None:
        """Why `obj`, a new object of `size` bytes, may not be stored (its author's entries in
        the ledger are at the bound), or None, counting it."""
        if self.poster_id is None or request_id is None \
                or not is_counted(obj, request_id, size):
            return None  # the node's own, or no entry a party chooses to make
        if self.made is None:  # once a call, for every request it adds to
            self.parties = parties_among(self.conn, {
                o["created_by_ref"] for o in self.incoming if o.get("created_by_ref")})
            self.made = _made(self.conn, {
                (r, self._author(o)) for o in self.incoming
                for r in [ledger_entry(o)[0]] if r is not None})
        author = self._author(obj)
        made = self.made.get((request_id, author), Made(0, 0))
        if made.entries >= MOST_ENTRIES:
            return (f"the ledger of {request_id} holds {made.entries:,} entries of {author}, "
                    f"the most one party may add to one request ({MOST_ENTRIES:,}); no more "
                    "of its entries are taken")
        if made.size + size > MOST_BYTES:
            # In bytes: near the bound, sizes rounded to a tenth of a MiB would read alike.
            return (f"the entries of {author} in the ledger of {request_id} hold "
                    f"{made.size:,} bytes, and this one of {size:,} would take them past the "
                    f"most one party may write into one request ({MOST_BYTES:,} bytes, "
                    f"{how_large(MOST_BYTES)}); it was not taken into it")
        self.made[request_id, author] = Made(made.entries + 1, made.size + size)
        return None

    def _author(self, obj: dict[str, Any]) -> str:
        assert self.poster_id is not None
        creator = obj.get("created_by_ref")
        return creator if creator in self.parties else self.poster_id


def is_counted(obj: dict[str, Any], request_id: str, size: int) -> bool:
    """Whether `obj`, an entry of the ledger of `request_id` of `size` bytes, counts against
    its author."""
    if obj["type"] in _UNCOUNTED:
        return False
    return not (obj["type"] == "x-accord-escalation"
                and obj["id"] == escalation_id(request_id, str(obj.get("reason")))
                and size <= WATCHER_MOST)


@dataclass(frozen=True, slots=True)
class Made:
    """What one party has written into one request's ledger: its entries, and their bytes."""

    entries: int
    size: int


def made_by(conn: Connection, request_id: str, party_id: str) -> Made:
    """What `party_id` has written into the ledger of `request_id`, as the bound counts it."""
    return _made(conn, {(request_id, party_id)}).get((request_id, party_id), Made(0, 0))


def _made(conn: Connection, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], Made]:
    """For each (request, party) of `wanted`, the entries the ledger holds that count against
    the party, and their bytes."""
    o = objects.c
    # As EntriesMade._author: the party the entry names as its creator, else its poster.
    author = case((o.creator_id.in_(select(parties.c.id).scalar_subquery()), o.creator_id),
                  else_=o.poster_id)
    requests = sorted({r for r, _ in wanted})
    authors = sorted({a for _, a in wanted})  # a few: the poster, the parties it relays
    found: dict[tuple[str, str], Made] = {}
    for start in range(0, len(requests), _CHUNK):
        # The lengths come from each body's header (PostgreSQL's TOAST, SQLite's record),
        # not from reading the bodies.
        found.update({(r, a): Made(count, int(size or 0)) for r, a, count, size in conn.execute(
            select(ledger.c.request_id, author, func.count(), func.sum(func.length(o.body)))
            .select_from(ledger).join(objects, o.seq == ledger.c.seq)
            .where(ledger.c.request_id.in_(requests[start:start + _CHUNK]),
                   author.in_(authors), ledger.c.type.not_in(_UNCOUNTED),
                   ~and_(o.id.in_(_watchers(requests[start:start + _CHUNK])),
                         func.length(o.body) <= WATCHER_MOST))
            .group_by(ledger.c.request_id, author))})
    return found


def _watchers(requests: Sequence[str]) -> list[str]:
    """The ids the watcher gives its escalations of `requests` (as is_counted exempts them)."""
    return [escalation_id(r, reason) for r in requests for reason in ESCALATION_REASONS]
