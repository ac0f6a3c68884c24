"""The dashboard: what I owe, what I am owed, what arrived, and how the peers are doing."""

from __future__ import annotations

from accord.cooperation.desk import Desk
from accord.cooperation.guidelines import in_force
from accord.store.browse import Browse
from accord.store.guidelines import GuidelinesStore
from accord.store.peers import PeerStore
from accord.web.core import Ctx, Page
from accord.web.escalations import follow_up
from accord.web.rows import OPEN_STATES, by_urgency_of_action, row


def dashboard(ctx: Ctx) -> Page:
    desk = Desk(ctx.node)
    me = ctx.viewer.party_id
    # What still runs: a rated or withdrawn request is finished (the requests page lists it).
    views = desk.search(ctx.actor, without=("x-accord-rating", "x-accord-withdrawal"))
    names = ctx.node.directory.names()
    rows = [row(v, me, names) for v in views]
    ctx.audit("request.list", tuple(r.id for r in rows))
    recent = Browse(ctx.node.engine).recent(me, limit=8)
    ctx.audit("objects.read", tuple(f.id for f in recent), {"page": "dashboard"})
    peers = PeerStore(ctx.node.engine).all()
    # An answered request stays while it waits for its rating (on the requester's side).
    running = [r for r in rows if r.state in OPEN_STATES or r.action]
    # What to do about an escalation the viewer's party waits on, in the ladder's words.
    versions = GuidelinesStore(ctx.node.engine).versions()
    follow = {v.request.id: follow_up(ctx, v, me, in_force(
        versions, v.request.created, v.request.requester, v.request.addressee).ladder, names)
        for v in views if v.is_escalated}
    return Page("dashboard.html", {
        "follow": follow,
        "needs": by_urgency_of_action([r for r in rows if r.action or r.is_escalated]),
        "incoming": [r for r in running if r.incoming],
        "outgoing": [r for r in running if not r.incoming],
        "recent": recent,
        "peers": [{"name": p.name, "party": names.get(p.party_id, p.party_id),
                   "last_success": p.last_success, "behind": p.behind,
                   "failing": p.failures > 0,
                   "error": p.last_error if ctx.viewer.is_admin else None}
                  for p in peers],
    }, title=ctx._("Dashboard"))
