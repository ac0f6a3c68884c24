"""A request and every entry of its ledger reach its participants, and them alone; each entry
is made by the side whose act it is.

The desk marks what it writes so (receipts.marked: TLP:AMBER+STRICT, addressed to every
participant but the maker). What arrives over TAXII, or from a peer, is held to the same: an
entry the other side cannot read would count for one side and not the other (an
acknowledgement only its maker sees, "on time" in one node's review and missing from the
other's), and one marked for all would show the request to parties it does not concern. An
act made by the wrong side would be stored and then ignored by every view (ledger.derive):
refused instead, saying why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accord.cooperation.model import Request
from accord.trust.markings import Tlp, recipients_of, tlp_of

REQUEST = "x-accord-request"
# Which side makes each entry, as ledger.derive counts them (act receipts and translations
# are checked where they are made: receipts, translations).
_MADE_BY: Mapping[str, tuple[str, ...]] = {
    "x-accord-receipt": ("addressee",),
    "x-accord-acknowledgement": ("addressee",),
    "x-accord-status-report": ("addressee",),
    "x-accord-response": ("addressee",),
    "x-accord-rating": ("requester",),
    "x-accord-withdrawal": ("requester",),
    "x-accord-escalation": ("requester", "addressee"),
    "x-accord-de-escalation": ("requester", "addressee"),
}


def is_checked(obj: Mapping[str, Any]) -> bool:
    """Whether `obj` is held to this module's rules: a request, or an act on one."""
    return obj.get("type") == REQUEST or obj.get("type") in _MADE_BY


def why_unreached(entry: Mapping[str, Any], request: Request) -> str | None:
    """Why `entry` (the request itself, or an entry of its ledger) may not be stored: marked
    so that a participant could not read it, or anyone else could; or made by a side whose
    act it is not. None if it may."""
    kind, maker = str(entry["type"]), entry.get("created_by_ref")
    sides = {"requester": request.requester, "addressee": request.addressee}
    allowed = _MADE_BY.get(kind)
    if allowed is not None and maker not in {sides[side] for side in allowed}:
        who = " or the ".join(allowed)
        return (f"{kind} objects are made by the {who} of the request they belong to "
                f"({request.id}); created_by_ref names neither: every view would ignore it")
    level = tlp_of(entry)
    # Unmarked, it is read at the requests collection's default, TLP:RED.
    if level is not None and level < Tlp.AMBER_STRICT:
        return (f"an entry of a request's ledger is marked TLP:AMBER+STRICT (or RED) and "
                f"addressed to the parties to the request; {level.label} would show "
                f"request {request.id} to every party that reads the requests collection")
    parties, recipients = frozenset(request.participants), recipients_of(entry)
    others = recipients - parties
    if others:
        return (f"addressed to {', '.join(sorted(others))}, not a party to request "
                f"{request.id}: an entry of a request's ledger reaches the parties to it "
                "alone")
    missing = parties - {maker} - recipients
    if missing:
        return (f"not addressed to {', '.join(sorted(missing))}, a party to request "
                f"{request.id}: every party to a request reads every entry of its ledger "
                "(name them in the recipients of Accord's marking extension), or the two "
                "sides would see different requests")
    return None


def unheld(entry: Mapping[str, Any]) -> str | None:
    """Why an act on a request not held here may not be stored: it could not be checked, and
    would count once its request came. A receipt may come first (a peer's, delivered before
    the request it receipts: cooperation.receipts weighs it when the request comes)."""
    if entry.get("type") == "x-accord-receipt":
        return None
    return (f"{entry.get('type')} belongs to request {entry.get('request_ref')}, which this "
            "node does not hold: a request's ledger starts with the request, so send it first")
