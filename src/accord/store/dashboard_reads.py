"""What the dashboard reads of a party's requests (store.summary_reads.SummaryReads.dashboard):
how many are in each state, what needs the party first, and the newest running requests in
each direction, each from the party's part of one index of `request_readers`, by statements
built once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    String,
    bindparam,
    case,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.sql import CompoundSelect, Select

from accord.cooperation.summary import ON_TIME_STATES
from accord.store.summary_rows import (
    ACTIONS,
    FAR,
    OPEN_SETTLED,
    Counts,
    Listed,
    joined,
    late,
    listed_of,
    may_read_requests,
    still_running,
)
from accord.store.summary_tables import request_readers, request_summaries

_R = request_readers.c


@dataclass(frozen=True, slots=True)
class Dashboard:
    counts: Counts
    needs: list[Listed]  # what needs the party first (SummaryReads.needing_action)
    incoming: list[Listed]  # the newest running requests addressed to the party
    outgoing: list[Listed]  # the newest running requests it sent (or was let see)


# The dashboard's statements, built once (building one costs more than running it) with
# their values bound per call: the party, the moment (`now`), the limit of each list and the
# ids of what needs the party first.
_PARTY, _MOMENT = bindparam("party", type_=String), bindparam("moment", type_=String)
_LIMIT = bindparam("limit", type_=Integer)


@lru_cache(maxsize=1)
def _counts_statement() -> Select[Any]:
    """One pass over the party's part of one index (ix_request_readers_counts), in its order."""
    return (select(_R.role, _R.settled_state, func.count(),
                   func.sum(case((late(_MOMENT), 1), else_=0)),
                   func.sum(case((_R.action != "", 1), else_=0)))
            .where(_R.party_id == _PARTY, may_read_requests(_PARTY))
            .group_by(_R.role, _R.settled_state))


def counts_in(conn: Connection, party: str, moment: str) -> Counts:
    by_state: Counter[str] = Counter()
    incoming = outgoing = 0
    for role, settled, count, overdue, acts in conn.execute(
            _counts_statement(), {"party": party, "moment": moment}):
        overdue = overdue if settled in ON_TIME_STATES else 0
        by_state[settled] += count - overdue
        by_state["overdue"] += overdue
        running = count if settled in OPEN_SETTLED else acts
        if role == "addressee":
            incoming += running
        else:
            outgoing += running
    return Counts({state: n for state, n in by_state.items() if n}, incoming, outgoing)


@lru_cache(maxsize=1)
def _needs_statement() -> CompoundSelect:
    """A running request's next deadline is the one it would miss (`overdue_after`), a
    finished one has none: so each group of the party's index rows (escalated or not, per
    action, with a deadline or not) is read in the order of ix_request_readers_needs, `limit`
    rows of each, in one statement (one round trip), each group a subquery with its own
    order."""
    base = select(_R.request_id, _R.role, _R.action, _R.overdue_after, _R.sort_time,
                  _R.is_escalated).where(_R.party_id == _PARTY)
    groups = []
    for escalated in (True, False):
        for action in ACTIONS if escalated else ACTIONS[1:]:
            group = base.where(_R.is_escalated == literal(escalated), _R.action == action)
            # By deadline alone, the index's order: a read stops after `limit` rows. The
            # late come first in it, as they do below. (Ties are broken below, among the
            # rows read: only more than `limit` rows with the very same deadline, to the
            # microsecond, could be cut unfairly.)
            groups += [group.where(_R.overdue_after.is_not(None)).order_by(_R.overdue_after),
                       # Newest first, as the index runs backwards: overdue_after (all NULL
                       # here) leads the order so that PostgreSQL sees it; ordered by
                       # sort_time alone it walked every row of the party (IS NULL is no
                       # equality to the planner), 140 ms for 50,000 requests.
                       group.where(_R.overdue_after.is_(None))
                       .order_by(_R.overdue_after.desc(), _R.sort_time.desc(),
                                 _R.request_id.desc())]
    return union_all(*(select(group.limit(_LIMIT).subquery()) for group in groups))


def needing_action_in(conn: Connection, party: str, moment: str, limit: int) -> list[Any]:
    """The index rows of what needs the party first, in order, `limit` of them (the caller
    has asked that the party may read the requests collection)."""
    candidates = list(conn.execute(_needs_statement(),
                                   {"party": party, "limit": limit}))
    candidates.sort(key=lambda r: r.request_id)
    candidates.sort(key=lambda r: r.sort_time, reverse=True)
    candidates.sort(key=lambda r: (
        0 if r.is_escalated or (r.overdue_after or FAR) < moment else 1,
        r.overdue_after or FAR))
    return candidates[:limit]


@lru_cache(maxsize=4)
def _lists_statement(by_ids: bool, running: bool) -> CompoundSelect:
    """`by_ids`: the summaries of the requests named (bound as "ids"); `running`: the `limit`
    newest running requests addressed to the party, and those it sent (or was let see).
    Each branch a subquery: its order and limit hold inside a UNION on both backends.
    Running or not does not depend on the time."""
    columns = (request_summaries, _R.role, _R.action)
    branches = []
    if by_ids:
        branches.append(joined(*columns, literal(0).label("list")).where(
            _R.party_id == _PARTY, _R.request_id.in_(bindparam("ids", expanding=True))))
    if running:
        for number, incoming in ((1, True), (2, False)):
            branches.append(
                joined(*columns, literal(number).label("list"))
                .where(_R.party_id == _PARTY, may_read_requests(_PARTY), still_running(),
                       _R.role == "addressee" if incoming else _R.role != "addressee")
                .order_by(_R.sort_time.desc(), _R.request_id.desc()).limit(_LIMIT))
    return union_all(*(select(b.subquery()) for b in branches))


def lists_in(conn: Connection, party: str, order: list[Any], *, running: int
           ) -> tuple[list[Listed], list[Listed], list[Listed]]:
    """The summaries of `order` (index rows of needing_action_in), and the `running` newest
    running requests in each direction: one statement."""
    lists: tuple[list[Listed], list[Listed], list[Listed]] = ([], [], [])
    if not order and not running:
        return lists
    found: dict[str, Listed] = {}
    values = {"party": party, "ids": [r.request_id for r in order], "limit": running}
    for row in conn.execute(_lists_statement(bool(order), bool(running)), values).mappings():
        if row["list"] == 0:
            found[row["request_id"]] = listed_of(row)
        else:
            lists[row["list"]].append(listed_of(row))
    lists[0].extend(found[r.request_id] for r in order if r.request_id in found)
    for newest_first in lists[1:]:  # as each branch ordered them (a UNION promises no order)
        newest_first.sort(key=lambda i: (i.summary.sort_time, i.summary.request_id),
                          reverse=True)
    return lists
