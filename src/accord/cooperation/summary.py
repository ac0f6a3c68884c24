"""A request's summary: what lists and the dashboard show of it, derived from its view.

Pure. A summary is a cache of `ledger.derive`, never the source of truth: the store rebuilds it
from the ledger after every append (store.summaries) and can check it against the ledger. A
view's state depends on the clock only through deadlines passing, so a summary keeps the state
as it is while no deadline has passed (`settled_state`) and the moment after which the request
reads overdue (`overdue_after`); `state_at` gives the state at any instant from the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from accord.cooperation.ledger import RequestView, overdue_after
from accord.cooperation.model import State

# The states a deadline passing turns into "overdue" (ledger.RequestView.state's precedence).
ON_TIME_STATES: tuple[State, ...] = ("submitted", "acknowledged", "in-progress")
# A request still runs in these: the dashboard lists it (with "overdue", derived from them).
OPEN_STATES: tuple[State, ...] = ("submitted", "acknowledged", "in-progress", "overdue",
                                  "escalated")
FINISHED_STATES: tuple[State, ...] = ("closed", "withdrawn")
# What a party should do next, as lists say it (web.codes words them).
ACKNOWLEDGE, RESPOND, RATE = "Acknowledge", "Respond", "Rate the response"


@dataclass(frozen=True, slots=True)
class Filters:
    """Which of a party's requests a list shows."""

    direction: str | None = None  # "sent" or "received", from the actor's side
    state: str | None = None
    is_overdue: bool | None = None
    party: str | None = None  # the other party's identity id
    category: str | None = None
    include_exercises: bool = True


@dataclass(frozen=True, slots=True)
class Summary:
    request_id: str
    requester: str
    addressee: str
    shared_with: tuple[str, ...]
    kind: str
    category: str
    urgency: str
    summary: str
    description: str
    lang: str
    is_exercise: bool
    created: datetime
    received: datetime | None
    acknowledge_by: datetime | None
    respond_by: datetime | None
    is_acknowledged: bool
    is_answered: bool
    is_rated: bool
    is_escalated: bool  # an escalation is open (also after an answer: a dispute of it)
    settled_state: State  # the state while no deadline has passed: never "overdue"
    overdue_after: datetime | None  # past this instant a deadline is missed; None: none can be
    last_act: datetime  # the latest entry that counts (the request's creation without one)

    @property
    def sort_time(self) -> datetime:
        """Lists show the newest first: by receipt, else by creation (never received)."""
        return self.received or self.created

    @property
    def deadline(self) -> tuple[datetime | None, str]:
        """The next deadline that still counts and what it is for ("acknowledge" or
        "respond"); (None, "") once the request no longer runs."""
        if self.settled_state not in OPEN_STATES:
            return None, ""
        if not self.is_acknowledged:
            return self.acknowledge_by, "acknowledge"
        return self.respond_by, "respond"

    @property
    def is_running(self) -> bool:
        """Still on the dashboard: neither rated (closed) nor withdrawn."""
        return self.settled_state not in FINISHED_STATES


def summarise(view: RequestView) -> Summary:
    """The summary of `view`: the same at whatever `as_of` the view was derived for."""
    request = view.request
    settled = _settled_state(view)
    return Summary(
        request.id, request.requester, request.addressee, request.shared_with, request.kind,
        request.category, request.urgency, request.summary, request.description, request.lang,
        request.is_exercise, request.created, view.received, view.acknowledge_by,
        view.respond_by, view.acknowledged_at is not None, view.answered_at is not None,
        view.rating is not None, view.is_escalated, settled, overdue_after(view),
        max((e.time for e in view.entries), default=request.created))


def _settled_state(view: RequestView) -> State:
    state = view.state
    if state != "overdue":
        return state
    # Overdue only shadows the states below it in the precedence.
    if view.last_status_report_at is not None:
        return "in-progress"
    return "acknowledged" if view.acknowledged_at is not None else "submitted"


def is_overdue_at(summary: Summary, now: datetime) -> bool:
    return summary.overdue_after is not None and now > summary.overdue_after


def state_at(summary: Summary, now: datetime) -> State:
    """The state `derive(ledger, now).state` gives, from the summary alone."""
    if summary.settled_state in ON_TIME_STATES and is_overdue_at(summary, now):
        return "overdue"
    return summary.settled_state


def role_of(summary: Summary, party: str) -> str:
    """How `party` takes part: "requester", "addressee" or "shared" (let see it)."""
    if party == summary.requester:
        return "requester"
    return "addressee" if party == summary.addressee else "shared"


def action_for(summary: Summary, party: str) -> str:
    """What `party` should do next ("" when nothing): the addressee acknowledges, then
    responds; the requester rates an answer, a refusal too (was it fair?)."""
    if party == summary.addressee:
        if summary.settled_state in OPEN_STATES:
            return RESPOND if summary.is_acknowledged else ACKNOWLEDGE
        return ""
    if party == summary.requester and summary.settled_state in ("answered", "declined") \
            and not summary.is_rated:
        return RATE
    return ""  # a party it is shared with reads it, and does nothing of its own
