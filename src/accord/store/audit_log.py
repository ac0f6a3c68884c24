"""The audit trail in the database: append (chained, one writer at a time), query, read back."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import chain
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    Select,
    bindparam,
    func,
    literal,
    select,
    union_all,
    update,
)

from accord.store.audit_rows import link_of, raw_field, read_field, record_of
from accord.store.audit_search import (
    TAIL_READ,
    AuditPage,
    indexed_through,
    listed_seqs,
    naming,
    search,
    tail_naming,
)
from accord.store.audit_search import AuditQuery as AuditQuery  # where callers find it
from accord.store.bulk import among, analyze_if_grown, insert_rows
from accord.store.engine import (
    is_read_only_refusal,
    is_sqlite,
    is_standby,
    take_turn,
    writing,
)
from accord.store.replica import primary_of
from accord.store.schema import audit, audit_indexed, audit_objects, people, tokens
from accord.trust.audit import GENESIS, Event, Link, Record, chain_hash_of

# How many of an object's earliest audit records `people_who_added` looks at, and how many
# objects one of its statements asks about (SQLite allows 500 arms of a UNION).
FIRST_RECORDS = 20
_ARMS = 100
# At most this many records of one append listed in one index row: a longer append (a backlog
# appended after the database was away) continues in another row (migration 0027).
LISTED_A_ROW = 1000

# A batch of the index (AuditLog.index_new): at most this many records, or lists of objects
# this large together (a page read's list is some 50 KB), read this many records at a time;
# one indexer at a time (INDEX_TURN), appends going on meanwhile.
_INDEX_RECORDS = 20_000
_INDEX_BYTES = 16 << 20
_INDEX_READ = 256 << 20  # lists read, the same one again and again included
_READ_AT_ONCE = 200

# Rows for records the index has not reached; the records after a seq, with their objects.
_BEFORE_INDEXED = select(func.min(audit_objects.c.seq)).where(
    audit_objects.c.seq > select(audit_indexed.c.through).scalar_subquery())
_AFTER = (select(audit.c.seq, audit.c.object_ids).where(audit.c.seq > bindparam("after"))
          .order_by(audit.c.seq).limit(bindparam("most")))

# One appender at a time, in every process on every host: each reads the chain's head and
# links to it, so two at once would fork the chain (or one would fail on the seq key).
AUDIT_TURN = "audit"
INDEX_TURN = "audit-index"


_COLUMNS = ("seq", "at", "action", "party_id", "token_id", "collection_id", "object_ids",
            "detail", "prev_hash", "hash")
# Binary COPY: object_ids and detail are bytea, which text COPY would send hex-escaped.
_TYPES = ("int4", "varchar", "varchar", "varchar", "varchar", "varchar", "bytea", "bytea",
          "varchar", "varchar")


class AuditLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sqlite = is_sqlite(engine)
        self._standby: bool | None = None  # asked once, when a read first needs the index

    def append(self, events: Sequence[Event]) -> None:
        with writing(self.engine) as conn:
            self.append_in(conn, events)

    def append_in(self, conn: Connection, events: Sequence[Event]) -> None:
        """Chain and store `events` in the caller's write transaction."""
        if not events:
            return
        take_turn(conn, AUDIT_TURN)
        last = conn.execute(select(audit.c.seq, audit.c.hash)
                            .order_by(audit.c.seq.desc()).limit(1)).first()
        seq, previous = (last.seq, last.hash) if last else (0, GENESIS)
        rows: list[tuple[Any, ...]] = []
        # The flush appends a page read a hundred times as a hundred records naming the same
        # objects: each list of object ids is written as JSON once per append, not once per
        # record (ATT&CK's intrusion sets, 187 objects: bench/README.md, "The audit append, a
        # list of objects once").
        lists: dict[tuple[str, ...], bytes] = {}
        for event in events:
            seq += 1
            listed = lists.get(event.object_ids)
            if listed is None:
                listed = lists[event.object_ids] = orjson.dumps(list(event.object_ids))
            detail = orjson.dumps(event.detail, option=orjson.OPT_SORT_KEYS)
            digest = chain_hash_of(previous, event.content_from(listed, detail))
            rows.append((seq, event.at, event.action, event.party_id, event.token_id,
                         event.collection_id, listed, detail, previous, digest))
            previous = digest
        # COPY on PostgreSQL: the background flush appends hundreds of reads at a time, and an
        # INSERT's parameters cost more to handle than the rows do to store. The objects they
        # name are indexed later, in batches (index_new).
        insert_rows(conn, "audit", _COLUMNS, rows, _TYPES)
        # Statistics as the trail grows (autovacuum may be off).
        analyze_if_grown(conn, ("audit",))

    def index_new(self, most_batches: int | None = None) -> int:
        """Index by object the records appended since the index's mark (audit_indexed), a
        batch per transaction, oldest first; how many records it indexed. Cheap when there
        are none: one statement, no write lock.

        Behind the trail, not in each append's transaction (migration 0035): a page read
        names a thousand objects, each at a random place of the index, and a batch of a few
        seconds' records writes each place once for all the reads that fell on it (a
        collection walked many times over: one row per object). Searches read the records
        after the mark from the records themselves (audit_search.tail_naming)."""
        return self.index_round(most_batches)[0]

    def index_round(self, most_batches: int | None = None) -> tuple[int, bool]:
        """`index_new`, and whether `most_batches` stopped it with records left."""
        indexed = 0
        batches = 0
        if not self.behind():
            return 0, False
        while most_batches is None or batches < most_batches:
            with writing(self.engine) as conn:
                done, full = self._index_batch(conn)
            indexed += done
            batches += 1
            if not full:
                return indexed, False
        return indexed, True

    def _caught_up(self) -> None:
        """The index brought up to date before a read that needs it; on a hot standby, which
        cannot write, the reader reads what its primary indexed (a moment behind)."""
        if self._standby is None:
            self._standby = is_standby(self.engine)
        if self._standby:
            return
        try:
            self.index_new()
        except Exception as error:  # the driver's own, from COPY; SQLAlchemy's otherwise
            if not (is_read_only_refusal(error) or _read_only_file(error)):
                raise

    def behind(self) -> bool:
        """Whether records wait to be indexed by object (asked of the primary: a replica may
        not have received the last records, nor the last batch)."""
        with primary_of(self.engine).connect() as conn:
            return self._tail(conn) > 0

    def _index_batch(self, conn: Connection) -> tuple[int, bool]:
        """Index the records after the mark, up to a batch's bound, and move the mark past
        them: how many, and whether the bound stopped it (more may wait)."""
        # One indexer at a time (two reading the same mark would index its records twice), but
        # appends go on meanwhile on PostgreSQL: the records read are those committed, and
        # appends commit in the trail's order (each waits for the one before: AUDIT_TURN), so
        # what is read is never missing an earlier record. (SQLite: one writer at a time.)
        take_turn(conn, INDEX_TURN)
        mark = conn.execute(select(audit_indexed.c.through)).scalar_one()
        lists: dict[bytes, list[int]] = {}  # each list of objects: the records naming it
        last, count, held, read, full = mark, 0, 0, 0, False
        while True:
            found = conn.execute(_AFTER, {"after": last, "most": _READ_AT_ONCE}).all()
            for seq, object_ids in found:
                last = seq
                count += 1
                key = raw_field(object_ids)
                read += len(key)
                if key == b"[]":
                    continue
                seqs = lists.get(key)
                if seqs is None:
                    seqs = lists[key] = []
                    held += len(key)
                seqs.append(seq)
            if len(found) < _READ_AT_ONCE:
                break
            if count >= _INDEX_RECORDS or held >= _INDEX_BYTES or read >= _INDEX_READ:
                full = True
                break
        if last == mark:
            return 0, False
        # One row per object for the batch: its first record, the others listed (migration
        # 0027). Batches follow each other in the trail's order, so an object's rows never
        # overlap: its rows newest first are its records newest first.
        # A list that is not JSON (written over in the database) names no object: the chain's
        # check names its record; the index goes on past it.
        names = _names([(tuple(i for i in ids if isinstance(i, str))
                          if isinstance(ids := read_field(key), list) else (),
                         (key, seqs)) for key, seqs in lists.items()])
        # SQLite keeps the rows in key order (a WITHOUT ROWID table): in that order, each leaf
        # page is visited once (PostgreSQL keys them by the id's hash, migration 0026: no
        # order to follow from here).
        if self._sqlite:
            names.sort()
        # The mark first: rows past it are refused (migration 0035, against an older Accord).
        conn.execute(update(audit_indexed).values(through=last))
        insert_rows(conn, "audit_objects", ("object_id", "seq", "also"), names)
        # Statistics as the index grows (autovacuum may be off): without them an object's
        # records are planned as a handful, gathered whole and sorted (migration 0026).
        analyze_if_grown(conn, ("audit_objects",))
        return count, full

    def query(self, query: AuditQuery) -> list[Record]:
        """The newest records matching every given criterion, newest first."""
        return self.search(query).records

    def search(self, query: AuditQuery) -> AuditPage:
        """A page of the newest records matching every criterion, and where the next begins
        (store.audit_search: one search looks at WALKED records at most)."""
        if query.object_id is not None:
            # By object: the records after the index's mark are read from themselves.
            self._up_if_far_behind()
        with self.engine.connect() as conn:
            return search(conn, query)

    def _up_if_far_behind(self) -> None:
        """The index brought up first where more than TAIL_READ records wait (no server ran
        since a large import): past that, reading them from themselves would cost more."""
        with self.engine.connect() as conn:
            far_behind = self._tail(conn) > TAIL_READ
        if far_behind:
            self._caught_up()

    @staticmethod
    def _tail(conn: Connection) -> int:
        """How many records the index of objects does not hold yet."""
        head = conn.execute(select(func.max(audit.c.seq))).scalar() or 0
        return int(head) - indexed_through(conn)

    def people_who_added(self, object_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """(party id, person's name) of whoever first added each object with a person's token
        on this node; objects imported, synced or added by a machine account are left out.

        Only each object's earliest FIRST_RECORDS records are looked at: an object is added
        before anything here can read it, so its add is among them, and however often it was
        read afterwards (a party may read an entry of a request a million times), that costs
        this nothing."""
        ids = sorted(set(object_ids))
        earliest: dict[int, list[str]] = {}  # a record: the objects it is among the first of
        found: dict[str, tuple[int, str, str]] = {}
        self._up_if_far_behind()
        with self.engine.connect() as conn:
            # The adds the index does not hold yet (an entry made a moment ago), from the
            # records themselves: no write on a page's read (migration 0035).
            for oid, seqs in tail_naming(conn, ids, action="objects.add").items():
                for seq in seqs:
                    earliest.setdefault(seq, []).append(oid)
            for start in range(0, len(ids), _ARMS):
                arms = [self._earliest(oid) for oid in ids[start:start + _ARMS]]
                firsts: dict[str, list[int]] = {}
                for oid, first, also in conn.execute(union_all(*arms)):
                    firsts.setdefault(oid, []).extend(
                        listed_seqs(first, also, at_most=FIRST_RECORDS))
                for oid, seqs in firsts.items():
                    for seq in sorted(seqs)[:FIRST_RECORDS]:
                        earliest.setdefault(seq, []).append(oid)
            adds = (select(audit.c.seq, audit.c.party_id, people.c.name)
                    .join(tokens, tokens.c.id == audit.c.token_id)
                    .join(people, people.c.id == tokens.c.person_id)
                    .where(audit.c.action == "objects.add", people.c.kind == "person"))
            for among_seqs in among(conn, audit.c.seq, sorted(earliest)):
                for seq, party, name in conn.execute(adds.where(among_seqs)):
                    for oid in earliest[seq]:
                        if oid not in found or seq < found[oid][0]:
                            found[oid] = (seq, party, name)
        return {oid: (party, name) for oid, (_, party, name) in found.items()}

    def _earliest(self, object_id: str) -> Select[Any]:
        """The object's earliest index rows (seq order): FIRST_RECORDS rows hold at least
        its FIRST_RECORDS earliest records."""
        rows = (select(audit_objects.c.seq, audit_objects.c.also)
                .where(naming(self.engine.dialect.name, object_id))
                .order_by(audit_objects.c.seq).limit(FIRST_RECORDS).subquery())
        return select(literal(object_id).label("object_id"), rows.c.seq, rows.c.also)

    def records(self, batch: int = 5000) -> Iterator[Record]:
        """Every record in chain order, read in batches."""
        for rows in self._in_order(batch):
            yield from (record_of(row) for row in rows)

    def links(self, batch: int = 5000) -> Iterator[Link]:
        """Every record in chain order as its chain is checked (trust.audit.verify_links)."""
        for rows in self._in_order(batch):
            yield from (link_of(row) for row in rows)

    def _in_order(self, batch: int) -> Iterator[Sequence[Any]]:
        after = 0
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(select(audit).where(audit.c.seq > after)
                                    .order_by(audit.c.seq).limit(batch)).all()
            if not rows:
                return
            yield rows
            after = rows[-1].seq


    def index_disagreement(self, batch: int = 5000) -> int | None:
        """The first record whose by-object index rows (audit_objects, kept outside the hash
        chain so "who was served X?" needs no scan) differ from the object ids the record
        itself holds — a row added, removed or changed — or None when they all agree.

        An index row names its first record and lists the others of its append after it
        (migration 0027), so a record's rows are all among those whose first record is no
        later than it: the rows are read batch by batch with the records, and what a row
        lists beyond its batch waits for the next.

        Records after the index's mark are not indexed yet (index_new): they must have no
        rows, and are not checked further."""
        with self.engine.connect() as conn:
            through = indexed_through(conn)
        after = 0
        listed: dict[int, list[str]] = {}  # records named by the rows read so far
        reach: dict[str, int] = {}  # each object: the last record its latest row lists
        while True:
            with self.engine.connect() as conn:  # one per batch: no snapshot held for long
                rows = conn.execute(select(audit.c.seq, audit.c.object_ids)
                                    .where(audit.c.seq > after, audit.c.seq <= through)
                                    .order_by(audit.c.seq).limit(batch)).all()
                last = rows[-1].seq if rows else None
                index = select(audit_objects.c.object_id, audit_objects.c.seq,
                               audit_objects.c.also).where(audit_objects.c.seq > after,
                                                           audit_objects.c.seq <= (last or through))
                named = conn.execute(index).all()
                if last is None:
                    # Rows for records not indexed yet: one statement, so that a batch
                    # indexed meanwhile (its rows and its mark together) is not one.
                    early = conn.execute(_BEFORE_INDEXED).scalar()
            for oid, first, also in sorted(named, key=lambda row: (row.seq, row.object_id)):
                try:
                    seqs = listed_seqs(first, also, strict=True)
                except ValueError:
                    return int(first)  # a list that is not one of later records
                # An object's rows must not overlap: the readers take its rows newest first
                # as its records newest first. A row listing records past the next row's
                # first would hide them from "who was served X?".
                if reach.get(oid, 0) >= first:
                    return int(first)
                reach[oid] = seqs[-1]
                for seq in seqs:
                    listed.setdefault(seq, []).append(oid)
            if last is None:  # rows naming records that are not there, or not indexed yet
                stray = [*listed, *([early] if early is not None else [])]
                if after < through:  # the index had reached records no longer there
                    stray.append(after + 1)
                return int(min(stray)) if stray else None
            # Sorted lists, not sets: each object is indexed once per record, and PostgreSQL
            # has no key to refuse a second row (migration 0026).
            for seq, object_ids in rows:
                if sorted(set(orjson.loads(object_ids))) != sorted(listed.pop(seq, [])):
                    return int(seq)
            gaps = [seq for seq in listed if seq <= last]
            if gaps:
                return min(gaps)
            # Rows that end in this batch can overlap none to come: forgotten.
            reach = {oid: end for oid, end in reach.items() if end > last}
            after = last


def _names(lists: Sequence[tuple[tuple[str, ...], tuple[bytes, list[int]]]]
           ) -> list[tuple[str, int, str | None]]:
    """The index rows of an append: for each object, its first record and the others listed
    (at most LISTED_A_ROW a row), from each list of object ids and the records naming it."""
    groups = [seqs for _, (_, seqs) in lists]
    parts: dict[str, list[int]] = {}  # each object: the lists naming it, by index in groups
    for group, (ids, _) in enumerate(lists):
        for oid in dict.fromkeys(ids):  # an id twice in one record: the record once
            parts.setdefault(oid, []).append(group)
    names: list[tuple[str, int, str | None]] = []
    texts: dict[tuple[int, int], str | None] = {}  # a list's records as text, made once
    for oid, found in parts.items():
        if len(found) > 1:  # in several lists: their records merged, in order
            seqs = sorted(chain.from_iterable(groups[group] for group in found))
            names += [(oid, seqs[start], _listed(seqs[start + 1:start + LISTED_A_ROW]))
                      for start in range(0, len(seqs), LISTED_A_ROW)]
            continue
        seqs = groups[found[0]]
        for start in range(0, len(seqs), LISTED_A_ROW):
            key = (found[0], start)
            if key not in texts:
                texts[key] = _listed(seqs[start + 1:start + LISTED_A_ROW])
            names.append((oid, seqs[start], texts[key]))
    return names


def _listed(seqs: Sequence[int]) -> str | None:
    return ",".join(map(str, seqs)) if seqs else None


def _read_only_file(error: BaseException) -> bool:
    """SQLite's refusal to write a file opened read only (no SQLSTATE to say so)."""
    return "readonly database" in str(getattr(error, "orig", error))
