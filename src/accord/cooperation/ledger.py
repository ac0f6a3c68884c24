"""The state of a request, derived from its ledger; what the deadline watcher must raise.

Pure: the clock is an argument. Two nodes holding the same ledger, in any order, derive the
same view: every choice between entries is made by (time, entry id), never by position.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from accord.cooperation.arrivals import (
    RECEIPT_CLOCK_ALLOWANCE,
    arrivals,
    is_backdated,
    retimed,
)
from accord.cooperation.escalation_views import EscalationView, as_made, escalation_views
from accord.cooperation.model import (
    Acknowledgement,
    ActReceipt,
    DeEscalation,
    Entry,
    Escalation,
    Ledger,
    Rating,
    Receipt,
    Request,
    Response,
    State,
    StatusReport,
    Withdrawal,
    earlier,
    watcher_ids,
)
from accord.cooperation.timeline import EVENT_TYPES, EventType, TimelineEvent, timeline

__all__ = ["EVENT_TYPES", "EventType", "TimelineEvent"]  # the timeline's words, from here too

MICROSECOND = timedelta(microseconds=1)
MICROSECONDS_PER_HOUR = 3_600_000_000


@dataclass(frozen=True, slots=True)
class RequestView:
    """A request as its ledger shows it at `as_of`.

    Stored fields are what the ledger says; the rest are properties computed from them on
    access (deriving 100,000 views must stay cheap). `state` follows this precedence, first
    match wins:

        withdrawn > closed (answered and rated by the requester) > declined (the response's
        outcome is "declined") > answered > escalated (an escalation is open) > overdue (a
        deadline has passed) > in-progress (a status report exists) > acknowledged > submitted
    """

    request: Request
    as_of: datetime  # the `now` the view was derived for: decides which deadlines have passed
    received: datetime | None = None
    acknowledge_by: datetime | None = None
    respond_by: datetime | None = None
    acknowledged_at: datetime | None = None  # first acknowledgement, status report or response
    answered_at: datetime | None = None
    response: Response | None = None  # the first response: later ones correct, not answer
    rating: Rating | None = None  # the requester's latest
    withdrawn_at: datetime | None = None
    last_status_report_at: datetime | None = None
    escalations: tuple[EscalationView, ...] = ()
    # The acts that count whose own `created` is earlier than their receipt beyond the
    # allowance (arrivals.CLOCK_SKEW_ALLOWANCE), by id.
    backdated: tuple[str, ...] = ()
    # Each act timed by its receipt: the `created` its maker wrote (by act id). A function of
    # the ledger like `entries`, so left out of equality too.
    stamped: Mapping[str, datetime] = field(default_factory=dict, compare=False, repr=False)
    # The entries that count, in no particular order: the timeline sorts them. Left out of
    # equality because every field above is already a function of them.
    entries: tuple[Entry, ...] = field(default=(), compare=False, repr=False)
    # The acts of either side stamped after the withdrawal, by time: they count for nothing,
    # and are still shown (a response that crossed the withdrawal, sent from the other node).
    after_withdrawal: tuple[Entry, ...] = field(default=(), compare=False, repr=False)

    @property
    def is_escalated(self) -> bool:
        return any(e.is_open for e in self.escalations)

    @property
    def is_acknowledgement_overdue(self) -> bool:
        return is_acknowledgement_overdue_at(self, self.as_of)

    @property
    def is_response_overdue(self) -> bool:
        return is_response_overdue_at(self, self.as_of)

    @property
    def is_overdue(self) -> bool:
        return is_overdue_at(self, self.as_of)

    @property
    def acknowledged_on_time(self) -> bool | None:
        """None when not acknowledged or never received (no deadline to judge by)."""
        if self.acknowledged_at is None or self.acknowledge_by is None:
            return None
        # Exactly at the deadline is on time.
        return self.acknowledged_at <= self.acknowledge_by

    @property
    def answered_on_time(self) -> bool | None:
        if self.answered_at is None or self.respond_by is None:
            return None
        return self.answered_at <= self.respond_by

    @property
    def microseconds_to_acknowledge(self) -> int | None:
        """From receipt (the addressee node's clock) to the acknowledgement's arrival at the
        requester's node (its act receipt; without one, the acknowledgement's `created`)."""
        return _microseconds_between(self.received, self.acknowledged_at)

    @property
    def microseconds_to_answer(self) -> int | None:
        return _microseconds_between(self.received, self.answered_at)

    @property
    def hours_to_acknowledge(self) -> float | None:
        return _hours(self.microseconds_to_acknowledge)

    @property
    def hours_to_answer(self) -> float | None:
        return _hours(self.microseconds_to_answer)

    @property
    def state(self) -> State:
        if self.withdrawn_at is not None:
            return "withdrawn"
        if self.answered_at is not None:
            if self.rating is not None:
                return "closed"
            if self.response is not None and self.response.outcome == "declined":
                return "declined"
            return "answered"
        if self.is_escalated:
            return "escalated"
        if self.is_overdue:
            return "overdue"
        if self.last_status_report_at is not None:
            return "in-progress"
        if self.acknowledged_at is not None:
            return "acknowledged"
        return "submitted"

    @property
    def timeline(self) -> tuple[TimelineEvent, ...]:
        """Every entry that counts, and the request's creation, by time, then in the
        mechanism's order (EVENT_TYPES), then by entry id."""
        return timeline(self.request, self.entries, self.stamped)


