"""What the deadline watcher raises at each tick: an escalation for every deadline that has
passed without one, made once however many hosts watch the same database."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Connection

from accord.cooperation.deadlines import escalations_due
from accord.cooperation.desk import Actor, CooperationError, Desk
from accord.cooperation.ledger import RequestView, derive
from accord.cooperation.model import Escalation, escalation_id
from accord.cooperation.objects import to_stix
from accord.cooperation.receipts import marked
from accord.cooperation.timeline import automatic_note
from accord.store.engine import take_turn
from accord.store.peers import hosted_parties

# Automatic escalations get ids derived from (request, reason): every host's watcher makes the
# same object, and the requests collection's turn (ObjectStore) lets the first store it; the
# others find it "already stored". So a passed deadline yields exactly one escalation, and one
# notification per hotline (whose ids derive from the escalation's): model.escalation_id.

log = logging.getLogger("accord.watcher")


def watch(desk: Desk) -> list[str]:
    """One tick of the watcher: an escalation for every deadline that has passed without one,
    and a notification to each participant's hotline; the ids of the escalations this tick
    made (not those another host's watcher made first)."""
    now = desk.clock()
    made: list[str] = []
    # The requester's node raises what stalls: a node never writes for a peer's party.
    hosted = hosted_parties(desk.node.engine)
    # A request answered or withdrawn is never escalated again (escalations_due): the watcher
    # reads only the others, however long the ledger grows.
    for ledger_ in desk.ledgers(None, whole=False,
                                without=("x-accord-response", "x-accord-withdrawal")):
        if ledger_.request.requester not in hosted:
            continue
        view = derive(ledger_, now)
        for reason in escalations_due(view, now):
            try:
                if not _escalate(desk, view, reason):
                    continue
            except CooperationError as refused:
                # One request the store will not take an escalation of must not keep the
                # watcher from every other request's deadline.
                log.error("could not escalate %s (%s): %s", view.request.id, reason, refused)
                continue
            made.append(escalation_id(view.request.id, reason))
            # Both deadlines passed: the second escalation's level follows the first's.
            view = _read_again(desk, view.request.id, now) or view
    return made


def _read_again(desk: Desk, request_id: str, now: datetime) -> RequestView | None:
    """The request as its ledger is now (None: no longer there)."""
    found = desk.ledgers(None, [request_id], whole=False)
    return derive(found[0], now) if found else None


class _NoLongerDue(Exception):
    """The request changed since the tick read it: the escalation is not stored."""


def _escalate(desk: Desk, view: RequestView, reason: str) -> bool:
    """Store the automatic escalation; False when it was there already, or is no longer due."""
    request = view.request
    due = view.acknowledge_by if reason == "acknowledgement-overdue" else view.respond_by
    assert due is not None
    escalation = Escalation(
        escalation_id(request.id, reason), request.id, request.requester, due,
        reason=reason,  # type: ignore[arg-type]
        level=desk._level(view), note=automatic_note(reason))
    requester = desk.node.directory.party(request.requester)
    obj = marked(to_stix(escalation), request.requester, request)
    collection = desk.collection()

    def still_due(conn: Connection) -> None:
        # The tick read every open ledger at its start: an answer, a withdrawal or an officer's
        # escalation committed since then is read in the request's turn (the one its acts
        # take, Desk._add) and the requests collection's (what a peer's node posts or a sync
        # round pulls takes it), so that no escalation follows an answer, nor carries a level
        # another escalation took. The next tick raises what is still due.
        take_turn(conn, f"request:{request.id}")
        desk.node.objects.lock(conn, collection.id)
        now = desk.clock()
        fresh = _read_again(desk, request.id, now)
        if fresh is None or reason not in escalations_due(fresh, now) \
                or desk._level(fresh) != escalation.level:
            raise _NoLongerDue

    try:
        added = desk._store(Actor(requester), collection, [obj],
                            also=desk._tell_hotlines(escalation, request), before=still_due)
    except _NoLongerDue:
        return False
    return added > 0
