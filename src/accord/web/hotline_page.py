"""The hotline: every escalation of a request my party takes part in, open and closed, and
whether the parties' hotline contacts heard of it."""

from __future__ import annotations

from typing import Any

from accord.cooperation.desk import Desk
from accord.cooperation.hotline import Hotline
from accord.web.core import Ctx, Page


def hotline_page(ctx: Ctx) -> Page:
    names = ctx.node.directory.names()
    # Whether each hotline heard, not why it did not: the error may name the other party's
    # webhook, which is the node operator's business (accord hotline log).
    heard = {escalation: [f"{note.body.get('to', '')}: " + (
        ctx._("delivered") if note.delivered else ctx._("gave up") if note.has_given_up
        else ctx._("pending, {count} attempts", count=note.attempts)) for note in notes]
        for escalation, notes in Hotline(ctx.node.engine).by_escalation().items()}
    rows: list[dict[str, Any]] = []
    for view in Desk(ctx.node).search(ctx.actor):
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
                "heard": heard.get(e.escalation.id, []), "state": view.state})
    rows.sort(key=lambda r: (r["time"], r["id"]), reverse=True)
    ctx.audit("request.list", tuple(dict.fromkeys(r["request"] for r in rows)),
              {"page": "hotline"})
    return Page("hotline.html", {"open": [r for r in rows if r["open"]],
                                 "closed": [r for r in rows if not r["open"]]},
                title=ctx._("Hotline"))