def is_acknowledgement_overdue_at(view: RequestView, now: datetime) -> bool:
    """Not acknowledged (nor answered, nor withdrawn) and `now` is past the deadline."""
    return (view.acknowledged_at is None and view.withdrawn_at is None
            and view.acknowledge_by is not None and now > view.acknowledge_by)


def is_response_overdue_at(view: RequestView, now: datetime) -> bool:
    return (view.answered_at is None and view.withdrawn_at is None
            and view.respond_by is not None and now > view.respond_by)


def is_overdue_at(view: RequestView, now: datetime) -> bool:
    return is_acknowledgement_overdue_at(view, now) or is_response_overdue_at(view, now)


def overdue_after(view: RequestView) -> datetime | None:
    """The earliest deadline the view would miss, whatever the time: `is_overdue_at(view,
    now)` is exactly `now` later than this (None: no deadline can be missed). What a cache
    of the view keeps, so that it can tell whether the request is overdue at any time."""
    if view.withdrawn_at is not None:
        return None
    pending = []
    if view.acknowledged_at is None and view.acknowledge_by is not None:
        pending.append(view.acknowledge_by)
    if view.answered_at is None and view.respond_by is not None:
        pending.append(view.respond_by)
    return min(pending, default=None)


def _microseconds_between(start: datetime | None, end: datetime | None) -> int | None:
    # Integers, so every node computes exactly the same figures from them.
    return None if start is None or end is None else (end - start) // MICROSECOND


def _hours(microseconds: int | None) -> float | None:
    # One correctly rounded division of integers: the same float on every node.
    return None if microseconds is None else microseconds / MICROSECONDS_PER_HOUR


# Entry types as small integers, so one dictionary look-up sorts an entry into its bucket.
_RECEIPT, _ACK, _REPORT, _RESPONSE, _RATING, _ESCALATION, _DE_ESCALATION, _WITHDRAWAL = range(8)
_CODES: dict[type, int] = {
    Receipt: _RECEIPT, Acknowledgement: _ACK, StatusReport: _REPORT, Response: _RESPONSE,
    Rating: _RATING, Escalation: _ESCALATION, DeEscalation: _DE_ESCALATION,
    Withdrawal: _WITHDRAWAL,
}


def _code(entry: Entry) -> int | None:
    """The code of a subclass of a known entry; None for a kind this module does not know."""
    return next((code for kind, code in _CODES.items() if isinstance(entry, kind)), None)


def _received_earlier(a: Receipt, b: Receipt | None) -> bool:
    if b is None or a.received < b.received:
        return True
    return a.received == b.received and (a.id < b.id or (a.id == b.id and repr(a) < repr(b)))


