"""The request summaries (cooperation.summary) kept in the database: refreshed from the ledger
in the transaction of every append to it, rebuilt from the whole ledger, and checked against
it.

Every path that appends to a ledger (a party's act, a receipt, a peer's objects at sync, the
deadline watcher's escalations) stores through `ObjectStore.add_in`, which calls `refresh_in`
for the requests it touched; so does a TAXII DELETE of a ledger entry. The summary of a request
is its node view (every entry this node holds, as the watcher and the review read it); who may
see it is kept beside it (`request_readers`): its parties that may read the request object.
What the review counts of each request (cooperation.review.Counted) is kept with its summary,
and with each reader whether it sees the ledger whole, as the node does: then that party's
review may read the same figures (store.review_reads); and what each reader reads of the
request's translations, for a search of its list (store.summary_translations); and the words
that search finds each request by, indexed (store.request_words). `check` is
what a database check (`accord db check`) runs: it reads the whole ledger once and names every
summary that differs from it; `rebuild` mends them, `mend_in` those a migration left to
derive.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, delete, exists, insert, select, text

from accord import clock
from accord.cooperation.digest import from_digest
from accord.cooperation.ledger import derive
from accord.cooperation.model import Entry, Ledger, Request
from accord.cooperation.objects import from_stix
from accord.cooperation.review import Counted, counted
from accord.cooperation.summary import Summary, action_for, role_of, summarise
from accord.cooperation.translations import LANGUAGE_CONTENT, Original, Translation, original_of
from accord.stix.timestamps import format_timestamp
from accord.store import request_words
from accord.store.bulk import among
from accord.store.engine import is_sqlite, take_turn, writing
from accord.store.schema import collections, ledger, objects, recipients
from accord.store.summary_rows import REQUESTS_ALIAS
from accord.store.summary_tables import (
    request_figures,
    request_readers,
    request_summaries,
    request_translations,
)
from accord.store.summary_translations import Filed, as_translation, reader_rows
from accord.trust.markings import MarkedVersion, Tlp, audience, may_read

_CHUNK = 500  # request ids per IN (…) list
_REQUEST = "x-accord-request"
_MOST_LOCKS = 32  # requests refreshed under a lock each; more lock the table
_MOST_BY_ID = 5000  # requests to mend one by one; more are derived again in one pass


@dataclass(slots=True)
class _Held:
    """A request as this node holds it: its object, how that is marked, and its entries."""

    request: Request
    marking: MarkedVersion
    default_tlp: Tlp
    entries: dict[str, Entry]
    # Whether a party's own read of the ledger (Desk.ledgers: the newest versions in the
    # requests collection) finds what the node view holds, markings aside: the request, and
    # each of its entries, stored once, there, in its only version.
    is_request_home: bool = True
    are_entries_home: bool = True
    markings: set[MarkedVersion] = field(default_factory=set)  # of its entries, distinct
    original: Original | None = None  # the request's texts, as a translation names them
    translations: list[Filed] = field(default_factory=list)  # of the request, as stored

    def is_seen_whole_by(self, party: str) -> bool:
        """Whether `party`, which may read the request, reads every entry the node holds."""
        return self.is_request_home and self.are_entries_home and all(
            may_read(party, marking, self.default_tlp) for marking in self.markings)


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
        # Either way request_summaries is locked first, before any row of the other tables:
        # a refresh of a few that deleted a request's readers before it met the bulk's
        # table lock would wait on it while the bulk waited on those rows (a deadlock).
        if len(ids) > _MOST_LOCKS:
            conn.execute(text("LOCK TABLE request_summaries IN SHARE ROW EXCLUSIVE MODE"))
        else:
            conn.execute(text("LOCK TABLE request_summaries IN ROW EXCLUSIVE MODE"))
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
        for condition in among(conn, request_figures.c.request_id, chunk):
            conn.execute(delete(request_figures).where(condition))
        for condition in among(conn, request_translations.c.request_id, chunk):
            conn.execute(delete(request_translations).where(condition))
        request_words.forget(conn, chunk)
        _write(conn, _held(conn, chunk))


def rebuild(engine: Engine) -> int:
    """Every summary derived again from the whole ledger; returns how many requests."""
    with writing(engine) as conn:
        return rebuild_in(conn)


def rebuild_in(conn: Connection) -> int:
    if conn.dialect.name != "sqlite":
        # Appends wait until the rebuild is committed, then refresh on top of it.
        conn.execute(text("LOCK TABLE request_summaries, request_readers, request_figures, "
                          "request_translations, request_words IN EXCLUSIVE MODE"))
    conn.execute(delete(request_readers))
    conn.execute(delete(request_summaries))
    conn.execute(delete(request_figures))
    conn.execute(delete(request_translations))
    request_words.forget(conn, None)
    held = _held(conn, None)
    _write(conn, held)
    return len(held)


def mend_in(conn: Connection) -> int:
    """Derive the summaries the migrations left to this code (a migration must not import
    it): of the requests held without one, and of those whose figures are marked not
    derived (rows without them: migration 0020; the requests with translations when their
    readers' rows of them began: 0040). `engine.migrate` runs it in the migrations'
    transaction; returns how many requests it derived."""
    lg, s, f = ledger.c, request_summaries.c, request_figures.c
    missing = set(conn.execute(select(f.request_id).where(f.counted_at.is_(None))).scalars())
    missing.update(conn.execute(select(lg.request_id).where(
        lg.type == _REQUEST, ~exists().where(s.request_id == lg.request_id))).scalars())
    if len(missing) > _MOST_BY_ID:
        return rebuild_in(conn)  # one pass over the ledger beats reading thousands by id
    refresh_in(conn, missing)
    return len(missing)


def check(engine: Engine) -> list[str]:
    """How the stored summaries differ from the ledger, one line per difference ([]: none).
    Read in one snapshot, so appends running meanwhile cannot show up as differences."""
    with engine.connect().execution_options(accord_snapshot=True) as conn, conn.begin():
        if not is_sqlite(engine):
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        summaries, readers, figures, translated = _rows(_held(conn, None))
        words = {(r["request_id"], r["party_id"]): {"text": r["text"]}
                 for r in request_words.rows_of(summaries, translated)}
        stored = [{r["request_id"]: dict(r) for r in conn.execute(
                      select(request_summaries)).mappings()},
                  {(r["party_id"], r["request_id"]): dict(r) for r in conn.execute(
                      select(request_readers)).mappings()},
                  {r["request_id"]: dict(r) for r in conn.execute(
                      select(request_figures)).mappings()},
                  {_translated_key(r): dict(r) for r in conn.execute(
                      select(request_translations)).mappings()},
                  {key: {"text": said} for key, said in request_words.stored(conn).items()}]
    return (_differences("request summary", _keyed(summaries), stored[0])
            + _differences("reader", {(r["party_id"], r["request_id"]): r for r in readers},
                           stored[1])
            + _differences("review figures", _keyed(figures), stored[2])
            + _differences("translation", {_translated_key(r): r for r in translated},
                           stored[3])
            + _differences("search words", {_words_key(*k): r for k, r in words.items()},
                           {_words_key(*k): r for k, r in stored[4].items()}))


def _translated_key(row: Mapping[Any, Any]) -> tuple[str, str]:
    """Said as "translation language-content--… in zh-Hans read by identity--… of
    x-accord-request--…"."""
    return (f"{row['translation_id']} in {row['lang']} read by {row['party_id']}",
            row["request_id"])


def _words_key(request_id: str, party: str) -> str | tuple[str, str]:
    """Said as "search words x-accord-request--…" (its own), or "search words of the
    translations read by identity--… of x-accord-request--…"."""
    if party == request_words.OWN:
        return request_id
    return f"of the translations read by {party}", request_id


def _keyed(rows: list[dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    return {r["request_id"]: r for r in rows}


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
    o, lg, c = objects.c, ledger.c, collections.c
    requests = (select(lg.request_id, o.seq, o.body, o.tlp, o.creator_id, o.poster_id,
                       o.is_latest, c.alias, c.default_tlp)
                .select_from(ledger).join(objects, o.seq == lg.seq)
                .join(collections, c.id == o.collection_id)
                .where(lg.type == _REQUEST).order_by(o.seq))
    entries = (select(lg.request_id, lg.object_id, lg.digest, o.seq, o.tlp, o.creator_id,
                      o.poster_id, o.is_latest, c.alias)
               .select_from(ledger).join(objects, o.seq == lg.seq)
               .join(collections, c.id == o.collection_id)
               .where(lg.type != _REQUEST, lg.digest.is_not(None)))  # translations have none
    # As a party's page reads them (cooperation.translating): every version in the requests
    # collection, in the order stored.
    translations = (select(lg.request_id, o.seq, o.body, o.tlp, o.creator_id, o.poster_id)
                    .select_from(ledger).join(objects, o.seq == lg.seq)
                    .join(collections, c.id == o.collection_id)
                    .where(lg.type == LANGUAGE_CONTENT, c.alias == REQUESTS_ALIAS)
                    .order_by(lg.time, lg.seq))
    if ids is not None and not ids:
        return {}
    if ids is not None:  # at most _CHUNK: one condition (an array on PostgreSQL, as above)
        for named in among(conn, lg.request_id, ids):
            requests, entries = requests.where(named), entries.where(named)
            translations = translations.where(named)
    held: dict[str, _Held] = {}
    # Markings are made once the recipients of every version read are known (below).
    marked: list[tuple[_Held | None, str, int, int | None, str | None, str | None]] = []
    for request_id, seq, body, tlp, creator, poster, is_latest, alias, default in \
            conn.execute(requests):
        if request_id in held:
            # The same request in a second collection: the first copy stands here, while a
            # party's read takes the one in the requests collection.
            held[request_id].is_request_home = False
            continue
        obj = orjson.loads(body)
        request = from_stix(obj)
        if isinstance(request, Request):
            held[request_id] = _Held(request, _UNMARKED, Tlp(default), {},
                                     bool(is_latest) and alias == REQUESTS_ALIAS,
                                     original=original_of(obj))
            marked.append((None, request_id, seq, tlp, creator, poster))
    # On the statement: a connection's own options would outlive this read.
    rows = conn.execute(entries.execution_options(yield_per=5000))
    for request_id, object_id, data, seq, tlp, creator, poster, is_latest, alias in rows:
        holder = held.get(request_id)
        if holder is not None:
            entry = from_digest(object_id, request_id, data)
            if not isinstance(entry, Request):
                if object_id in holder.entries or not is_latest or alias != REQUESTS_ALIAS:
                    holder.are_entries_home = False
                holder.entries[object_id] = entry  # one entry stored twice is one entry
                marked.append((holder, request_id, seq, tlp, creator, poster))
    translated: list[tuple[_Held, Translation, int, int | None, str | None, str | None]] = []
    for request_id, seq, body, tlp, creator, poster in conn.execute(
            translations.execution_options(yield_per=1000)):
        holder = held.get(request_id)
        made = None if holder is None else as_translation(body)
        if holder is not None and made is not None and made.object_ref == request_id:
            translated.append((holder, made, seq, tlp, creator, poster))
    addressed = _recipients(conn, None if ids is None else
                            [m[2] for m in marked] + [t[2] for t in translated])
    for holder, request_id, seq, tlp, creator, poster in marked:
        marking = _marking(tlp, creator, poster, addressed.get(seq))
        if holder is None:
            held[request_id].marking = marking
        else:
            holder.markings.add(marking)
    for holder, made, seq, tlp, creator, poster in translated:
        holder.translations.append(Filed(made, _marking(tlp, creator, poster,
                                                        addressed.get(seq))))
    return held


def _recipients(conn: Connection, seqs: list[int] | None) -> dict[int, frozenset[str]]:
    """Whom each of these versions is addressed to (None: every version in the ledger)."""
    r = recipients.c
    if seqs is None:
        reads = [select(r.seq, r.party_id).join(ledger, ledger.c.seq == r.seq)]
    else:  # by the primary key's index, whatever the planner thinks of a join
        seqs = sorted(set(seqs))
        reads = [select(r.seq, r.party_id).where(condition)
                 for start in range(0, len(seqs), _CHUNK)
                 for condition in among(conn, r.seq, seqs[start:start + _CHUNK])]
    found: dict[int, set[str]] = {}
    for read in reads:
        for seq, party in conn.execute(read.execution_options(yield_per=5000)):
            found.setdefault(seq, set()).add(party)
    # Most versions of a ledger are addressed alike: one set shared by them all.
    shared: dict[frozenset[str], frozenset[str]] = {}
    return {seq: shared.setdefault(frozenset(p), frozenset(p)) for seq, p in found.items()}


def _marking(tlp: int | None, creator: str | None, poster: str | None,
             addressed: frozenset[str] | None) -> MarkedVersion:
    return MarkedVersion(None if tlp is None else Tlp(tlp), creator, poster,
                         addressed or frozenset())


_UNMARKED = MarkedVersion(None, None, None)  # until the request's own marking is read


def _rows(held: Mapping[str, _Held]) -> tuple[list[dict[str, Any]], list[dict[str, Any]],
                                              list[dict[str, Any]], list[dict[str, Any]]]:
    now = clock.now()  # neither a summary nor the figures depend on it
    summaries: list[dict[str, Any]] = []
    readers: list[dict[str, Any]] = []
    figures: list[dict[str, Any]] = []
    translated: list[dict[str, Any]] = []
    for found in held.values():
        view = derive(Ledger(found.request, tuple(found.entries.values())), now)
        s = summarise(view)
        row = summary_row(s)
        summaries.append(row)
        parties = list(dict.fromkeys([s.requester, s.addressee, *s.shared_with]))
        figures.append({
            "request_id": s.request_id, **counted_row(counted(view)),
            # Anyone else who may read the request object would miss its row in
            # request_readers.
            "readers_listed": found.is_request_home and audience(found.marking, found.default_tlp)
            <= set(parties)})
        reading = [party for party in parties
                   if may_read(party, found.marking, found.default_tlp)]
        readers += [{"party_id": party, "request_id": s.request_id, "role": role_of(s, party),
                     "settled_state": s.settled_state, "overdue_after": row["overdue_after"],
                     "sort_time": format_timestamp(s.sort_time),
                     "action": action_for(s, party), "is_escalated": s.is_escalated,
                     "sees_ledger": found.is_seen_whole_by(party)}
                    for party in reading]
        # The request as a party's page reads it, when it is stored once, in the requests
        # collection: otherwise which version it reads is not this one's to say (none then).
        translated += reader_rows(found.original if found.is_request_home else None, parties,
                                  reading, found.translations, found.default_tlp)
    return summaries, readers, figures, translated


def _write(conn: Connection, held: Mapping[str, _Held]) -> None:
    derived = _rows(held)
    for table, rows in zip((request_summaries, request_readers, request_figures,
                            request_translations), derived, strict=True):
        for start in range(0, len(rows), 5000):
            conn.execute(insert(table), rows[start:start + 5000])
    request_words.add(conn, request_words.rows_of(derived[0], derived[3]))


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


def counted_row(c: Counted) -> dict[str, Any]:
    """What the review counts of a request, as its columns in `request_figures` (its
    `readers_listed` aside): store.review_reads reads them back."""
    return {
        **c._asdict(), "counted_at": format_timestamp(c.counted_at),
        "overdue_after": _time(c.overdue_after),
        "escalation_reasons": (orjson.dumps(c.escalation_reasons).decode()
                               if c.escalation_reasons else None),
    }
