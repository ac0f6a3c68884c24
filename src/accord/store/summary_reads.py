"""What a party's lists and dashboard read: its requests' summaries (store.summaries), a page
at a time, newest first, and how many are in each state — from indexes, never from ledgers.

A party lists only the requests it is a party to and may read (`request_readers`), and only
while it may read the requests collection: the rule the desk applies to ledgers. The rows and
conditions both share are store.summary_rows; the dashboard's statements store.dashboard_reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    func,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from accord.cooperation.summary import (
    ON_TIME_STATES,
    Filters,
)
from accord.cooperation.translations import Rendition
from accord.stix.timestamps import format_timestamp, is_timestamp, parse_timestamp
from accord.store.bulk import among
from accord.store.dashboard_reads import Dashboard, counts_in, lists_in, needing_action_in
from accord.store.engine import reading
from accord.store.request_words import Sought, holding
from accord.store.schema import ledger, objects
from accord.store.summary_rows import (
    Counts,
    Listed,
    joined,
    late,
    listed_of,
    may_read_requests,
)
from accord.store.summary_tables import request_readers, request_summaries
from accord.store.summary_translations import shown_to, translated_words

_R, _S = request_readers.c, request_summaries.c
_MOST_BY_ID = 1000  # requests a search found whose translations are read by id
# The party's requests the index may find for a search: more are read with all the party's,
# in one pass, rather than 500 by id at a time (100,000 "synthetic": 1.4 s by id).
_MOST_FOUND = 5000


@dataclass(frozen=True, slots=True)
class Words:
    """What a search of the list looks for words in, of one request."""

    request_id: str
    summary: str
    description: str
    requester: str
    addressee: str
    # The texts of the translations of its summary and description that the searching party
    # reads on the request's page (store.summary_translations), and of no other.
    translated: tuple[str, ...] = ()


Keeps = Callable[[Words], bool]


@dataclass(frozen=True, slots=True)
class ListPage:
    rows: list[Listed]
    total: int  # how many match, over every page
    after: str | None  # the cursor of the next page; None on the last
    # A search's (`searched`), by request id: the words each row was kept for, and the
    # translations of its texts the party reads, whole, for the row to show.
    words: Mapping[str, Words] = field(default_factory=dict)
    translations: Mapping[str, tuple[Rendition, ...]] = field(default_factory=dict)


class BadCursor(ValueError):
    """A page cursor this node did not make."""


def parties_of(engine: Engine, request_ids: Sequence[str]) -> set[str]:
    """The parties of these requests as stored here (requester, addressee, shared with)."""
    found: set[str] = set()
    r = request_readers.c
    with engine.connect() as conn:
        for condition in among(conn, r.request_id, sorted(set(request_ids))):
            found.update(conn.execute(select(r.party_id).where(condition)).scalars())
    return found


def cursor_of(listed: Listed) -> str:
    return f"{format_timestamp(listed.summary.sort_time)},{listed.summary.request_id}"


def _parse_cursor(cursor: str) -> tuple[str, str]:
    when, _, request_id = cursor.partition(",")
    if not is_timestamp(when) or not request_id.startswith("x-accord-request--"):
        raise BadCursor(f"after: {cursor[:100]!r} is not a cursor of this list (use the link "
                        "to the next page)")
    return format_timestamp(parse_timestamp(when)), request_id


def _in_state(state: str, now: str) -> ColumnElement[bool]:
    """A request is in `state` at `now` (cooperation.summary.state_at, in SQL)."""
    if state == "overdue":
        return and_(_R.settled_state.in_(ON_TIME_STATES), late(now))
    if state in ON_TIME_STATES:
        return and_(_R.settled_state == state, not_(late(now)))
    return _R.settled_state == state


def _where(party: str, filters: Filters, now: str, *, by_ids: bool = False
           ) -> list[ColumnElement[bool]]:
    """What the party's list keeps of its requests. `by_ids`: of requests named by id (a
    condition the caller adds); on SQLite the party's rows are then found from them, one by
    one (told `likely`: unless told, SQLite walked every row of the party in an index that
    covers the list's columns, each tested against the ids: 20 ms and more for 10 of 50,000,
    0.05 ms from the ids)."""
    mine = _R.party_id == party
    where: list[ColumnElement[bool]] = [func.likely(mine) if by_ids else mine,
                                        may_read_requests(party)]
    if filters.direction == "sent":
        where.append(_R.role == "requester")
    elif filters.direction == "received":
        where.append(_R.role == "addressee")
    if filters.state is not None:
        where.append(_in_state(filters.state, now))
    if filters.is_overdue is not None:
        where.append(late(now) if filters.is_overdue else not_(late(now)))
    if filters.party is not None:
        where.append(or_(_S.requester == filters.party, _S.addressee == filters.party))
    if filters.category is not None:
        where.append(_S.category == filters.category)
    if not filters.include_exercises:
        where.append(_S.is_exercise == literal(False))
    return where


def _filters_summaries(filters: Filters) -> bool:
    """Whether `_where` names a column of the summaries (else the readers' index answers)."""
    return filters.party is not None or filters.category is not None \
        or not filters.include_exercises


class SummaryReads:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def page(self, party: str, filters: Filters, now: datetime, *, limit: int = 200,
             after: str | None = None) -> ListPage:
        """The party's requests that match, newest first (by receipt, else creation), `limit`
        of them from `after` (a cursor of the page before)."""
        moment = format_timestamp(now)
        where = _where(party, filters, moment)
        stmt = joined(request_summaries, _R.role, _R.action).where(*where)
        if after is not None:
            when, request_id = _parse_cursor(after)
            stmt = stmt.where(or_(_R.sort_time < when,
                                  and_(_R.sort_time == when, _R.request_id < request_id)))
        stmt = stmt.order_by(_R.sort_time.desc(), _R.request_id.desc()).limit(limit + 1)
        with self.engine.connect() as conn:
            rows = [listed_of(r) for r in conn.execute(stmt).mappings()]
            counted = (joined(func.count()) if _filters_summaries(filters)
                       else select(func.count()).select_from(request_readers))
            total = conn.execute(counted.where(*where)).scalar_one()
        shown = rows[:limit]
        return ListPage(shown, total, cursor_of(shown[-1]) if len(rows) > limit else None)

    def searched(self, party: str, filters: Filters, now: datetime, keeps: Keeps, *,
                 sought: Sought | None = None, limit: int = 200, after: str | None = None
                 ) -> ListPage:
        """The party's requests that match `filters` and that `keeps` keeps, newest first,
        `limit` of them from `after`, and how many are kept in all. `keeps` is given each
        request's words (its id, summary, description, requester and addressee, and the
        translations of its texts the party reads): they are read for every match, as text,
        and only the page's summaries whole (a party of 50,000 requests searched in a tenth of
        the time that making each summary took); the page's words and translations come back
        with them. Given what `keeps` looks for (`sought`, a trigram or longer), only the
        requests the index of words finds may hold it are read (store.request_words): `keeps`
        still decides, on the same words."""
        narrowed = sought if sought is not None and sought.is_indexed else None
        position = _parse_cursor(after) if after is not None else None
        total, more = 0, False
        page: dict[str, Words] = {}
        with self.engine.connect() as conn:
            found = _words_found(conn, party, filters, format_timestamp(now), narrowed)
            # Many found: the party's translations read whole (one range of the primary key)
            # cost less than reading them by id.
            translated = translated_words(conn, party, None if narrowed is None
                                          or len(found) > _MOST_BY_ID else
                                          [row[1] for row in found])
            for when, request_id, summary, description, requester, addressee in found:
                said = Words(request_id, summary, description, requester, addressee,
                             translated.get(request_id, ()))
                if not keeps(said):
                    continue
                total += 1
                if position is not None and (when, request_id) >= position:
                    continue  # on a page before
                if len(page) < limit:
                    page[request_id] = said
                else:
                    more = True
            rows = [listed_of(r) for r in conn.execute(
                joined(request_summaries, _R.role, _R.action)
                .where(_R.party_id == party, _R.request_id.in_(list(page)))
                .order_by(_R.sort_time.desc(), _R.request_id.desc())).mappings()
                    ] if page else []
            shown = shown_to(conn, party, [i for i, w in page.items() if w.translated])
        return ListPage(rows, total, cursor_of(rows[-1]) if more and rows else None, page,
                        shown)

    def translations(self, party: str, request_ids: Sequence[str]
                     ) -> Mapping[str, tuple[Rendition, ...]]:
        """By request id, the translations of these requests' summaries and descriptions that
        `party` reads (its request page's), for the rows of a list to show beside them."""
        if not request_ids:
            return {}
        with reading(self.engine) as conn:
            return shown_to(conn, party, request_ids)

    def sent_since(self, requester: str, addressee: str, since: datetime) -> list[str]:
        """The ids of the requests `requester` sent `addressee` created at `since` or later
        (ix_request_summaries_sent), whoever may read them: what a new request may repeat."""
        stmt = select(_S.request_id).where(_S.requester == requester, _S.addressee == addressee,
                                           _S.created >= format_timestamp(since))
        with self.engine.connect() as conn:
            return list(conn.execute(stmt).scalars())

    def counts(self, party: str, now: datetime) -> Counts:
        """How many of the party's requests are in each state at `now`, and how many run in
        each direction."""
        with reading(self.engine) as conn:
            return counts_in(conn, party, format_timestamp(now))

    def needing_action(self, party: str, now: datetime, *, limit: int) -> list[Listed]:
        """What needs the party first (web.rows.by_urgency_of_action): something to do or
        an open escalation; overdue and escalated first, then by the nearest deadline, then
        the newest."""
        moment = format_timestamp(now)
        with reading(self.engine) as conn:
            if not conn.execute(select(may_read_requests(party))).scalar():
                return []
            order = needing_action_in(conn, party, moment, limit)
            return lists_in(conn, party, order, running=0)[0]

    def dashboard(self, party: str, now: datetime, *, limit: int) -> Dashboard:
        """What the dashboard shows of the party's requests: the counts, what needs the party
        first and the newest running requests in each direction (`limit` of each list). Three
        statements on one connection, whatever the number of requests: each round trip and
        checkout costs as much as a small read."""
        moment = format_timestamp(now)
        with reading(self.engine) as conn:
            counts = counts_in(conn, party, moment)
            if not counts.by_state:
                # Nothing it may list: no request, or no right to read the requests collection
                # (the counts ask both).
                return Dashboard(counts, [], [], [])
            order = needing_action_in(conn, party, moment, limit)
            needs, incoming, outgoing = lists_in(conn, party, order, running=limit)
        return Dashboard(counts, needs, incoming, outgoing)


def _words_found(conn: Connection, party: str, filters: Filters, now: str,
                 sought: Sought | None) -> list[Any]:
    """The words a search reads of the party's requests that `filters` keep, newest first:
    of every one, or (`sought`) of those the index finds may hold the text and of those whose
    other party's name holds it (as web.rows.mentions names the other party)."""
    columns = (_R.sort_time, _R.request_id, _S.summary, _S.description, _S.requester,
               _S.addressee)
    read = joined(*columns).where(*_where(party, filters, now))
    # Not a row past the bound: a common word's ids are not all read only to be dropped.
    ids = [] if sought is None else sorted(set(conn.execute(
        holding(conn, sought, party).limit(_MOST_FOUND + 1)).scalars()))
    if sought is None or len(ids) > _MOST_FOUND:
        return list(conn.execute(read.order_by(_R.sort_time.desc(), _R.request_id.desc())))
    # The index's ids first, then the party's rows of those.
    by_ids = joined(*columns).where(*_where(party, filters, now,
                                             by_ids=conn.dialect.name == "sqlite"))
    found = {row[1]: row for condition in among(conn, _S.request_id, ids)
             for row in conn.execute(by_ids.where(condition))}
    if sought.named:
        named = sorted(sought.named)
        found.update((row[1], row) for row in conn.execute(read.where(or_(
            and_(_S.addressee == party, _S.requester.in_(named)),
            and_(_S.addressee != party, _S.addressee.in_(named))))))
    # In the order the cursor is compared in (searched): times and ids are ASCII.
    return sorted(found.values(), key=lambda row: (row[0], row[1]), reverse=True)


# Who ends a request with an entry of each kind: cooperation.ledger counts no other maker's.
_ENDED_BY = {"x-accord-response": request_summaries.c.addressee,
             "x-accord-withdrawal": request_summaries.c.requester}


def ended_by(kinds: tuple[str, ...]) -> Select[Any]:
    """The ids of the requests whose ledger holds an entry of one of `kinds` made by the party
    that may end it so (a response by the addressee, a withdrawal by the requester): a forged
    one, stored by anyone else anywhere, must not hide a request from the deadline watcher."""
    entry, maker = ledger.alias("ending_entry"), objects.alias("ending_version")
    return (select(entry.c.request_id)
            .join(maker, maker.c.seq == entry.c.seq)
            .join(request_summaries, request_summaries.c.request_id == entry.c.request_id)
            .where(or_(*(and_(entry.c.type == kind, maker.c.creator_id == _ENDED_BY[kind])
                         for kind in kinds))))
