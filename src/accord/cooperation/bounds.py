"""The bounds of what one party may put into the mechanism, checked ahead by the desk so that
an officer reads them in words of its own language. The store keeps them on every path
(store.running_bound, store.ledger_bound), in words of TAXII's. And what the addressee's node
requires of a request, where it is a peer's: its node would leave it to its officers to
decline a request that lacks it."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Engine

from accord.cooperation.guidelines import (
    RequestIncomplete,
    missing_required,
    published_required,
)
from accord.cooperation.model import Request
from accord.cooperation.refusals import CooperationError
from accord.i18n import N_
from accord.store import ledger_bound, running_bound
from accord.store.directory import Party
from accord.store.engine import reading
from accord.store.forms import PeerGuidelines
from accord.words import how_large


def within_running(engine: Engine, requester: Party, addressee: Party) -> None:
    """Refuses a request past the most its requester may have running with its addressee
    (store.running_bound, which every path that stores a request keeps), in words of the
    officer's language."""
    with reading(engine) as conn:
        count = running_bound.running(conn, requester.id, addressee.id)
    if count >= running_bound.MOST_RUNNING:
        raise CooperationError(N_(
            "{party} has {count} requests running with {addressee}, the most one party may "
            "have running with one addressee. Withdraw one that is no longer needed, or "
            "wait for {addressee} to answer or decline some"),
            party=requester.name, count=f"{count:,}", addressee=addressee.name)


SIGNED_ALLOWANCE = 1_024  # bytes: what signing adds to an act, and more


def within_ledger(engine: Engine, party: Party, request_id: str, obj: dict[str, Any]) -> None:
    """Refuses `obj`, an act, past what one party may write into one request's ledger
    (store.ledger_bound, which every path keeps), in words of the officer's language."""
    size = len(orjson.dumps(obj))
    if not ledger_bound.is_counted(obj, request_id, size):
        return
    # As the store measures it, once the node has signed it (a few hundred bytes more): the
    # desk refuses first, in the officer's words, rather than the store in TAXII's.
    size += SIGNED_ALLOWANCE
    with reading(engine) as conn:
        made = ledger_bound.made_by(conn, request_id, party.id)
    if made.entries >= ledger_bound.MOST_ENTRIES:
        raise CooperationError(N_(
            "{party} has made {count} entries in this request, the most one party may make "
            "in one: no more of its entries are taken"),
            party=party.name, count=f"{made.entries:,}")
    if made.size + size > ledger_bound.MOST_BYTES:
        raise CooperationError(N_(
            "what {party} has written into this request ({written}) and this ({size}) would "
            "pass the most one party may write into one request ({most}). Write it shorter, "
            "or attach it as evidence (a report)"),
            party=party.name, written=how_large(made.size), size=how_large(size),
            most=how_large(ledger_bound.MOST_BYTES))


def require_theirs(engine: Engine, request: Request, addressee: Party) -> None:
    """Raises RequestIncomplete when `request` lacks content the guidelines of its addressee's
    node require, where that node is a peer's that published them (this node's own are
    checked by the desk: guidelines.require_content)."""
    published = PeerGuidelines(engine).get(addressee.id)
    if published is None:
        return
    missing = missing_required(request, published_required(published[0]))
    if missing:
        version = published[0].get("version")  # the peer's to say: shown only as a number
        raise RequestIncomplete(request.kind, missing,
                                version if type(version) is int else "?", party=addressee.name)
