"""A request's view as JSON, the same for the command line and the REST API."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from accord.cooperation.ledger import RequestView
from accord.cooperation.timeline import is_automatic
from accord.stix.timestamps import format_timestamp


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else format_timestamp(moment)


def _plain(value: object) -> object:
    """A timeline detail as JSON has it: timestamps as STIX writes them, tuples as lists."""
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def view_json(view: RequestView, names: Mapping[str, str]) -> dict[str, Any]:
    """Everything a liaison officer needs about one request; party ids come with names."""
    request = view.request

    def party(identity: str) -> dict[str, str]:
        return {"id": identity, "name": names.get(identity, identity)}

    return {
        "id": request.id,
        "state": view.state,
        "requester": party(request.requester),
        "addressee": party(request.addressee),
        "shared_with": [party(p) for p in request.shared_with],
        "kind": request.kind,
        "category": request.category,
        "urgency": request.urgency,
        "lang": request.lang,
        "summary": request.summary,
        "description": request.description,
        "activity": {"start": _time(request.activity_start), "end": _time(request.activity_end)},
        "victims": list(request.victims),
        "impact": request.impact,
        "legal_basis": request.legal_basis,
        "point_of_contact": request.point_of_contact,
        "evidence": list(request.evidence),
        "exercise": request.is_exercise,
        "created": _time(request.created),
        "received": _time(view.received),
        "deadlines": {"acknowledge": _time(view.acknowledge_by),
                      "respond": _time(view.respond_by)},
        "acknowledged": _time(view.acknowledged_at),
        "acknowledged_on_time": view.acknowledged_on_time,
        "answered": _time(view.answered_at),
        "answered_on_time": view.answered_on_time,
        "backdated": list(view.backdated),
        "overdue": {"acknowledge": view.is_acknowledgement_overdue,
                    "respond": view.is_response_overdue},
        "response": None if view.response is None else {
            "id": view.response.id, "outcome": view.response.outcome,
            "lang": view.response.lang,
            "text": view.response.text, "reason": view.response.reason,
            "evidence": list(view.response.evidence)},
        "rating": None if view.rating is None else {
            "score": view.rating.score, "comment": view.rating.comment},
        "escalations": [{
            "id": e.escalation.id, "time": _time(e.escalation.time),
            "reason": e.escalation.reason, "level": e.escalation.level,
            "note": e.escalation.note, "by": party(e.escalation.party),
            "automatic": is_automatic(e.escalation),  # the watcher's, in the requester's name
            "ended": _time(e.ended_at), "ended_by": e.ended_by} for e in view.escalations],
        "timeline": [{
            "type": event.type, "time": _time(event.time), "by": party(event.party),
            "entry": event.entry_id, "detail": {k: _plain(v) for k, v in event.detail.items()},
            "stamped": _time(event.stamped), "backdated": event.is_backdated}
            for event in view.timeline],
    }
