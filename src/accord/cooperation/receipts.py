"""The clock of a request starts here: when this node first stores a request addressed to a
party it hosts, it adds the addressee's receipt in the same transaction. The receipt fixes the
deadlines from the guidelines in force at that instant; neither side can move them later.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import orjson
from sqlalchemy import Connection, select, true

from accord.cooperation.guidelines import deadlines_for, in_force
from accord.cooperation.model import Receipt, Request
from accord.cooperation.objects import from_stix, to_stix
from accord.stix.timestamps import parse_timestamp
from accord.store.directory import Collection
from accord.store.guidelines import GuidelinesStore
from accord.store.objects import ObjectStore
from accord.store.query import Outcome
from accord.store.schema import ledger, objects
from accord.trust.markings import ACCORD_MARKING_EXTENSION, MARKING_FOR, Tlp

REQUEST_PREFIX = "x-accord-request--"
# Receipt ids are derived from the request's: one receipt per request, whoever stores it twice.
_RECEIPTS = uuid.UUID("6b1f0c3e-5d2a-4e8b-9a7c-1f3e5d7b9c20")


def receipt_id(request_id: str) -> str:
    return f"x-accord-receipt--{uuid.uuid5(_RECEIPTS, request_id)}"


def participants(request: Request) -> list[str]:
    """Who may see a request and every entry of its ledger."""
    return list(dict.fromkeys([request.requester, request.addressee, *request.shared_with]))


def marked(obj: dict[str, Any], maker: str, request: Request) -> dict[str, Any]:
    """`obj` marked TLP:AMBER+STRICT, addressed to the request's participants but its maker."""
    others = [p for p in participants(request) if p != maker]
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
    """Signed receipts for the requests just added to `collection` and addressed to a party
    this node hosts (not a peer's); returns their ids. Runs in the caller's write transaction,
    so a request is never stored without its receipt."""
    added = [o.id for o in outcomes if o.added and o.id.startswith(REQUEST_PREFIX)]
    if not added:
        return []
    hosted = signer.hosted
    c = objects.c
    rows = conn.execute(select(c.body, c.date_added).where(
        c.collection_id == collection.id, c.id.in_(added), c.is_latest == true())).all()
    made: list[dict[str, Any]] = []
    versions: Sequence[Any] | None = None
    for body, date_added in rows:
        request = from_stix(orjson.loads(body))
        if not isinstance(request, Request) or request.addressee not in hosted:
            continue
        rid = receipt_id(request.id)
        if conn.execute(select(ledger.c.seq).join(objects, objects.c.seq == ledger.c.seq)
                        .where(ledger.c.request_id == request.id, objects.c.id == rid)
                        .limit(1)).first() is not None:
            continue  # received before, in another collection: the first receipt stands
        if versions is None:
            versions = GuidelinesStore(store.engine).versions(conn)
        received = parse_timestamp(date_added)
        policy = in_force(versions, received, request.requester, request.addressee)
        acknowledge_by, respond_by = deadlines_for(request, policy, received)
        receipt = Receipt(rid, request.id, request.addressee, received, received=received,
                          acknowledge_by=acknowledge_by, respond_by=respond_by,
                          guidelines_version=policy.version)
        made.append(marked(to_stix(receipt), request.addressee, request))
    if made:
        store.add_in(conn, collection.id, signer(made), poster_id=None,
                     default_tlp=collection.default_tlp)
    return [m["id"] for m in made]
