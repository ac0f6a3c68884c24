"""A request's escalations as its ledger counts them (cooperation.ledger.derive): each with
what ended it, and a lateness escalation that was none (made before its deadline passed, or by
the addressee) counted as a manual one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from accord.cooperation.model import DeEscalation, Escalation, earlier

EndedBy = Literal["de-escalated", "answered", "withdrawn"]


@dataclass(frozen=True, slots=True)
class EscalationView:
    escalation: Escalation
    ended_at: datetime | None = None
    ended_by: EndedBy | None = None  # None while the escalation is open

    @property
    def is_open(self) -> bool:
        return self.ended_by is None


def as_made(escalation: Escalation, acknowledge_by: datetime | None,
            acknowledged_at: datetime | None, respond_by: datetime | None,
            answered_at: datetime | None, requester: str) -> Escalation:
    """The escalation, as a manual one unless it is the requester's, of a deadline that had
    passed unmet at its time (the watcher's is stamped with the deadline itself): the
    addressee does not escalate its own lateness. Independent of the clock, as all the review
    counts (cooperation.review): one stamped ahead of the clock is refused when it arrives
    (cooperation.admission), not judged here."""
    if escalation.reason == "acknowledgement-overdue":
        due, met = acknowledge_by, acknowledged_at
    elif escalation.reason == "response-overdue":
        due, met = respond_by, answered_at
    else:
        return escalation
    if escalation.party == requester and due is not None \
            and escalation.time >= due and (met is None or met > escalation.time):
        return escalation
    return replace(escalation, reason="manual")


def escalation_views(escalations: Mapping[str, Escalation],
                     de_escalations: list[DeEscalation], answered_at: datetime | None,
                     withdrawn_at: datetime | None) -> tuple[EscalationView, ...]:
    """Each escalation with what ended it, if anything did, by time then by escalation id.

    An escalation ends at the earliest of: a de-escalation naming it made by the party that
    raised it, the answer, the withdrawal. An answer or a withdrawal only ends escalations
    raised at or before it (an escalation raised after the answer, e.g. a dispute of its
    quality, stays open). On a tie a de-escalation wins over the answer, and the answer over
    the withdrawal: the most specific.
    """
    first_de: dict[str, DeEscalation] = {}
    for de in de_escalations:
        # Only the party that raised an escalation ends it by hand (the watcher raises its
        # escalations as the requester's): else the party that let a deadline pass would
        # silence the escalation of its own lateness. Its answer ends it all the same.
        raised = escalations.get(de.escalation_id)
        if raised is not None and de.party == raised.party \
                and earlier(de, first_de.get(de.escalation_id)):
            first_de[de.escalation_id] = de
    views = []
    for escalation in sorted(escalations.values(), key=lambda e: (e.time, e.id)):
        ends: list[tuple[datetime, int, EndedBy]] = []
        ended = first_de.get(escalation.id)
        if ended is not None:
            ends.append((ended.time, 0, "de-escalated"))
        if answered_at is not None and answered_at >= escalation.time:
            ends.append((answered_at, 1, "answered"))
        if withdrawn_at is not None and withdrawn_at >= escalation.time:
            ends.append((withdrawn_at, 2, "withdrawn"))
        if ends:
            ended_at, _, ended_by = min(ends)
            views.append(EscalationView(escalation, ended_at, ended_by))
        else:
            views.append(EscalationView(escalation))
    return tuple(views)