def derive(ledger: Ledger, now: datetime) -> RequestView:
    """The view of a request from every entry of its ledger, as of `now`.

    Entries that do not belong are ignored, so a forged, misrouted or late entry cannot change
    the state:
    - entries about another request;
    - receipts, acknowledgements, status reports and responses not made by the addressee;
    - ratings and withdrawals not made by the requester; ratings of a response not in this
      ledger;
    - escalations and de-escalations made by neither party; de-escalations of an escalation not
      in this ledger;
    - a second receipt: the one with the earliest `received` counts (then the smallest id);
    - act receipts not made by the party the act is addressed to (`arrivals`);
    - after a withdrawal (the requester's earliest), every act stamped strictly later: the
      request was over, so they count neither for timeliness nor for state, nor in the timeline.
    An act with a receipt is timed by its receipt's `received`, and listed in `backdated` when
    its own `created` is earlier than that beyond the allowance.
    Every other choice is the earliest (or, for ratings, the latest) by time, then by entry id,
    so the order of `ledger.entries` never matters. `now` only decides which deadlines have
    passed: entries stamped later than `now` still count (a peer's clock may run ahead).
    """
    request = ledger.request
    request_id, requester, addressee = request.id, request.requester, request.addressee
    entries = ledger.entries
    # An act with a receipt is timed by when it reached the party it is addressed to, not by
    # the `created` its maker wrote: from here on its `time` is that arrival (arrivals.py).
    stamped: dict[str, datetime] = {}
    if any(isinstance(entry, ActReceipt) for entry in entries):
        entries, stamped = retimed(entries, arrivals(entries, request))

    # The withdrawal first, since acts stamped after it do not count.
    withdrawal: Withdrawal | None = None
    for entry in entries:
        if (isinstance(entry, Withdrawal) and entry.request_id == request_id
                and entry.party == requester and earlier(entry, withdrawal)):
            withdrawal = entry
    withdrawn_at = withdrawal.time if withdrawal is not None else None

    # One pass. Containers are made only when needed (deriving 100,000 views costs mostly
    # allocation): `kept` stays None, and the view shares the ledger's tuple, until an entry
    # does not count; rarer kinds of entry get their list when the first one turns up.
    receipt: Receipt | None = None
    # The earliest deadlines any of the addressee's receipts set, whichever receipt counts: a
    # second receipt (a hostile node's, `received` a moment earlier so that it counts, its
    # deadlines a month away) moves them no later, nor turns the watcher's escalation of a
    # passed deadline into a manual one after the fact (escalation_views.as_made).
    acknowledge_by: datetime | None = None
    respond_by: datetime | None = None
    receipts = 0
    first_ack: Entry | None = None
    first_report: Entry | None = None
    last_report: Entry | None = None
    first_response: Response | None = None
    more_responses: list[Response] | None = None  # besides the first seen: for their ids
    ratings: list[Rating] | None = None
    escalations: dict[str, Escalation] | None = None  # by id: one escalation stored twice is one
    de_escalations: list[DeEscalation] | None = None
    kept: list[Entry] | None = None
    late: list[Entry] = []
    codes = _CODES
    earliest_receipt = request.created - RECEIPT_CLOCK_ALLOWANCE
    for index, entry in enumerate(entries):
        code = codes.get(type(entry))
        if code is None:
            code = _code(entry)
        party = entry.party
        if code is None or entry.request_id != request_id:
            pass
        elif code == _RECEIPT:
            # A receipt of a time long before the request was made (beyond a clock wrong by
            # a day) would move the request into another review period: it does not count.
            if party == addressee and isinstance(entry, Receipt) \
                    and entry.received >= earliest_receipt:
                receipts += 1
                if acknowledge_by is None or entry.acknowledge_by < acknowledge_by:
                    acknowledge_by = entry.acknowledge_by
                if respond_by is None or entry.respond_by < respond_by:
                    respond_by = entry.respond_by
                if _received_earlier(entry, receipt):
                    receipt = entry
                if kept is not None:
                    kept.append(entry)
                continue  # a second receipt is dropped below, once the first is known
        elif code == _WITHDRAWAL:
            if entry is withdrawal:
                if kept is not None:
                    kept.append(entry)
                continue
        elif withdrawn_at is not None and entry.time > withdrawn_at:
            if party in (requester, addressee):
                late.append(entry)
        elif code <= _RESPONSE:
            if party == addressee:
                if code == _ACK:
                    if first_ack is None or earlier(entry, first_ack):
                        first_ack = entry
                elif code == _REPORT:
                    if first_report is None or earlier(entry, first_report):
                        first_report = entry
                    if last_report is None or earlier(last_report, entry):
                        last_report = entry
                else:
                    assert isinstance(entry, Response)
                    if first_response is None:
                        first_response = entry
                    else:
                        if more_responses is None:
                            more_responses = []
                        more_responses.append(entry)
                        if earlier(entry, first_response):
                            first_response = entry
                if kept is not None:
                    kept.append(entry)
                continue
        elif code == _RATING:
            if party == requester:
                assert isinstance(entry, Rating)
                if ratings is None:
                    ratings = []
                ratings.append(entry)
                if kept is not None:
                    kept.append(entry)
                continue
        elif party in (requester, addressee) and not (
                # The watcher's ids are the requester's (its node raises what stalls): one
                # under that id by the addressee would stand in for the watcher's escalation.
                party != requester and code == _ESCALATION
                and entry.id in watcher_ids(request_id)):
            if code == _ESCALATION:
                assert isinstance(entry, Escalation)
                if escalations is None:
                    escalations = {}
                if earlier(entry, escalations.get(entry.id)):
                    escalations[entry.id] = entry
            else:
                assert isinstance(entry, DeEscalation)
                if de_escalations is None:
                    de_escalations = []
                de_escalations.append(entry)
            if kept is not None:
                kept.append(entry)
            continue
        # This entry does not count: from here on the view keeps its own list.
        if kept is None:
            kept = list(entries[:index])

    # A status report or a response acknowledges the request as well.
    acknowledged = first_ack
    if first_report is not None and earlier(first_report, acknowledged):
        acknowledged = first_report
    if first_response is not None and earlier(first_response, acknowledged):
        acknowledged = first_response

    rating: Rating | None = None
    stray: list[str] = []  # ids of entries that turn out not to count after all
    if receipt is not None and receipts > 1:
        stray.extend(e.id for e in entries if isinstance(e, Receipt) and e is not receipt)
    if ratings is not None:
        for candidate in ratings:
            if not _names_response(candidate, first_response, more_responses):
                stray.append(candidate.id)
            elif rating is None or earlier(rating, candidate):
                rating = candidate
    if de_escalations is not None:
        stray.extend(d.id for d in de_escalations if d.escalation_id not in (escalations or {}))
    if stray:
        kept = [e for e in (entries if kept is None else kept)
                if e.id not in stray or e is receipt]

    answered_at = first_response.time if first_response is not None else None
    if escalations is not None:
        # A lateness escalation that was none (made before its deadline passed unmet, or by
        # the addressee) counts as a manual one: it neither blames the addressee in the
        # review nor stands in for the watcher's at the deadline.
        deadlines = (acknowledge_by, acknowledged.time if acknowledged is not None else None,
                     respond_by, answered_at, requester)
        counted_as = {eid: as_made(e, *deadlines) for eid, e in escalations.items()}
        relabelled = {eid for eid, e in counted_as.items() if e is not escalations[eid]}
        if relabelled:
            escalations = counted_as
            kept = [as_made(e, *deadlines) if isinstance(e, Escalation) and e.id in relabelled
                    else e for e in (entries if kept is None else kept)]
    counted = entries if kept is None else kept
    backdated = () if not stamped else tuple(sorted({
        e.id for e in counted if e.id in stamped and is_backdated(stamped[e.id], e.time)}))
    views: tuple[EscalationView, ...] = ()
    if escalations is not None:
        views = escalation_views(escalations, de_escalations or [], answered_at, withdrawn_at)
    return RequestView(
        request=request, as_of=now,
        received=receipt.received if receipt is not None else None,
        acknowledge_by=acknowledge_by, respond_by=respond_by,
        acknowledged_at=acknowledged.time if acknowledged is not None else None,
        answered_at=answered_at, response=first_response, rating=rating,
        withdrawn_at=withdrawn_at,
        last_status_report_at=last_report.time if last_report is not None else None,
        escalations=views, backdated=backdated, stamped=stamped,
        entries=entries if kept is None else tuple(kept),
        after_withdrawal=tuple(sorted(late, key=lambda e: (e.time, e.id))),
    )


def _names_response(rating: Rating, first: Response | None,
                    more: list[Response] | None) -> bool:
    """Whether the rating is of a response that counts in this ledger."""
    if first is not None and rating.response_id == first.id:
        return True
    return more is not None and any(rating.response_id == r.id for r in more)
