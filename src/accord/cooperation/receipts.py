"""The clock of a request starts here: when this node first stores a request addressed to a
party it hosts, it adds the addressee's receipt in the same transaction. The receipt fixes the
deadlines from the guidelines in force at that instant; neither side can move them later.
Likewise each act addressed to a party this node hosts gets a receipt stamping its arrival,
which times the act (`arrivals`): the acting side cannot backdate it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import orjson
from sqlalchemy import Connection, select, true

from accord.cooperation.arrivals import (
    ADDRESSED_TO,
    RECEIPT_CLOCK_ALLOWANCE,
    act_receipt_id,
    receiver_of,
)
from accord.cooperation.guidelines import deadlines_for, in_force
from accord.cooperation.model import ActReceipt, Receipt, Request
from accord.cooperation.objects import from_stix, to_stix
from accord.stix.timestamps import format_timestamp, parse_timestamp
from accord.store.directory import Collection
from accord.store.guidelines import GuidelinesStore
from accord.store.objects import ObjectStore
from accord.store.query import Outcome
from accord.store.schema import collections, ledger, objects
from accord.trust.markings import ACCORD_MARKING_EXTENSION, MARKING_FOR, Tlp

REQUEST_PREFIX = "x-accord-request--"
# Receipt ids are derived from the request's: one receipt per request, whoever stores it twice.
_RECEIPTS = uuid.UUID("6b1f0c3e-5d2a-4e8b-9a7c-1f3e5d7b9c20")


def receipt_id(request_id: str) -> str:
    return f"x-accord-receipt--{uuid.uuid5(_RECEIPTS, request_id)}"


def marked(obj: dict[str, Any], maker: str, request: Request) -> dict[str, Any]:
    """`obj` marked TLP:AMBER+STRICT, addressed to the request's participants but its maker."""
    others = [p for p in request.participants if p != maker]
    obj["object_marking_refs"] = [MARKING_FOR[Tlp.AMBER_STRICT]]
    if others:
        obj.setdefault("extensions", {})[ACCORD_MARKING_EXTENSION] = {
            "extension_type": "property-extension", "recipients": others}
    return obj


class Signer(Protocol):
    """What signs the objects of the parties a node hosts (intake's signer)."""

    @property
    def hosted(self) -> frozenset[str]: ...

    def __call__(self, objs: list[dict[str, Any]]) -> list[dict[str, Any]]: ...


def add_receipts(conn: Connection, store: ObjectStore, collection: Collection,
                 outcomes: Iterable[Outcome], signer: Signer) -> list[str]:
    """Signed receipts for what was just added to `collection`: for each request addressed to
    a party this node hosts (not a peer's), and for each act addressed to such a party (its
    arrival, `arrivals.py`); returns their ids. Runs in the caller's write transaction, so a
    request or an act is never stored here without its receipt."""
    added = [o.id for o in outcomes if o.added]
    requests = [i for i in added if i.startswith(REQUEST_PREFIX)]
    acts = [i for i in added if i.split("--", 1)[0] in ADDRESSED_TO]
    if not requests and not acts:
        return []
    hosted = signer.hosted
    made = _request_receipts(conn, store, collection, requests, hosted) if requests else []
    if acts:
        made += _act_receipts(conn, collection, acts, hosted)
    if made:
        store.add_in(conn, collection.id, signer(made), poster_id=None,
                     default_tlp=collection.default_tlp)
    return [m["id"] for m in made]


def _stored(conn: Connection, collection: Collection, ids: list[str]) -> list[Any]:
    c = objects.c
    return list(conn.execute(select(c.body, c.date_added).where(
        c.collection_id == collection.id, c.id.in_(ids), c.is_latest == true())).all())


def _receipted(conn: Connection, request_id: str, kind: str, maker: str,
               act_id: str | None = None) -> bool:
    """Whether the request's ledger on this node, in any collection, already holds a receipt
    of `kind` made by `maker` (for an act receipt: of the act `act_id`). Only the maker's
    counts: another party's object under the id this node gives its receipts (stored before
    the request or the act arrived, when there was nothing to check it against) must not stop
    the real one being made."""
    c = objects.c
    found = conn.execute(select(c.body).join(ledger, ledger.c.seq == c.seq).where(
        ledger.c.request_id == request_id, ledger.c.type == kind, c.creator_id == maker))
    if act_id is None:
        return found.first() is not None
    return any(orjson.loads(body).get("act_ref") == act_id for body in found.scalars())


def _free(conn: Connection, wanted: str) -> str:
    """`wanted`, the id this node gives the receipt (one per request or act, whoever stores it
    twice), unless an object of the node holds it already; then a new id."""
    held = conn.execute(select(objects.c.seq).where(
        objects.c.collection_id.in_(select(collections.c.id)), objects.c.id == wanted)
        .limit(1)).first()
    return wanted if held is None else f"{wanted.split('--', 1)[0]}--{uuid.uuid4()}"


