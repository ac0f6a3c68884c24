"""When an act reached the party it is addressed to: the clock the review times acts by.

An act's own `created` is written by the acting side, which could backdate it. The node hosting
the party an act is addressed to stamps its arrival in an act receipt (`receipts.py`), and the
act is timed by that stamp. Pure: no I/O, no clock.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Literal

from accord.cooperation.model import ActReceipt, Entry, Request

# How much earlier than its receipt an act's own `created` may be before it counts as
# backdated: the clocks of two honest nodes disagree a little, and delivery takes a moment.
CLOCK_SKEW_ALLOWANCE = timedelta(minutes=5)
# How far before the request's `created` its receipt's `received` may lie: the addressee's node
# receives on its own clock, which may be wrong by an hour and still count (tests/e2e/
# test_federation.py); one a year before (a hostile node's) took the request out of its review
# period. A clock wrong by more than a day is broken.
RECEIPT_CLOCK_ALLOWANCE = timedelta(days=1)

Side = Literal["requester", "addressee"]
# The acts the review times, by STIX type, and the side each is addressed to.
ADDRESSED_TO: Mapping[str, Side] = {
    "x-accord-acknowledgement": "requester",
    "x-accord-status-report": "requester",
    "x-accord-response": "requester",
    "x-accord-withdrawal": "addressee",
}
ACT_TYPES: tuple[str, ...] = tuple(ADDRESSED_TO)

# Act receipt ids are derived from the act's: one receipt per act, whoever stores it twice.
_ACT_RECEIPTS = uuid.UUID("3d0c8f4a-6e1b-4b7d-8a52-9c4e2f1a7b63")


def act_receipt_id(act_id: str) -> str:
    return f"x-accord-act-receipt--{uuid.uuid5(_ACT_RECEIPTS, act_id)}"


def receiver_of(act_id: str, request: Request) -> str | None:
    """The party an act (by its id) is addressed to; None for an entry the review does not
    time by its arrival (a rating, an escalation, …)."""
    side = ADDRESSED_TO.get(act_id.split("--", 1)[0])
    if side is None:
        return None
    return request.requester if side == "requester" else request.addressee


def is_backdated(created: datetime, received: datetime) -> bool:
    """Whether an act made at `created` was stamped earlier than its arrival at `received`
    by more than the allowance (exactly the allowance is not backdated)."""
    return received - created > CLOCK_SKEW_ALLOWANCE


def arrivals(entries: Iterable[Entry], request: Request) -> dict[str, ActReceipt]:
    """The receipt each act of the request is timed by: made by the party the act is addressed
    to; of several, the earliest `received` (then the smallest id, then the whole content), so
    the order a node holds them in never matters."""
    found: dict[str, ActReceipt] = {}
    for entry in entries:
        if (not isinstance(entry, ActReceipt) or entry.request_id != request.id
                or entry.party != receiver_of(entry.act_id, request)):
            continue
        best = found.get(entry.act_id)
        if best is None or (entry.received, entry.id, repr(entry)) < (
                best.received, best.id, repr(best)):
            found[entry.act_id] = entry
    return found


def retimed(entries: tuple[Entry, ...], received: Mapping[str, ActReceipt]
            ) -> tuple[tuple[Entry, ...], dict[str, datetime]]:
    """The entries with each received act's `time` moved to its arrival, and what each such
    act's own `created` said (by act id). Act receipts themselves are left out: they are
    folded into the act they time."""
    kept: list[Entry] = []
    stamped: dict[str, datetime] = {}
    for entry in entries:
        if isinstance(entry, ActReceipt):
            continue
        receipt = received.get(entry.id)
        if receipt is not None and entry.id.split("--", 1)[0] in ADDRESSED_TO:
            # Two versions of one id (a forgery): the earlier stamp, whatever the order.
            stamped[entry.id] = min(entry.time, stamped.get(entry.id, entry.time))
            entry = replace(entry, time=receipt.received)
        kept.append(entry)
    return tuple(kept), stamped
