"""What a party's lists and dashboard read: its requests' summaries (store.summaries), a page
at a time, newest first, and how many are in each state — from indexes, never from ledgers.

A party lists only the requests it is a party to and may read (`request_readers`), and only
while it may read the requests collection: the rule the desk applies to ledgers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Engine,
    and_,
    case,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from accord.cooperation.model import State
from accord.cooperation.summary import (
    ACKNOWLEDGE,
    ON_TIME_STATES,
    OPEN_STATES,
    RATE,
    RESPOND,
    Filters,
    Summary,
)
from accord.stix.timestamps import format_timestamp, is_timestamp, parse_timestamp
from accord.store.schema import collections, permissions, request_readers, request_summaries

# The collection that holds every ledger on a node (cooperation.desk makes it on first use).
REQUESTS_ALIAS = "requests"
_R, _S = request_readers.c, request_summaries.c
# Still on the dashboard: open, or answered and waiting for the party to act (a rating).
_OPEN_SETTLED = tuple(s for s in OPEN_STATES if s != "overdue")
_FAR = "9999-12-31T23:59:59.999999Z"  # sorts after every deadline, on every backend
ACTIONS = ("", ACKNOWLEDGE, RESPOND, RATE)  # every value of request_readers.action


@dataclass(frozen=True, slots=True)
class Listed:
    """One request of a party's list: its summary, and the party's part in it."""

    summary: Summary
    role: str  # requester, addressee, shared
    action: str  # what the party should do next ("" for nothing)


@dataclass(frozen=True, slots=True)
class ListPage:
    rows: list[Listed]
    total: int  # how many match, over every page
    after: str | None  # the cursor of the next page; None on the last


@dataclass(frozen=True, slots=True)
class Counts:
    by_state: dict[str, int]  # every state with at least one request
    incoming: int  # running requests addressed to the party
    outgoing: int  # running requests it sent (or was let see)


class BadCursor(ValueError):
    """A page cursor this node did not make."""


def cursor_of(listed: Listed) -> str:
    return f"{format_timestamp(listed.summary.sort_time)},{listed.summary.request_id}"


def _parse_cursor(cursor: str) -> tuple[str, str]:
    when, _, request_id = cursor.partition(",")
    if not is_timestamp(when) or not request_id.startswith("x-accord-request--"):
        raise BadCursor(f"after: {cursor[:100]!r} is not a cursor of this list (use the link "
                        "to the next page)")
    return format_timestamp(parse_timestamp(when)), request_id


def _late(now: str) -> ColumnElement[bool]:
    return and_(_R.overdue_after.is_not(None), _R.overdue_after < now)


def _in_state(state: str, now: str) -> ColumnElement[bool]:
    """A request is in `state` at `now` (cooperation.summary.state_at, in SQL)."""
    if state == "overdue":
        return and_(_R.settled_state.in_(ON_TIME_STATES), _late(now))
    if state in ON_TIME_STATES:
        return and_(_R.settled_state == state, not_(_late(now)))
    return _R.settled_state == state


def _running() -> ColumnElement[bool]:
    return or_(_R.settled_state.in_(_OPEN_SETTLED), _R.action != "")


def may_read_requests(party: str) -> ColumnElement[bool]:
    """The party may read the requests collection (evaluated once per statement)."""
    return exists().where(permissions.c.collection_id == collections.c.id,
                          collections.c.alias == REQUESTS_ALIAS,
                          permissions.c.party_id == party, permissions.c.can_read == true())


def _where(party: str, filters: Filters, now: str) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [_R.party_id == party, may_read_requests(party)]
    if filters.direction == "sent":
        where.append(_R.role == "requester")
    elif filters.direction == "received":
        where.append(_R.role == "addressee")
    if filters.state is not None:
        where.append(_in_state(filters.state, now))
    if filters.is_overdue is not None:
        where.append(_late(now) if filters.is_overdue else not_(_late(now)))
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


def _joined(*columns: Any) -> Select[Any]:
    return select(*columns).select_from(request_readers).join(
        request_summaries, _S.request_id == _R.request_id)


class SummaryReads:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def page(self, party: str, filters: Filters, now: datetime, *, limit: int = 200,
             after: str | None = None) -> ListPage:
        """The party's requests that match, newest first (by receipt, else creation), `limit`
        of them from `after` (a cursor of the page before)."""
        moment = format_timestamp(now)
        where = _where(party, filters, moment)
        stmt = _joined(request_summaries, _R.role, _R.action).where(*where)
        if after is not None:
            when, request_id = _parse_cursor(after)
            stmt = stmt.where(or_(_R.sort_time < when,
                                  and_(_R.sort_time == when, _R.request_id < request_id)))
        stmt = stmt.order_by(_R.sort_time.desc(), _R.request_id.desc()).limit(limit + 1)
        with self.engine.connect() as conn:
            rows = [_listed(r) for r in conn.execute(stmt).mappings()]
            counted = (_joined(func.count()) if _filters_summaries(filters)
                       else select(func.count()).select_from(request_readers))
            total = conn.execute(counted.where(*where)).scalar_one()
        shown = rows[:limit]
        return ListPage(shown, total, cursor_of(shown[-1]) if len(rows) > limit else None)

    def every(self, party: str, filters: Filters, now: datetime) -> list[Listed]:
        """Every match, newest first (a search looks for words in them, in memory)."""
        where = _where(party, filters, format_timestamp(now))
        stmt = (_joined(request_summaries, _R.role, _R.action).where(*where)
                .order_by(_R.sort_time.desc(), _R.request_id.desc()))
        with self.engine.connect() as conn:
            return [_listed(r) for r in conn.execute(stmt).mappings()]

    def counts(self, party: str, now: datetime) -> Counts:
        """How many of the party's requests are in each state at `now`, and how many run in
        each direction: one pass over the party's part of one index, in its order."""
        moment = format_timestamp(now)
        stmt = (select(_R.role, _R.settled_state, func.count(),
                       func.sum(case((_late(moment), 1), else_=0)),
                       func.sum(case((_R.action != "", 1), else_=0)))
                .where(_R.party_id == party, may_read_requests(party))
                .group_by(_R.role, _R.settled_state))
        by_state: Counter[str] = Counter()
        incoming = outgoing = 0
        with self.engine.connect() as conn:
            for role, settled, count, late, acts in conn.execute(stmt):
                late = late if settled in ON_TIME_STATES else 0
                by_state[settled] += count - late
                by_state["overdue"] += late
                running = count if settled in _OPEN_SETTLED else acts
                if role == "addressee":
                    incoming += running
                else:
                    outgoing += running
        return Counts({state: n for state, n in by_state.items() if n}, incoming, outgoing)

    def running(self, party: str, *, incoming: bool, limit: int) -> list[Listed]:
        """The newest running requests addressed to the party (or sent by it): running or
        not does not depend on the time."""
        stmt = (_joined(request_summaries, _R.role, _R.action)
                .where(_R.party_id == party, may_read_requests(party), _running(),
                       _R.role == "addressee" if incoming else _R.role != "addressee")
                .order_by(_R.sort_time.desc(), _R.request_id.desc()).limit(limit))
        with self.engine.connect() as conn:
            return [_listed(r) for r in conn.execute(stmt).mappings()]

    def needing_action(self, party: str, now: datetime, *, limit: int) -> list[Listed]:
        """What needs the party first (web.rows.by_urgency_of_action): something to do or
        an open escalation; overdue and escalated first, then by the nearest deadline, then
        the newest. A running request's next deadline is the one it would miss
        (`overdue_after`), a finished one has none: so each group of the party's index rows
        (escalated or not, per action, late or not) is read in the index's order, `limit`
        rows of each, and the groups merged."""
        moment = format_timestamp(now)
        base = select(_R.request_id, _R.role, _R.action, _R.overdue_after, _R.sort_time,
                      _R.is_escalated).where(_R.party_id == party)
        groups = []
        for escalated in (True, False):
            for action in ACTIONS if escalated else ACTIONS[1:]:
                group = base.where(_R.is_escalated == literal(escalated), _R.action == action)
                dated = group.where(_R.overdue_after.is_not(None))
                # By deadline alone, the index's order: a read stops after `limit` rows.
                # (Ties are broken below, among the rows read: only more than `limit` rows
                # with the very same deadline, to the microsecond, could be cut unfairly.)
                groups += [dated.where(_R.overdue_after < moment).order_by(_R.overdue_after),
                           dated.where(_R.overdue_after >= moment).order_by(_R.overdue_after),
                           group.where(_R.overdue_after.is_(None))
                           .order_by(_R.sort_time.desc())]
        with self.engine.connect() as conn:
            if not conn.execute(select(may_read_requests(party))).scalar():
                return []
            # One statement, one round trip: each group a subquery with its own order.
            candidates = list(conn.execute(union_all(
                *(select(group.limit(limit).subquery()) for group in groups))))
            candidates.sort(key=lambda r: r.request_id)
            candidates.sort(key=lambda r: r.sort_time, reverse=True)
            candidates.sort(key=lambda r: (
                0 if r.is_escalated or (r.overdue_after or _FAR) < moment else 1,
                r.overdue_after or _FAR))
            order = candidates[:limit]
            found = {r["request_id"]: r for r in conn.execute(select(request_summaries).where(
                _S.request_id.in_([r.request_id for r in order]))).mappings()}
        return [_listed({**found[r.request_id], "role": r.role, "action": r.action})
                for r in order if r.request_id in found]


def _moment(value: str | None) -> datetime | None:
    return None if value is None else parse_timestamp(value)


def _listed(row: Any) -> Listed:
    settled: State = row["settled_state"]
    summary = Summary(
        # Who else may see it is kept in request_readers, not here: () when read back.
        row["request_id"], row["requester"], row["addressee"], (), row["kind"],
        row["category"], row["urgency"], row["summary"], row["description"], row["lang"],
        bool(row["is_exercise"]), parse_timestamp(row["created"]), _moment(row["received"]),
        _moment(row["acknowledge_by"]), _moment(row["respond_by"]),
        bool(row["is_acknowledged"]), bool(row["is_answered"]), bool(row["is_rated"]),
        bool(row["is_escalated"]), settled, _moment(row["overdue_after"]),
        parse_timestamp(row["last_act"]))
    return Listed(summary, row["role"], row["action"])

