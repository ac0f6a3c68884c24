"""The hotline: every escalation of a request my party takes part in, open and closed, and
whether the parties' hotline contacts heard of it."""

from __future__ import annotations

from typing import Any

from accord.cooperation.desk import Desk
from accord.cooperation.guidelines import in_force
from accord.cooperation.hotline import Hotline
from accord.store.guidelines import GuidelinesStore
from accord.store.peers import hosted_parties
from accord.web.core import Ctx, Page
from accord.web.escalations import hotline_words, level_words


def hotline_page(ctx: Ctx) -> Page:
    names = ctx.node.directory.names()
    notes = Hotline(ctx.node.engine).by_escalation()
    hosted = hosted_parties(ctx.node.engine)
    versions = GuidelinesStore(ctx.node.engine).versions()
    rows: list[dict[str, Any]] = []
    for view in Desk(ctx.node).search(ctx.actor):
        request = view.request
        ladder = in_force(versions, request.created, request.requester, request.addressee).ladder
        for e in view.escalations:
            rows.append({
                "id": e.escalation.id, "request": view.request.id,
                "summary": view.request.summary, "time": e.escalation.time,
                "reason": e.escalation.reason, "level": e.escalation.level,
                "note": e.escalation.note,
                "by": names.get(e.escalation.party, e.escalation.party),
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
                                 "closed": [r for r in rows if not r["open"]]},
                title=ctx._("Hotline"))
