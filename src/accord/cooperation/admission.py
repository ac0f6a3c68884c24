"""What a party, or a peer's node, may post into a request's ledger beyond what its
definition says (over TAXII, or pulled from its node at sync): receipts made in the name of
the party they receipt for, a request received once (cooperation.receipts.why_not_receipt);
no escalation in the deadline watcher's name, none for lateness stamped ahead of this node's
clock. The other ledger rules: store.ownership (versions), cooperation.ledger (what counts)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine

from accord.cooperation.arrivals import CLOCK_SKEW_ALLOWANCE
from accord.cooperation.model import LATENESS, watcher_ids
from accord.cooperation.receipts import held_request, why_not_receipt
from accord.screened import Screened, refusing
from accord.stix.timestamps import format_timestamp, parse_timestamp
from accord.stix.violations import Violation

# What only the receiving party's node makes (cooperation.receipts).
RECEIPT_TYPES = frozenset({"x-accord-receipt", "x-accord-act-receipt"})
ESCALATION = "x-accord-escalation"


def peers_receipts(engine: Engine, screened: Screened) -> Screened:
    """`screened` with the receipts a peer's node delivers refused where they are not made by
    the party they receipt for, or would receive a request again."""
    return _checked(engine, screened, RECEIPT_TYPES, lambda conn, o: Violation(
        o["id"], "created_by_ref", "receipt-maker", why)
        if (why := why_not_receipt(conn, o)) is not None else None)


def escalation_refusals(engine: Engine, screened: Screened, arrived: datetime) -> Screened:
    """`screened` with the escalations a party (or its node) posts, arriving at `arrived`,
    refused where they would stand in for the deadline watcher's, or count as lateness before
    it is due."""
    return _checked(engine, screened, frozenset({ESCALATION}), lambda conn, o: Violation(
        o["id"], "id", "escalation", why)
        if (why := why_not_escalation(conn, o, arrived)) is not None else None)


def _checked(engine: Engine, screened: Screened, types: frozenset[str],
             why_not: Callable[[Connection, dict[str, Any]], Violation | None]) -> Screened:
    """`screened` with its objects of `types` checked against the ledgers held here (one
    connection, opened only where there is one to check)."""
    if not any(o["type"] in types for o in screened.valid):
        return screened
    with engine.connect() as conn:
        return refusing(screened, lambda o: why_not(conn, o) if o["type"] in types else None)


def why_not_escalation(conn: Connection, obj: dict[str, Any], arrived: datetime) -> str | None:
    """Why an escalation arriving at `arrived` is refused; None: not refused (or no request
    here to tell)."""
    request = held_request(conn, str(obj.get("request_ref")))
    if request is None:
        return None
    if obj.get("created_by_ref") not in (request.requester, request.addressee):
        # Made by neither side: cooperation.reach refuses it, in the words a party the request
        # is hidden from may read; these would tell it the request exists.
        return None
    # The watcher's escalations take ids derived from the request and the reason (every host
    # makes the same one): the addressee, storing one first under that id, made the node
    # refuse the watcher's own when the deadline passed, at every tick.
    if obj.get("created_by_ref") != request.requester and obj.get("id") in watcher_ids(
            request.id):
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
