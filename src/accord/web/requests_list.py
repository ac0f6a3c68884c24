"""Every request my party sent or received, filtered by direction, state, party and category."""

from __future__ import annotations

from accord.cooperation.desk import Desk, Filters
from accord.cooperation.model import CATEGORIES, STATES
from accord.web.core import Ctx, Page
from accord.web.rows import row

PAGE_SIZE = 200


def requests_list(ctx: Ctx) -> Page:
    direction = ctx.arg("direction") if ctx.arg("direction") in ("sent", "received") else None
    state = ctx.arg("state") if ctx.arg("state") in STATES else None
    category = ctx.arg("category") if ctx.arg("category") in CATEGORIES else None
    others = [p for p in ctx.node.directory.parties() if p.id != ctx.viewer.party_id]
    party = ctx.arg("party") if ctx.arg("party") in {p.id for p in others} else None
    views = Desk(ctx.node).search(ctx.actor, Filters(direction, state, None, party, category))
    names = ctx.node.directory.names()
    rows = [row(v, ctx.viewer.party_id, names) for v in views]
    shown = rows[:PAGE_SIZE]
    ctx.audit("request.list", tuple(r.id for r in shown), {"page": "requests"})
    return Page("requests.html", {
        "rows": shown, "total": len(rows), "limit": PAGE_SIZE, "others": others,
        "states": STATES, "categories": CATEGORIES,
        "chosen": {"direction": direction or "", "state": state or "", "party": party or "",
                   "category": category or ""},
    }, title=ctx._("Requests"))
