"""What the deadline watcher raises at each tick: an escalation for every deadline that has
passed without one, made once however many hosts watch the same database."""

from __future__ import annotations

import logging

from accord.cooperation.deadlines import escalations_due
from accord.cooperation.desk import Actor, CooperationError, Desk
from accord.cooperation.ledger import RequestView, derive
from accord.cooperation.model import Escalation, escalation_id
from accord.cooperation.objects import to_stix
from accord.cooperation.receipts import marked
from accord.cooperation.timeline import automatic_note
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
                if _escalate(desk, view, reason):
                    made.append(escalation_id(view.request.id, reason))
            except CooperationError as refused:
                # One request the store will not take an escalation of must not keep the
                # watcher from every other request's deadline.
                log.error("could not escalate %s (%s): %s", view.request.id, reason, refused)
    return made


def _escalate(desk: Desk, view: RequestView, reason: str) -> bool:
    """Store the automatic escalation; False when it was there already."""
    request = view.request
    due = view.acknowledge_by if reason == "acknowledgement-overdue" else view.respond_by
    assert due is not None
    escalation = Escalation(
        escalation_id(request.id, reason), request.id, request.requester, due,
        reason=reason,  # type: ignore[arg-type]
        level=desk._level(view), note=automatic_note(reason))
    requester = desk.node.directory.party(request.requester)
    obj = marked(to_stix(escalation), request.requester, request)
    added = desk._store(Actor(requester), desk.collection(), [obj],
                        also=desk._tell_hotlines(escalation, request))
    return added > 0
