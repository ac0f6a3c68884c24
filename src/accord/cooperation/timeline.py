"""A request's timeline: its creation and every entry that counts, in one order of time.

Pure. An act timed by its receipt (`arrivals`) stands at its arrival, with the `created` its
maker wrote beside it, and is marked backdated when that was earlier beyond the allowance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from accord.cooperation.arrivals import is_backdated
from accord.cooperation.model import (
    Acknowledgement,
    DeEscalation,
    Entry,
    Escalation,
    Rating,
    Receipt,
    Request,
    Response,
    StatusReport,
    Withdrawal,
)

EventType = Literal["created", "received", "acknowledged", "status-report", "responded", "rated",
                    "escalated", "de-escalated", "withdrawn"]
# Events at the same instant are listed in the order the mechanism runs: a request is created
# before it is received, acknowledged before it is answered, and so on.
EVENT_TYPES: tuple[EventType, ...] = ("created", "received", "acknowledged", "status-report",
                                      "responded", "rated", "escalated", "de-escalated",
                                      "withdrawn")
_EVENT_RANK = {name: rank for rank, name in enumerate(EVENT_TYPES)}


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    type: EventType
    time: datetime  # for an act with a receipt: when it reached the party it is addressed to
    party: str  # identity id of whoever made it
    entry_id: str  # the request's id for "created", else the entry's id
    detail: Mapping[str, object]
    stamped: datetime | None = None  # the act's own `created`, when timed by its receipt
    is_backdated: bool = False  # `stamped` earlier than `time` beyond CLOCK_SKEW_ALLOWANCE


def timeline(request: Request, entries: Iterable[Entry],
             stamped: Mapping[str, datetime]) -> tuple[TimelineEvent, ...]:
    """The request's creation and `entries` (those that count), by time, then in the
    mechanism's order (EVENT_TYPES), then by entry id; `stamped`: the own `created` of each
    act timed by its receipt, by act id."""
    created = TimelineEvent("created", request.created, request.requester, request.id, {
        "kind": request.kind, "category": request.category, "urgency": request.urgency,
        "is_exercise": request.is_exercise,
    })
    pairs: list[tuple[TimelineEvent, object]] = [(created, request)]
    pairs += ((_event(entry, stamped.get(entry.id)), entry) for entry in entries)
    pairs.sort(key=lambda pair: (pair[0].time, _EVENT_RANK[pair[0].type], pair[0].entry_id,
                                 repr(pair[1])))
    events: list[TimelineEvent] = []
    seen: set[str] = set()
    for event, _ in pairs:
        if event.entry_id not in seen:  # one entry stored twice (or in two versions) is one
            seen.add(event.entry_id)
            events.append(event)
    return tuple(events)


def _event(entry: Entry, stamped: datetime | None) -> TimelineEvent:
    if isinstance(entry, Receipt):
        return TimelineEvent("received", entry.received, entry.party, entry.id, {
            "acknowledge_by": entry.acknowledge_by, "respond_by": entry.respond_by,
            "guidelines_version": entry.guidelines_version})
    kind: EventType
    detail: dict[str, object]
    if isinstance(entry, Acknowledgement):
        kind, detail = "acknowledged", {"note": entry.note}
    elif isinstance(entry, StatusReport):
        kind, detail = "status-report", {"text": entry.text}
    elif isinstance(entry, Response):
        kind, detail = "responded", {"outcome": entry.outcome, "text": entry.text,
                                     "reason": entry.reason, "evidence": entry.evidence}
    elif isinstance(entry, Rating):
        kind, detail = "rated", {"response_id": entry.response_id, "score": entry.score,
                                 "comment": entry.comment}
    elif isinstance(entry, Escalation):
        kind, detail = "escalated", {"reason": entry.reason, "level": entry.level,
                                     "note": written_note(entry),
                                     "automatic": is_automatic(entry)}
    elif isinstance(entry, DeEscalation):
        kind, detail = "de-escalated", {"escalation_id": entry.escalation_id,
                                        "reason": entry.reason}
    else:  # only withdrawals are kept besides the above (see `ledger.derive`)
        assert isinstance(entry, Withdrawal)
        kind, detail = "withdrawn", {"reason": entry.reason}
    return TimelineEvent(kind, entry.time, entry.party, entry.id, detail, stamped,
                         stamped is not None and is_backdated(stamped, entry.time))


def automatic_note(reason: str) -> str:
    """The words the deadline watcher writes on an escalation it raises for `reason`
    ("the response deadline passed")."""
    return f"the {reason.split('-')[0]} deadline passed"


def is_automatic(escalation: Escalation) -> bool:
    """Raised by the deadline watcher, in the requester's name, not by a person: its reason
    a passed deadline's, its note the watcher's words."""
    return escalation.reason != "manual" and escalation.note == automatic_note(escalation.reason)


def written_note(escalation: Escalation) -> str:
    """What a person wrote on an escalation: not the watcher's own words (`automatic_note`),
    which its reason code already says, in every reader's language."""
    return "" if is_automatic(escalation) else escalation.note
