"""The facts of a cooperation object that deriving its request's state needs, in a compact
form the store keeps beside the object (the `ledger` index).

Reviewing 100,000 requests reads half a million ledger entries: parsing each whole STIX object
would take seconds, while these few fields take a fraction of that. The digest is an index,
like the correlation index: made from the object when it is stored, never edited, never the
state itself. A single request's view is still read from the objects themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import orjson

from accord.cooperation.model import (
    Acknowledgement,
    ActReceipt,
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
from accord.cooperation.translations import is_translation
from accord.stix.timestamps import microsecond_key


def digest(obj: Mapping[str, Any]) -> bytes | None:
    """The digest of a stored x-accord-* object (valid: intake checked it); None otherwise."""
    kind = obj["type"]
    reader = _FIELDS.get(kind)
    if reader is None:
        return None
    return orjson.dumps([obj["created"], obj.get("created_by_ref"),
                         *(obj.get(name) for name in reader)])


def ledger_entry(obj: dict[str, Any]) -> tuple[str | None, str | None, bytes | None]:
    """For a cooperation object (x-accord-*) or a translation of one: the request whose ledger
    it belongs to, when it happened, and its digest (cooperation.digest)."""
    kind = obj["type"]
    if is_translation(obj):
        # Filed with the ledger it translates (no digest: deriving a state never reads it).
        return obj["x_accord_request_ref"], microsecond_key(str(obj.get("modified"))), None
    if not kind.startswith("x-accord-"):
        return None, None, None
    found = obj["id"] if kind == "x-accord-request" else obj.get("request_ref")
    if not isinstance(found, str):
        return None, None, None
    happened = obj.get("received") if kind == "x-accord-receipt" else obj.get("created")
    return found, microsecond_key(str(happened)), digest(obj)


# The properties kept per type, after `created` and `created_by_ref`.
_FIELDS: dict[str, tuple[str, ...]] = {
    "x-accord-request": ("addressee_ref", "kind", "category", "urgency", "exercise", "summary",
                         "shared_with_refs"),
    "x-accord-receipt": ("received", "acknowledge_by", "respond_by", "guidelines_version"),
    "x-accord-act-receipt": ("act_ref", "received"),
    "x-accord-acknowledgement": (),
    "x-accord-status-report": (),
    "x-accord-response": ("outcome",),
    "x-accord-escalation": ("reason", "level"),
    "x-accord-de-escalation": ("escalation_ref",),
    "x-accord-rating": ("response_ref", "score"),
    "x-accord-withdrawal": (),
}

_time = datetime.fromisoformat  # Python 3.11 reads STIX's "Z"


def _request(oid: str, rid: str, f: list[Any]) -> Request:
    return Request(oid, _time(f[0]), f[1], f[2], f[3], f[4], f[5], f[7] or "",
                   shared_with=tuple(f[8] or ()), is_exercise=bool(f[6]))


def _receipt(oid: str, rid: str, f: list[Any]) -> Receipt:
    return Receipt(oid, rid, f[1], _time(f[0]), received=_time(f[2]),
                   acknowledge_by=_time(f[3]), respond_by=_time(f[4]),
                   guidelines_version=f[5] or 0)


_BUILD: dict[str, Callable[[str, str, list[Any]], Request | Entry]] = {
    "x-accord-request": _request,
    "x-accord-receipt": _receipt,
    "x-accord-act-receipt": lambda oid, rid, f: ActReceipt(oid, rid, f[1], _time(f[0]),
                                                          act_id=f[2], received=_time(f[3])),
    "x-accord-acknowledgement": lambda oid, rid, f: Acknowledgement(oid, rid, f[1], _time(f[0])),
    "x-accord-status-report": lambda oid, rid, f: StatusReport(oid, rid, f[1], _time(f[0])),
    "x-accord-response": lambda oid, rid, f: Response(oid, rid, f[1], _time(f[0]),
                                                      outcome=f[2]),
    "x-accord-escalation": lambda oid, rid, f: Escalation(oid, rid, f[1], _time(f[0]),
                                                          reason=f[2], level=f[3]),
    "x-accord-de-escalation": lambda oid, rid, f: DeEscalation(oid, rid, f[1], _time(f[0]),
                                                               escalation_id=f[2]),
    "x-accord-rating": lambda oid, rid, f: Rating(oid, rid, f[1], _time(f[0]),
                                                  response_id=f[2], score=f[3]),
    "x-accord-withdrawal": lambda oid, rid, f: Withdrawal(oid, rid, f[1], _time(f[0])),
}


def from_digest(object_id: str, request_id: str, data: bytes) -> Request | Entry:
    """The model object a digest stands for (texts other than the summary are left out)."""
    kind = object_id.split("--", 1)[0]
    return _BUILD[kind](object_id, request_id, orjson.loads(data))
