"""The request summaries (cooperation.summary) kept in the database: refreshed from the ledger
in the transaction of every append to it, rebuilt from the whole ledger, and checked against
it.

Every path that appends to a ledger (a party's act, a receipt, a peer's objects at sync, the
deadline watcher's escalations) stores through `ObjectStore.add_in`, which calls `refresh_in`
for the requests it touched; so does a TAXII DELETE of a ledger entry. The summary of a request
is its node view (every entry this node holds, as the watcher and the review read it); who may
see it is kept beside it (`request_readers`): its parties that may read the request object.
`check` is what a database check (`accord db check`, built elsewhere) should run: it reads the
whole ledger once and names every summary that differs from it; `rebuild` mends them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, delete, insert, select, text

from accord import clock
from accord.cooperation.digest import from_digest
from accord.cooperation.ledger import derive
from accord.cooperation.model import Entry, Ledger, Request
from accord.cooperation.objects import from_stix
from accord.cooperation.summary import Summary, action_for, role_of, summarise
from accord.stix.timestamps import format_timestamp
from accord.store.bulk import among
from accord.store.engine import is_sqlite, take_turn, writing
from accord.store.schema import (
    collections,
    ledger,
    objects,
    recipients,
    request_readers,
    request_summaries,
)
from accord.trust.markings import MarkedVersion, Tlp, may_read

_CHUNK = 500  # request ids per IN (…) list
_REQUEST = "x-accord-request"
_MOST_LOCKS = 32  # requests refreshed under a lock each; more lock the table


@dataclass(frozen=True, slots=True)
class _Held:
    """A request as this node holds it: its object, how that is marked, and its entries."""

    request: Request
    marking: MarkedVersion
    default_tlp: Tlp
    entries: dict[str, Entry]


def refresh_in(conn: Connection, request_ids: Iterable[str]) -> None:
    """Derive again the summaries of these requests from their ledgers, in the caller's
    transaction: a request this node no longer holds loses its summary."""
    ids = sorted(set(request_ids))
    if not ids:
        return
    if conn.dialect.name != "sqlite":
        # Two transactions appending to one request's ledger (in two collections) take turns
        # here, so the second derives from what the first committed. In id order: no deadlock.
        # A bulk load locks the table instead: each advisory lock takes a slot of the server's
        # lock table (64 per connection by default), which thousands would exhaust.
        if len(ids) > _MOST_LOCKS:
            conn.execute(text("LOCK TABLE request_summaries IN SHARE ROW EXCLUSIVE MODE"))
        for request_id in ids if len(ids) <= _MOST_LOCKS else ():
            take_turn(conn, f"summary:{request_id}")
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        # One array parameter, not an IN list of hundreds: psycopg prepares a statement run
        # often, and the generic plan of a long IN list made while the tables were small
        # scanned them whole ever after (a bulk load of 100,000 ledgers went quadratic).
        for condition in among(conn, request_readers.c.request_id, chunk):
            conn.execute(delete(request_readers).where(condition))
        for condition in among(conn, request_summaries.c.request_id, chunk):
            conn.execute(delete(request_summaries).where(condition))
        _write(conn, _held(conn, chunk))


def rebuild(engine: Engine) -> int:
    """Every summary derived again from the whole ledger; returns how many requests."""
    with writing(engine) as conn:
        return rebuild_in(conn)


def rebuild_in(conn: Connection) -> int:
    if conn.dialect.name != "sqlite":
        # Appends wait until the rebuild is committed, then refresh on top of it.
        conn.execute(text("LOCK TABLE request_summaries, request_readers IN EXCLUSIVE MODE"))
    conn.execute(delete(request_readers))
    conn.execute(delete(request_summaries))
    held = _held(conn, None)
    _write(conn, held)
    return len(held)


def check(engine: Engine) -> list[str]:
    """How the stored summaries differ from the ledger, one line per difference ([]: none).
    Read in one snapshot, so appends running meanwhile cannot show up as differences."""
    with engine.connect().execution_options(accord_snapshot=True) as conn, conn.begin():
        if not is_sqlite(engine):
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        derived = _rows(_held(conn, None))
        stored = ({r["request_id"]: dict(r) for r in conn.execute(
                      select(request_summaries)).mappings()},
                  {(r["party_id"], r["request_id"]): dict(r) for r in conn.execute(
                      select(request_readers)).mappings()})
    fresh_summaries, fresh_readers = _keyed(*derived)
    return (_differences("request summary", fresh_summaries, stored[0])
            + _differences("reader", fresh_readers, stored[1]))


def _keyed(summaries: list[dict[str, Any]], readers: list[dict[str, Any]]
           ) -> tuple[dict[Any, dict[str, Any]], dict[Any, dict[str, Any]]]:
    return ({r["request_id"]: r for r in summaries},
            {(r["party_id"], r["request_id"]): r for r in readers})


def _differences(what: str, fresh: Mapping[Any, Mapping[str, Any]],
                 stored: Mapping[Any, Mapping[str, Any]]) -> list[str]:
    problems = []
    for key in sorted(fresh.keys() | stored.keys(), key=repr):
        name = key if isinstance(key, str) else " of ".join(key)
        if key not in stored:
            problems.append(f"{what} {name}: missing (the ledger holds it)")
        elif key not in fresh:
            problems.append(f"{what} {name}: not in the ledger")
        else:
            for column, value in fresh[key].items():
                if _plain(stored[key][column]) != _plain(value):
                    problems.append(f"{what} {name}: {column} is {stored[key][column]!r}, "
                                    f"the ledger says {value!r}")
    return problems


def _plain(value: Any) -> Any:
    # SQLite gives booleans back as 0 and 1.
    return bool(value) if type(value) is int and value in (0, 1) else value


def _held(conn: Connection, ids: list[str] | None) -> dict[str, _Held]:
    """The requests named (None: every one) with their entries, one query for each kind."""
    o, lg = objects.c, ledger.c
    requests = (select(lg.request_id, o.seq, o.body, o.tlp, o.creator_id, o.poster_id,
                       collections.c.default_tlp)
                .select_from(ledger).join(objects, o.seq == lg.seq)
                .join(collections, collections.c.id == o.collection_id)
                .where(lg.type == _REQUEST).order_by(o.seq))
    entries = select(lg.request_id, lg.object_id, lg.digest).where(
        lg.type != _REQUEST, lg.digest.is_not(None))  # translations have no digest
    if ids is not None and not ids:
        return {}
    if ids is not None:  # at most _CHUNK: one condition (an array on PostgreSQL, as above)
        for named in among(conn, lg.request_id, ids):
            requests, entries = requests.where(named), entries.where(named)
    held: dict[str, _Held] = {}
    seqs: dict[int, str] = {}
    for request_id, seq, body, tlp, creator, poster, default in conn.execute(requests):
        if request_id in held:
            continue  # the same request in a second collection: the first copy stands
        request = from_stix(orjson.loads(body))
        if isinstance(request, Request):
            held[request_id] = _Held(request, MarkedVersion(
                None if tlp is None else Tlp(tlp), creator, poster), Tlp(default), {})
            seqs[seq] = request_id
    for seq_list in _chunks(sorted(seqs)):
        addressed = [row for condition in among(conn, recipients.c.seq, seq_list)
                     for row in conn.execute(select(recipients.c.seq, recipients.c.party_id)
                                             .where(condition))]
        for seq, party in addressed:
            found = held[seqs[seq]]
            marking = found.marking
            held[seqs[seq]] = _Held(found.request, MarkedVersion(
                marking.level, marking.creator, marking.poster, marking.recipients | {party}),
                found.default_tlp, found.entries)
    # On the statement: a connection's own options would outlive this read.
    rows = conn.execute(entries.execution_options(yield_per=5000))
    for request_id, object_id, data in rows:
        holder = held.get(request_id)
        if holder is not None:
            entry = from_digest(object_id, request_id, data)
            if not isinstance(entry, Request):
                holder.entries[object_id] = entry  # one entry stored twice is one entry
    return held


def _chunks(items: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


def summary_of(found: _Held, now: datetime) -> Summary:
    return summarise(derive(Ledger(found.request, tuple(found.entries.values())), now))


def _rows(held: Mapping[str, _Held]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    now = clock.now()  # a summary does not depend on it (cooperation.summary)
    summaries, readers = [], []
    for found in held.values():
        s = summary_of(found, now)
        row = summary_row(s)
        summaries.append(row)
        parties = dict.fromkeys([s.requester, s.addressee, *s.shared_with])
        readers += [{"party_id": party, "request_id": s.request_id, "role": role_of(s, party),
                     "settled_state": s.settled_state, "overdue_after": row["overdue_after"],
                     "sort_time": format_timestamp(s.sort_time),
                     "action": action_for(s, party), "is_escalated": s.is_escalated}
                    for party in parties
                    if may_read(party, found.marking, found.default_tlp)]
    return summaries, readers


def _write(conn: Connection, held: Mapping[str, _Held]) -> None:
    summaries, readers = _rows(held)
    for start in range(0, len(summaries), 5000):
        conn.execute(insert(request_summaries), summaries[start:start + 5000])
    for start in range(0, len(readers), 5000):
        conn.execute(insert(request_readers), readers[start:start + 5000])


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else format_timestamp(moment)


def summary_row(s: Summary) -> dict[str, Any]:
    """The summary as its row in `request_summaries`."""
    return {
        "request_id": s.request_id, "requester": s.requester, "addressee": s.addressee,
        "kind": s.kind, "category": s.category, "urgency": s.urgency, "summary": s.summary,
        "description": s.description, "lang": s.lang, "is_exercise": s.is_exercise,
        "created": format_timestamp(s.created), "received": _time(s.received),
        "acknowledge_by": _time(s.acknowledge_by), "respond_by": _time(s.respond_by),
        "is_acknowledged": s.is_acknowledged, "is_answered": s.is_answered,
        "is_rated": s.is_rated, "is_escalated": s.is_escalated,
        "settled_state": s.settled_state, "overdue_after": _time(s.overdue_after),
        "last_act": format_timestamp(s.last_act),
    }
