"""The dashboard: what I owe, what I am owed, what arrived, and how the peers are doing.

Read from the request summaries (store.summary_reads), never from ledgers: counts per state
and the first rows of each list, whatever the number of requests. Only the escalated
requests it shows are derived from their ledgers, for what to do about each escalation.
"""

from __future__ import annotations

from accord import clock
from accord.cooperation.desk import Desk
from accord.cooperation.guidelines import in_force
from accord.cooperation.ledger import derive
from accord.cooperation.model import STATES
from accord.store.browse import Browse
from accord.store.guidelines import GuidelinesStore
from accord.store.peers import PeerStore
from accord.store.summary_reads import SummaryReads
from accord.web.core import Ctx, Page
from accord.web.escalations import follow_up
from accord.web.listed_rows import shown_rows
from accord.web.rows import Row

FIRST_ROWS = 25  # of each list; the requests page has them all


def _follow(ctx: Ctx, rows: list[Row], names: dict[str, str]) -> dict[str, str]:
    """What to do about each escalation shown, in the ladder's words."""
    escalated = [r.id for r in rows if r.is_escalated]
    if not escalated:
        return {}
    desk, me = Desk(ctx.node), ctx.viewer.party_id
    versions = GuidelinesStore(ctx.node.engine).versions()
    follow = {}
    # The node's view from the ledger's digests (what an escalation needs): the rows shown
    # are already the ones the party may see.
    for ledger in desk.ledgers(None, escalated, whole=False):
        view = derive(ledger, desk.clock())
        request = view.request
        ladder = in_force(versions, request.created, request.requester, request.addressee).ladder
        follow[request.id] = follow_up(ctx, view, me, ladder, names)
    return follow


def dashboard(ctx: Ctx) -> Page:
    me, now = ctx.viewer.party_id, clock.now()
    reads = SummaryReads(ctx.node.engine)
    names = ctx.node.directory.names()

    read = reads.dashboard(me, now, limit=FIRST_ROWS)
    counts = read.counts
    # One read of the translations for the three lists.
    every = shown_rows(ctx, reads, read.needs + read.incoming + read.outgoing, now, names)
    needs, incoming = every[:len(read.needs)], every[len(read.needs):][:len(read.incoming)]
    outgoing = every[len(read.needs) + len(read.incoming):]
    ctx.audit("request.list", tuple(dict.fromkeys(r.id for r in needs + incoming + outgoing)))
    recent = Browse(ctx.node.engine).recent(me, limit=8)
    ctx.audit("objects.read", tuple(f.id for f in recent), {"page": "dashboard"})
    peers = PeerStore(ctx.node.engine).all()
    return Page("dashboard.html", {
        "follow": _follow(ctx, needs, names),
        "needs": needs,
        "incoming": incoming, "incoming_count": counts.incoming,
        "outgoing": outgoing, "outgoing_count": counts.outgoing,
        "states": [(s, counts.by_state[s]) for s in STATES if s in counts.by_state],
        "first_rows": FIRST_ROWS,
        "recent": recent,
        "peers": [{"name": p.name, "party": names.get(p.party_id, p.party_id),
                   "last_success": p.last_success, "behind": p.behind,
                   "failing": p.failures > 0,
                   "error": p.last_error if ctx.viewer.is_admin else None}
                  for p in peers],
    }, title=ctx._("Dashboard"))
