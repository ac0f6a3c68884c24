"""A request and every entry of its ledger reach its participants, and them alone; each entry
is made by the side whose act it is.

The desk marks what it writes so (receipts.marked: TLP:AMBER+STRICT, addressed to every
participant but the maker). What arrives over TAXII, or from a peer, is held to the same: an
entry the other side cannot read would count for one side and not the other (an
acknowledgement only its maker sees, "on time" in one node's review and missing from the
other's), and one marked for all would show the request to parties it does not concern. An
act made by the wrong side would be stored and then ignored by every view (ledger.derive):
refused instead, saying why. A translation filed with a ledger is held to the same: made by a
party to the request, it reaches the parties to it alone. Whoever may not see the request is
told the same whatever is wrong (`as_told_to`): a refusal naming whose act it is would tell it
the request exists (docs/trust.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accord.cooperation.model import Request
from accord.cooperation.translations import LANGUAGE_CONTENT, REQUEST_REF, is_translation
from accord.trust.markings import Tlp, recipients_of, tlp_of

REQUEST = "x-accord-request"
# Which side makes each entry, as ledger.derive counts them (act receipts are checked where
# they are made: receipts; translations below, as any party to the request makes them).
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
    """Whether `obj` is held to this module's rules: a request, an act on one, or a
    translation filed with its ledger."""
    return obj.get("type") == REQUEST or obj.get("type") in _MADE_BY or is_translation(obj)


def request_ref(entry: Mapping[str, Any]) -> str:
    """The request whose ledger `entry` (an act or a translation) belongs to."""
    return str(entry.get(REQUEST_REF if is_translation(entry) else "request_ref"))


def _wrong_maker(entry: Mapping[str, Any], request: Request) -> str | None:
    """Why `entry` is not made by a side whose entry it is; None if it is (or any may)."""
    kind, maker = str(entry["type"]), entry.get("created_by_ref")
    if is_translation(entry):
        # docs/cooperation-objects.md: either participant translates; renditions() shows no
        # one else's.
        if maker in request.participants:
            return None
        return (f"{LANGUAGE_CONTENT} objects filed with a request's ledger are made by a party "
                f"to the request they belong to ({request.id}): its requester, its addressee "
                "or a party it is shared with; created_by_ref names none of them: every view "
                "would ignore it")
    sides = {"requester": request.requester, "addressee": request.addressee}
    allowed = _MADE_BY.get(kind)
    if allowed is None or maker in {sides[side] for side in allowed}:
        return None
    who = " or the ".join(allowed)
    return (f"{kind} objects are made by the {who} of the request they belong to "
            f"({request.id}); created_by_ref names neither: every view would ignore it")


def why_unreached(entry: Mapping[str, Any], request: Request) -> str | None:
    """Why `entry` (the request itself, or an entry of its ledger) may not be stored: marked
    so that a participant could not read it, or anyone else could; or made by a side whose
    act it is not. None if it may."""
    wrong = _wrong_maker(entry, request)
    if wrong is not None:
        return wrong
    maker = entry.get("created_by_ref")
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
    """Why an act (or a translation) on a request not held here may not be stored: it could
    not be checked, and would count once its request came. A receipt may come first (a
    peer's, delivered before the request it receipts: cooperation.receipts weighs it when the
    request comes)."""
    if entry.get("type") == "x-accord-receipt":
        return None
    return _not_held(entry)


def _not_held(entry: Mapping[str, Any]) -> str:
    return (f"{entry.get('type')} belongs to request {request_ref(entry)}, which this node "
            "does not hold: a request's ledger starts with the request, so send it first")


def as_told_to(poster: str, entry: Mapping[str, Any], request: Request, why: str) -> str:
    """`why` `entry` on `request` (held here) is refused, as its poster is told it: a party
    to the request reads why; any other, which may not see the request, reads what it would
    for a request this node does not hold, whatever the reason, so that no refusal tells it
    which requests exist (docs/trust.md: one answer whatever the reason)."""
    return why if poster in request.participants else _not_held(entry)
