"""What falls due on a request, from its derived view (cooperation.ledger.derive): the
escalations the deadline watcher raises, the level of the next one, and the next deadline
still pending."""

from __future__ import annotations

from datetime import datetime

from accord.cooperation.ledger import (
    RequestView,
    is_acknowledgement_overdue_at,
    is_response_overdue_at,
)
from accord.cooperation.model import LATENESS, EscalationReason, escalation_id


def escalations_due(view: RequestView, now: datetime) -> list[EscalationReason]:
    """What the deadline watcher must raise for this request at `now`.

    "acknowledgement-overdue" once the acknowledgement deadline has passed unmet, and
    "response-overdue" once the response deadline has; each only if no escalation with that
    reason exists yet, so each passed deadline is escalated exactly once. Never for a withdrawn
    or answered request.
    """
    if view.withdrawn_at is not None or view.answered_at is not None:
        return []
    raised = _raised(view)
    due: list[EscalationReason] = []
    if is_acknowledgement_overdue_at(view, now) and "acknowledgement-overdue" not in raised:
        due.append("acknowledgement-overdue")
    if is_response_overdue_at(view, now) and "response-overdue" not in raised:
        due.append("response-overdue")
    return due


def next_level(view: RequestView) -> int:
    """The level of the next escalation: one above the number so far (the caller caps it by
    the guidelines' ladder)."""
    return 1 + len(view.escalations)


def next_deadline(view: RequestView) -> datetime | None:
    """The earliest deadline still pending: unmet and not yet escalated; None if there is none.

    A deadline that has passed stays pending until its escalation exists, so a watcher that
    wakes at this time and raises `escalations_due` never loops. Note that at the deadline
    itself the request is still on time: the watcher must act strictly after it.
    """
    if view.withdrawn_at is not None or view.answered_at is not None:
        return None
    raised = _raised(view)
    pending = []
    if (view.acknowledged_at is None and view.acknowledge_by is not None
            and "acknowledgement-overdue" not in raised):
        pending.append(view.acknowledge_by)
    if view.respond_by is not None and "response-overdue" not in raised:
        pending.append(view.respond_by)
    return min(pending, default=None)


def _raised(view: RequestView) -> set[str]:
    """The lateness reasons the requester escalated already (the watcher raises them as the
    requester: the addressee, which let the deadline pass, cannot stand in for it), by an
    escalation of that reason, or by the watcher's own (its id derives from the reason),
    whatever the ledger now counts it as. Counted as a manual one (cooperation.ledger.
    _as_made), the watcher's would otherwise be raised again under the same id at every
    tick, and never stored."""
    requester = view.request.requester
    mine = [e.escalation for e in view.escalations if e.escalation.party == requester]
    ids = {e.id for e in mine}
    return {e.reason for e in mine} | {
        reason for reason in LATENESS if escalation_id(view.request.id, reason) in ids}
