"""What a review reads instead of every ledger: the figures of each request counted in its
period (cooperation.review.Counted), kept with the request summaries (store.summaries), for the
node's view or for one party; and which requests a party sees only in part, whose ledgers its
review must still derive (cooperation.reviewing). One narrow row a request (`request_figures`).

A party's review reads the figures of a request only when the party sees its ledger whole
(`request_readers.sees_ledger`): then its own read of the ledger (Desk.ledgers) finds exactly
the entries the figures were derived from. It must also be entitled to read the requests
collection, the rule the desk applies to ledgers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Engine, and_, exists, false, or_, select, true, union
from sqlalchemy.sql.elements import ColumnElement

from accord.cooperation.review import Counted
from accord.stix.timestamps import format_timestamp
from accord.store.summary_rows import may_read_requests
from accord.store.summary_tables import request_figures, request_readers

_R, _F = request_readers.c, request_figures.c
_FIGURES = tuple(request_figures.c[name] for name in Counted._fields)  # named alike
_time = datetime.fromisoformat  # Python 3.11 reads the "Z" format_timestamp writes


class ReviewReads:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def is_derived(self) -> bool:
        """Whether every request's figures are derived: not so for those summarised before
        they were kept (migration 0020), until the migrating node derives them
        (summaries.mend_in). A request's figures and its readers' rows are written together,
        so the figures answer for both."""
        with self.engine.connect() as conn:
            return not conn.execute(select(exists().where(_F.counted_at.is_(None)))).scalar()

    def counted(self, start: datetime, end: datetime, *, party: str | None = None,
                pair: tuple[str, str] | None = None) -> list[Counted]:
        """The figures of every request counted in [start, end) (received then, or never
        received and created then): in the node's view (`party` None), or of the requests
        `party` sees whole; only those between the two parties of `pair`, if given."""
        low, high = format_timestamp(start), format_timestamp(end)
        if party is None:
            stmt = select(*_FIGURES).where(_F.counted_at >= low, _F.counted_at < high)
        else:
            # sort_time is the same instant as counted_at: the party's index gives its range.
            stmt = (select(*_FIGURES).select_from(request_readers)
                    .join(request_figures, _F.request_id == _R.request_id)
                    .where(_R.party_id == party, _R.sort_time >= low, _R.sort_time < high,
                           _R.sees_ledger == true(), may_read_requests(party)))
        if pair is not None:
            stmt = stmt.where(_between(*pair))
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()  # one fetch: row by row is twice as slow
        return [_counted(row) for row in rows]

    def seen_in_part(self, party: str) -> set[str]:
        """The requests `party` may see but not whole, in any period: entries it may not read
        (or held elsewhere than the requests collection, or in two versions), or a request
        others may read besides the parties listed with it. Few, if any: each request's
        objects are addressed to its parties alike (cooperation.receipts.marked)."""
        partial = union(
            select(_R.request_id).where(_R.party_id == party, _R.sees_ledger == false()),
            select(_F.request_id).where(_F.readers_listed == false(), ~exists().where(
                _R.party_id == party, _R.request_id == _F.request_id, _R.sees_ledger == true())))
        with self.engine.connect() as conn:
            return set(conn.execute(partial).scalars())


def _between(a: str, b: str) -> ColumnElement[bool]:
    return or_(and_(_F.requester == a, _F.addressee == b),
               and_(_F.requester == b, _F.addressee == a))


def _counted(row: Sequence[Any]) -> Counted:
    (requester, addressee, is_exercise, kind, category, urgency, counted_at, acknowledged,
     acknowledged_on_time, to_acknowledge, answered, answered_on_time, to_answer, outcome,
     withdrawn, overdue_after, reasons, backdated, rating) = row
    # Booleans come back as such (SQLAlchemy's Boolean converts SQLite's 0 and 1).
    return Counted(
        requester, addressee, is_exercise, kind, category, urgency, _time(counted_at),
        acknowledged, acknowledged_on_time, to_acknowledge, answered, answered_on_time,
        to_answer, outcome, withdrawn, None if overdue_after is None else _time(overdue_after),
        () if reasons is None else tuple(orjson.loads(reasons)), backdated, rating)
