"""Which of a party's requests the hotline page shows: those with an escalation open now and
those escalated most recently whose escalations have all ended — read from indexes, a bounded
number of rows, never every ledger the party may see.

A party sees only the requests it is a party to and may read (`request_readers`), and only
while it may read the requests collection: the rule of store.summary_reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, and_, func, literal, or_, select

from accord.store.schema import ledger
from accord.store.summary_rows import may_read_requests
from accord.store.summary_tables import request_readers

ESCALATION = "x-accord-escalation"  # cooperation.objects: the ledger entry that opens one
_R, _L = request_readers.c, ledger.c
_BATCH = 500  # escalation entries read per statement while walking back in time


@dataclass(frozen=True, slots=True)
class Escalated:
    """The requests of a party's hotline page (ids)."""

    open: list[str]  # with an escalation open now: at most the cap, escalated most recently
    open_total: int  # how many of the party's requests have one open (beyond the cap too)
    closed: list[str]  # escalated, none open now: the most recently escalated first


class EscalationReads:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def escalated(self, party: str, *, most_open: int, most_closed: int) -> Escalated:
        """The party's requests with an escalation open (all of them up to `most_open`, else
        the `most_open` escalated most recently) and the `most_closed` escalated most recently
        whose escalations have ended.

        The open ones are counted and, under the cap, listed from ix_request_readers_needs
        (party, is_escalated, …). The rest walks the node's escalation entries newest first
        (ix_ledger_time: type, time, request_id), each probed in the party's rows of
        request_readers (its primary key), until enough are found: bounded by the escalations
        raised since the oldest one shown, not by the party's history."""
        with self.engine.connect() as conn:
            if not conn.execute(select(may_read_requests(party))).scalar():
                return Escalated([], 0, [])
            escalated = and_(_R.party_id == party, _R.is_escalated == literal(True))
            total = conn.execute(select(func.count()).select_from(request_readers)
                                 .where(escalated)).scalar_one()
            open_ids: list[str] | None = None
            if total <= most_open:
                open_ids = list(conn.execute(select(_R.request_id).where(escalated)).scalars())
            walked_open: dict[str, None] = {}
            closed: dict[str, None] = {}
            cursor: tuple[str, str] | None = None
            while True:
                stmt = (select(_L.time, _L.request_id, _R.is_escalated)
                        .select_from(ledger)
                        .join(request_readers, and_(_R.party_id == party,
                                                    _R.request_id == _L.request_id))
                        .where(_L.type == ESCALATION)
                        .order_by(_L.time.desc(), _L.request_id.desc()).limit(_BATCH))
                if cursor is not None:
                    # A request's other escalations at the very same instant are skipped: the
                    # request is found already.
                    stmt = stmt.where(or_(_L.time < cursor[0], and_(_L.time == cursor[0],
                                                                    _L.request_id < cursor[1])))
                rows = conn.execute(stmt).all()
                for _, request_id, is_open in rows:
                    if is_open:
                        if open_ids is None and len(walked_open) < most_open:
                            walked_open.setdefault(request_id)
                    elif len(closed) < most_closed:
                        closed.setdefault(request_id)
                enough_open = open_ids is not None or len(walked_open) >= most_open
                if len(rows) < _BATCH or (enough_open and len(closed) >= most_closed):
                    break
                cursor = (rows[-1].time, rows[-1].request_id)
        return Escalated(open_ids if open_ids is not None else list(walked_open), total,
                         list(closed))

    def escalated_lately(self, most: int) -> tuple[list[str], int]:
        """The node's own view: the `most` requests escalated most recently (by their latest
        escalation, newest first), and how many requests were ever escalated. Reads the
        escalation entries alone (ix_ledger_time), not the ledgers."""
        latest = func.max(_L.time)
        with self.engine.connect() as conn:
            ids = list(conn.execute(
                select(_L.request_id).where(_L.type == ESCALATION).group_by(_L.request_id)
                .order_by(latest.desc(), _L.request_id.desc()).limit(most)).scalars())
            total = len(ids) if len(ids) < most else conn.execute(
                select(func.count(func.distinct(_L.request_id)))
                .where(_L.type == ESCALATION)).scalar_one()
        return ids, total
