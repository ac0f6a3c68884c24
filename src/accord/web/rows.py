"""A request as one row of a list: what it is, who with, and what it waits for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from accord.cooperation.ledger import RequestView

OPEN_STATES = ("submitted", "acknowledged", "in-progress", "overdue", "escalated")


@dataclass(frozen=True, slots=True)
class Row:
    id: str
    summary: str
    other: str  # the other party's name
    incoming: bool  # addressed to the viewer's party
    urgency: str
    kind: str
    state: str
    deadline: datetime | None  # the next deadline that still counts
    deadline_of: str  # "acknowledge" or "respond"
    is_overdue: bool
    is_escalated: bool
    is_exercise: bool
    action: str  # what the viewer's party should do next ("" when nothing)
    received: datetime | None
    sent: datetime | None = None  # when the requester made it (the request's `created`)
    description: str = ""
    other_id: str = ""  # the other party's identity id
    category: str = ""

    @property
    def short_id(self) -> str:
        """The first 8 hex digits of the UUID: enough to tell a party's requests apart, and
        what the requests page's search finds the request by."""
        return short_id(self.id)


def short_id(request_id: str) -> str:
    return request_id.rpartition("--")[2][:8]


def row(view: RequestView, me: str, names: Mapping[str, str]) -> Row:
    request = view.request
    incoming = request.addressee == me
    other = request.requester if incoming else request.addressee
    deadline, of = None, ""
    if view.state in OPEN_STATES:
        if view.acknowledged_at is None:
            deadline, of = view.acknowledge_by, "acknowledge"
        elif view.answered_at is None:
            deadline, of = view.respond_by, "respond"
    action = ""
    if view.state in OPEN_STATES and incoming:
        action = "Acknowledge" if view.acknowledged_at is None else "Respond"
    elif not incoming and view.state in ("answered", "declined") and view.rating is None:
        action = "Rate the response"  # a declined request is rated too: was the refusal fair?
    return Row(request.id, request.summary, names.get(other, other), incoming,
               request.urgency, request.kind, view.state, deadline, of, view.is_overdue,
               view.is_escalated, request.is_exercise, action, view.received, request.created,
               request.description, other, request.category)


def mentions(r: Row, text: str) -> bool:
    """The row's request holds `text` (case aside) in its summary, description or id, or in
    the other party's name or identity id."""
    needle = text.casefold()
    return any(needle in field.casefold()
               for field in (r.summary, r.description, r.id, r.other, r.other_id))


def by_urgency_of_action(rows: list[Row]) -> list[Row]:
    """What needs the viewer first: overdue and escalated, then nearest deadline, then the rest."""
    far = datetime.max.replace(tzinfo=None)

    def key(r: Row) -> tuple[int, datetime]:
        moment = r.deadline.replace(tzinfo=None) if r.deadline else far
        return (0 if (r.is_overdue or r.is_escalated) else 1, moment)

    return sorted(rows, key=key)
