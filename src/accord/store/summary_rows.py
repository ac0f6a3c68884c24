"""A request as a party's lists read it from the summaries (store.summaries): the row and
the conditions on it that the list (store.summary_reads) and the dashboard
(store.dashboard_reads) share — whether the party may read the requests collection, whether a
request is late, whether it still runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, or_, select, true
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from accord.cooperation.model import State
from accord.cooperation.summary import ACKNOWLEDGE, OPEN_STATES, RATE, RESPOND, Summary
from accord.stix.timestamps import parse_timestamp
from accord.store.schema import collections, permissions
from accord.store.summary_tables import request_readers, request_summaries

# The collection that holds every ledger on a node (cooperation.desk makes it on first use).
REQUESTS_ALIAS = "requests"
_R, _S = request_readers.c, request_summaries.c
# Still on the dashboard: open, or answered and waiting for the party to act (a rating).
OPEN_SETTLED = tuple(s for s in OPEN_STATES if s != "overdue")
FAR = "9999-12-31T23:59:59.999999Z"  # sorts after every deadline, on every backend
ACTIONS = ("", ACKNOWLEDGE, RESPOND, RATE)  # every value of request_readers.action


@dataclass(frozen=True, slots=True)
class Listed:
    """One request of a party's list: its summary, and the party's part in it."""

    summary: Summary
    role: str  # requester, addressee, shared
    action: str  # what the party should do next ("" for nothing)


@dataclass(frozen=True, slots=True)
class Counts:
    by_state: dict[str, int]  # every state with at least one request
    incoming: int  # running requests addressed to the party
    outgoing: int  # running requests it sent (or was let see)


def late(now: str | BindParameter[str]) -> ColumnElement[bool]:
    return and_(_R.overdue_after.is_not(None), _R.overdue_after < now)


def still_running() -> ColumnElement[bool]:
    return or_(_R.settled_state.in_(OPEN_SETTLED), _R.action != "")


def may_read_requests(party: str | BindParameter[str]) -> ColumnElement[bool]:
    """The party may read the requests collection (evaluated once per statement)."""
    return exists().where(permissions.c.collection_id == collections.c.id,
                          collections.c.alias == REQUESTS_ALIAS,
                          permissions.c.party_id == party, permissions.c.can_read == true())


def joined(*columns: Any) -> Select[Any]:
    return select(*columns).select_from(request_readers).join(
        request_summaries, _S.request_id == _R.request_id)


def moment_of(value: str | None) -> datetime | None:
    return None if value is None else parse_timestamp(value)


def listed_of(row: Any) -> Listed:
    settled: State = row["settled_state"]
    summary = Summary(
        # Who else may see it is kept in request_readers, not here: () when read back.
        row["request_id"], row["requester"], row["addressee"], (), row["kind"],
        row["category"], row["urgency"], row["summary"], row["description"], row["lang"],
        bool(row["is_exercise"]), parse_timestamp(row["created"]), moment_of(row["received"]),
        moment_of(row["acknowledge_by"]), moment_of(row["respond_by"]),
        bool(row["is_acknowledged"]), bool(row["is_answered"]), bool(row["is_rated"]),
        bool(row["is_escalated"]), settled, moment_of(row["overdue_after"]),
        parse_timestamp(row["last_act"]))
    return Listed(summary, row["role"], row["action"])