def _request_receipts(conn: Connection, store: ObjectStore, collection: Collection,
                      added: list[str], hosted: frozenset[str]) -> list[dict[str, Any]]:
    made: list[dict[str, Any]] = []
    versions: Sequence[Any] | None = None
    for body, date_added in _stored(conn, collection, added):
        request = from_stix(orjson.loads(body))
        if not isinstance(request, Request) or request.addressee not in hosted:
            continue
        if _receipted(conn, request.id, "x-accord-receipt", request.addressee):
            continue  # received before, in another collection: the first receipt stands
        rid = _free(conn, receipt_id(request.id))
        if versions is None:
            versions = GuidelinesStore(store.engine).versions(conn)
        received = parse_timestamp(date_added)
        policy = in_force(versions, received, request.requester, request.addressee)
        acknowledge_by, respond_by = deadlines_for(request, policy, received)
        receipt = Receipt(rid, request.id, request.addressee, received, received=received,
                          acknowledge_by=acknowledge_by, respond_by=respond_by,
                          guidelines_version=policy.version)
        made.append(marked(to_stix(receipt), request.addressee, request))
    return made


def _act_receipts(conn: Connection, collection: Collection, added: list[str],
                  hosted: frozenset[str]) -> list[dict[str, Any]]:
    """The arrival of each act just stored whose receiving party this node hosts, stamped
    with its date_added here. Where both parties are hosted here, the act is received the
    moment it is stored. An act whose request this node does not hold gets none: it is timed
    by its own `created`."""
    made: list[dict[str, Any]] = []
    requests: dict[str, Request | None] = {}
    for body, date_added in _stored(conn, collection, added):
        act = from_stix(orjson.loads(body))
        if isinstance(act, Request):
            continue
        if act.request_id not in requests:
            requests[act.request_id] = held_request(conn, act.request_id)
        request = requests[act.request_id]
        receiver = None if request is None else receiver_of(act.id, request)
        if request is None or receiver is None or receiver not in hosted \
                or receiver == act.party:
            continue
        if _receipted(conn, request.id, "x-accord-act-receipt", receiver, act.id):
            continue  # received before, in another collection: the first receipt stands
        rid = _free(conn, act_receipt_id(act.id))
        received = parse_timestamp(date_added)
        receipt = ActReceipt(rid, request.id, receiver, received, act_id=act.id,
                             received=received)
        made.append(marked(to_stix(receipt), receiver, request))
    return made


def held_request(conn: Connection, request_id: str) -> Request | None:
    """The request as this node holds it, in any collection; None if it holds none."""
    body = conn.execute(select(objects.c.body).join(ledger, ledger.c.seq == objects.c.seq)
                        .where(ledger.c.request_id == request_id,
                               ledger.c.object_id == request_id).limit(1)).scalar()
    found = None if body is None else from_stix(orjson.loads(body))
    return found if isinstance(found, Request) else None


def why_not_receipt(conn: Connection, obj: dict[str, Any]) -> str | None:
    """Why a receipt a peer's node delivers is refused: it must be made by the party it
    receipts for (a request's addressee; an act's receiver) as the request held here names
    it. A receipt in the other side's name, under the id this node would give its own, would
    stop this node making the real one. None: not refused (or no request here to tell)."""
    request = held_request(conn, str(obj.get("request_ref")))
    if request is None:
        return None
    maker = request.addressee if obj["type"] == "x-accord-receipt" else \
        receiver_of(str(obj.get("act_ref")), request)
    if maker is not None and obj.get("created_by_ref") != maker:
        return (f"a {obj['type']} of {request.id} is made by the party it receipts for "
                f"({maker}), not by {obj.get('created_by_ref')}")
    if obj["type"] == "x-accord-receipt":
        return _why_not_request_receipt(conn, request, obj)
    return None


def _why_not_request_receipt(conn: Connection, request: Request, obj: dict[str, Any]
                             ) -> str | None:
    """A request is received once: a second receipt (`received` a moment earlier, so that it
    counts, and deadlines a month away) moved its deadlines and stopped the watcher; one of a
    time before the request was made moved it out of its review period."""
    other = conn.execute(select(ledger.c.object_id).where(
        ledger.c.request_id == request.id, ledger.c.type == "x-accord-receipt",
        ledger.c.object_id != obj["id"]).limit(1)).scalar()
    if other is not None:
        return (f"{request.id} was received already ({other}): a request is received once, "
                "and its deadlines are not moved")
    try:
        received, acknowledge_by, respond_by = (parse_timestamp(str(obj.get(key))) for key in (
            "received", "acknowledge_by", "respond_by"))
    except ValueError:
        return None  # the definition's own check names what is not a timestamp
    if received < request.created - RECEIPT_CLOCK_ALLOWANCE:
        return (f"the receipt of {request.id} says it was received at {obj.get('received')}, "
                f"before the request was made ({format_timestamp(request.created)})")
    if not received <= acknowledge_by <= respond_by:
        return (f"the receipt of {request.id} puts its deadlines out of order: received, then "
                "acknowledge_by, then respond_by")
    return None
