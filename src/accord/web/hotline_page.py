"""The hotline: the escalations of the requests my party takes part in — every request with one
open now (up to a cap) and those escalated most recently whose escalations ended — and whether
the parties' hotline contacts heard of them."""

from __future__ import annotations

from typing import Any

from accord.cooperation.desk import Desk
from accord.cooperation.guidelines import in_force
from accord.cooperation.hotline import Hotline
from accord.cooperation.ledger import derive
from accord.cooperation.model import Escalation
from accord.cooperation.timeline import is_automatic, written_note
from accord.store.escalation_reads import EscalationReads
from accord.store.guidelines import GuidelinesStore
from accord.store.peers import hosted_parties
from accord.web.core import Ctx, Page
from accord.web.escalations import hotline_words, level_words

# A page reads these requests' ledgers and no more: the others are a list away
# (/ui/requests?state=escalated) or in the past.
MOST_OPEN = 500
MOST_CLOSED = 50


def hotline_page(ctx: Ctx) -> Page:
    found = EscalationReads(ctx.node.engine).escalated(ctx.viewer.party_id, most_open=MOST_OPEN,
                                                      most_closed=MOST_CLOSED)
    desk = Desk(ctx.node)
    ids = found.open + found.closed
    # Each ledger read as the party may see it, its entitlement probed per entry.
    ledgers = desk.ledgers(ctx.actor, ids) if ids else []
    now = desk.clock()
    views = [derive(ledger_, now) for ledger_ in ledgers]
    names = ctx.node.directory.names()
    notes = Hotline(ctx.node.engine).of_escalations(
        (e.escalation, view.request) for view in views for e in view.escalations)
    hosted = hosted_parties(ctx.node.engine)
    versions = GuidelinesStore(ctx.node.engine).versions()
    rows: list[dict[str, Any]] = []
    for view in views:
        request = view.request
        ladder = in_force(versions, request.created, request.requester, request.addressee).ladder
        for e in view.escalations:
            rows.append({
                "id": e.escalation.id, "request": view.request.id,
                "summary": view.request.summary, "time": e.escalation.time,
                "reason": e.escalation.reason, "level": e.escalation.level,
                "note": written_note(e.escalation),
                "by": by_whom(ctx, e.escalation, names),
                "requester": names.get(view.request.requester, view.request.requester),
                "addressee": names.get(view.request.addressee, view.request.addressee),
                "ended": e.ended_at, "ended_by": e.ended_by, "open": e.is_open,
                "level_words": level_words(ctx, ladder, e.escalation.level),
                "heard": hotline_words(ctx, e.escalation, notes.get(e.escalation.id, []),
                                       hosted),
                "state": view.state})
    rows.sort(key=lambda r: (r["time"], r["id"]), reverse=True)
    ctx.audit("request.list", tuple(dict.fromkeys(r["request"] for r in rows)),
              {"page": "hotline"})
    return Page("hotline.html", {"open": [r for r in rows if r["open"]],
                                 "closed": [r for r in rows if not r["open"]],
                                 "open_requests": found.open_total,
                                 "open_unlisted": found.open_total - len(found.open),
                                 "closed_cut": len(found.closed) >= MOST_CLOSED,
                                 "most_closed": MOST_CLOSED},
                title=ctx._("Hotline"))


def by_whom(ctx: Ctx, escalation: Escalation, names: dict[str, str]) -> str:
    """Who raised an escalation, in words: the deadline watcher raises it in the requester's
    name, and says so, rather than seem the requester's own doing."""
    party = names.get(escalation.party, escalation.party)
    if is_automatic(escalation):
        return ctx._("automatically, for {party}", party=party)
    return party
