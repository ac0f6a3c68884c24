"""Escalations a party posts into a request's ledger (over TAXII, or pulled from its node at
sync), refused where they would stand in for the deadline watcher or count as lateness before
it is due. The other ledger entries' rules: cooperation.receipts (receipts), store.ownership
(versions), cooperation.ledger (what counts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from accord.cooperation.arrivals import CLOCK_SKEW_ALLOWANCE
from accord.cooperation.model import escalation_id
from accord.cooperation.receipts import held_request
from accord.stix.timestamps import format_timestamp, parse_timestamp

LATENESS = ("acknowledgement-overdue", "response-overdue")


def why_not_escalation(conn: Connection, obj: dict[str, Any], arrived: datetime) -> str | None:
    """Why an escalation arriving at `arrived` is refused; None: not refused (or no request
    here to tell)."""
    request = held_request(conn, str(obj.get("request_ref")))
    if request is None:
        return None
    # The watcher's escalations take ids derived from the request and the reason (every host
    # makes the same one): the addressee, storing one first under that id, made the node
    # refuse the watcher's own when the deadline passed, at every tick.
    if obj.get("created_by_ref") != request.requester and obj.get("id") in {
            escalation_id(request.id, reason) for reason in LATENESS}:
        return (f"{obj.get('id')} is the id of the deadline watcher's escalation of "
                f"{request.id}, made in the requester's name: an escalation takes an id of "
                "its own")
    if obj.get("reason") in LATENESS:
        try:
            stamped = parse_timestamp(str(obj.get("created")))
        except ValueError:
            return None  # the definition's own check names what is not a timestamp
        if stamped > arrived + CLOCK_SKEW_ALLOWANCE:
            # It would count as lateness before the deadline it names has come.
            return (f"an escalation for lateness stamped {obj.get('created')}, ahead of this "
                    f"node's clock ({format_timestamp(arrived)}) by more than the clocks' "
                    "allowance: send it when the deadline has passed")
    return None
