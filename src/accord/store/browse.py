"""What the web UI reads besides requests: recent evidence, search by name, type or id, an
object's versions, its relationships and the values it mentions.

Every read is for one party and sees only what that party may read: collections it is granted
and versions its TLP entitlement covers (the same SQL rule as TAXII, `reads.entitled`). What it
may not read is not listed, not counted, and not told apart from what does not exist.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any
from weakref import WeakKeyDictionary

import orjson
from sqlalchemy import (
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.engine import Engine
from sqlalchemy.sql import FromClause, Subquery
from sqlalchemy.sql.elements import ColumnElement

from accord.store import search_index
from accord.store.bulk import among_bound
from accord.store.engine import one_connection, reading
from accord.store.grant_reads import collections_for
from accord.store.observable_index import SIGHTED
from accord.store.reads import entitled
from accord.store.schema import (
    collections,
    objects,
    observables,
    parties,
    permissions,
    relationship_ends,
)
from accord.store.summary_rows import REQUESTS_ALIAS
from accord.trust.markings import Tlp

_SPACING = re.compile(r"[\s\-_]+")
_STIX_ID = re.compile(r"^[a-z0-9][a-z0-9-]*--[0-9a-fA-F-]{36}$")
_TYPE = re.compile(r"^[a-z0-9][a-z0-9-]{1,249}$")
_ACCORD_TYPES = "x-accord-%"  # requests and their ledger: the request pages show them
# Translations of ledger entries (cooperation.translations): shown on the request pages too.
_TRANSLATIONS = "language-content"
# Names read from the search index at a time: the first window fills a page when the reader may
# read most of what matches; each next one is four times larger, up to the largest.
_FIRST_WINDOW = 200
_LARGEST_WINDOW = 12_800
# And no more names than this for one search, whatever the reader may read of them: a word in
# hundreds of thousands of names that the reader may not read costs a bounded walk, and the
# page shows what it found (a longer needle narrows it).
_MOST_NAMES = 40_000
_SQLITE_IN = 500  # seqs per IN list on SQLite (store.bulk.among_bound)
# How far back in each collection the dashboard looks for evidence others shared: its newest
# additions, whoever made them (Browse.recent).
_RECENT_WINDOW = 2_000
# A partial id: a type and the start of its UUID ("indicator--7f0b6c1e"), or the start of a
# UUID alone ("7f0b6c1e"). At least 8 hex digits alone (4 after a type): fewer would match a
# large share of the store and read like words ("face", "dead").
# The largest body a list reads and parses: a list of 60 rows holds at most 60 of them. A
# larger object (a report with its full text, a sample) is listed by its id, type and creator
# (Found.whole False); its own page reads it whole (Browse.whole). ATT&CK's largest: 33 KB.
LIST_BODY_BYTES = 256 * 1024
# The ids one look-up names (Browse.by_ids): a page names what it shows (an object's
# references, a request's evidence), and an object may refer to a million others.
BY_IDS_MOST = 200
_ID_PREFIX = re.compile(r"^(?:(?P<type>[a-z0-9][a-z0-9-]{0,249})--"
                        r"(?P<typed>[0-9a-f]{4}[0-9a-f-]{0,31})"
                        r"|(?P<bare>[0-9a-f]{8}[0-9a-f-]{0,28}))$")


@dataclass(frozen=True, slots=True)
class Found:
    """One object (its newest version the reader may see) as a list shows it."""

    id: str
    type: str
    name: str
    version: str
    date_added: str
    collection_id: str
    collection: str
    marking: str  # the TLP label that decides who reads it
    creator: str | None  # the creating party's name, or its identity id
    body: dict[str, Any]  # whole, or (whole False) only its id, type and created_by_ref
    seq: int = 0  # the version's row: which index entries name it
    whole: bool = True  # False: larger than LIST_BODY_BYTES, read whole by Browse.whole
    # Whether `creator` is a party of this node. Another creator is named by the name its
    # identity object gives, which any writer may post: "Bravo" may be no party Bravo.
    creator_is_party: bool = False
    # The party that added this version here (None: the node's own tooling, an import).
    poster: str | None = None
    # Whether this is the identity of a party of this node: then `name` is the party's name in
    # the node's directory, not the one its latest version gives (the party's to choose).
    is_party: bool = False


def _name_of(body: dict[str, Any]) -> str:
    for key in ("name", "value", "pattern", "summary", "x_accord_summary", "result",
                "relationship_type"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


class Browse:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _rows(self, reader: str, *where: ColumnElement[bool], latest: bool = True,
              limit: int = 50, newest_first: bool = True, among: Subquery | None = None,
              probe_per_row: bool = False, values: dict[str, Any] | None = None,
              by_version: bool = False) -> Sequence[Any]:
        """Newest versions `reader` may read where `where` holds, as read (a caller that keeps
        only some parses only their bodies: a body parsed costs more than its read).
        `among`: the seqs to choose from (an index's), read first: the planner then starts
        from them, not from every object of the reader's collections. `probe_per_row`: the
        reader's receipts probed for each row (reads.entitled), for few rows."""
        o, col = objects.c, collections.c
        source: FromClause = objects
        order = o.date_added.desc() if newest_first else o.date_added
        orders = (o.version_key.desc(), order) if by_version else (order,)
        collection_id: ColumnElement[str] = o.collection_id
        if among is not None:
            source = among.join(objects, o.seq == among.c.seq)
            if self.engine.dialect.name == "sqlite":
                # An expression, not the column: SQLite would otherwise start from the reader's
                # collections and walk every object in them (it keeps no statistics to know
                # better), instead of from `among`. PostgreSQL's statistics choose well, and an
                # expression would blind them.
                collection_id = o.collection_id.concat("")
        stmt = (
            select(o.seq, o.id, o.type, o.version, o.date_added, o.collection_id, o.tlp,
                   case((func.length(o.body) <= LIST_BODY_BYTES, o.body), else_=null())
                   .label("body"),
                   o.creator_id, o.poster_id, col.title, col.default_tlp, parties.c.name)
            .select_from(source)
            .join(collections, col.id == collection_id)
            .join(permissions, and_(permissions.c.collection_id == collection_id,
                                    permissions.c.party_id == bindparam("reader"),
                                    permissions.c.can_read == true()))
            .outerjoin(parties, parties.c.id == o.creator_id)
            .where(entitled(objects, col.default_tlp, probe_per_row=probe_per_row), *where)
            .order_by(*orders)
            .limit(limit)
        )
        if latest:
            stmt = stmt.where(o.is_latest == true())
        with reading(self.engine) as conn:
            rows = conn.execute(stmt, {"reader": reader, **(values or {})}).all()
        return rows

    def _select(self, reader: str, *where: ColumnElement[bool], latest: bool = True,
                limit: int = 50, newest_first: bool = True, name_creators: bool = True,
                among: Subquery | None = None, probe_per_row: bool = False,
                values: dict[str, Any] | None = None, by_version: bool = False
                ) -> list[Found]:
        """The rows of `_rows`, as lists show them."""
        found = [_found(row) for row in self._rows(
            reader, *where, latest=latest, limit=limit, newest_first=newest_first,
            among=among, probe_per_row=probe_per_row, values=values, by_version=by_version)]
        return self._named_creators(reader, found) if name_creators else found

    def _named_creators(self, reader: str, found: list[Found]) -> list[Found]:
        """Creators that are not parties of the node (e.g. MITRE) by the name of their identity
        object, where the reader may read it; otherwise their id stays. And the identities of
        parties by the parties' names (`_named_parties`)."""
        found = self._named_parties(found)
        ids = {f.creator for f in found if f.creator and f.creator.startswith("identity--")}
        if not ids:
            return found
        names = {i.id: i.name for i in self._select(reader, objects.c.id.in_(sorted(ids)),
                                                    limit=10 * len(ids), name_creators=False)}
        return [replace(f, creator=names[f.creator]) if f.creator in names else f
                for f in found]

    def _named_parties(self, found: list[Found]) -> list[Found]:
        """A party's identity object by the party's name in the node's directory: a party may
        post versions of its own identity, under any name ("China (CNCERT/CC)")."""
        ids = sorted({f.id for f in found if f.type == "identity"})
        if not ids:
            return found
        with reading(self.engine) as conn:
            known = {row.id: row.name for row in conn.execute(
                select(parties.c.id, parties.c.name).where(parties.c.id.in_(ids)))}
        return [replace(f, name=known[f.id], is_party=True) if f.id in known else f
                for f in found]

    def recent(self, reader: str, *, limit: int = 10) -> list[Found]:
        """The newest evidence shared with `reader` by others (not its own, not requests)."""
        o, col, may = objects.c, collections.c, permissions.c
        with reading(self.engine) as conn:
            # Not the requests collection at all: it holds only ledgers, and walking its
            # newest objects (every act of every request) to skip them would cost more than
            # the page.
            shelves = conn.execute(
                select(col.id, col.default_tlp)
                .join(permissions, may.collection_id == col.id)
                .where(may.party_id == reader, may.can_read == true(),
                       or_(col.alias.is_(None), col.alias != REQUESTS_ALIAS))
                .order_by(col.id)).all()
        if not shelves:
            return []
        # Each collection walked newest first along its paging index (collection_id,
        # date_added), the reader's entitlement probed row by row, until `limit` rows: the
        # work is the page's, not the table's (one statement over every collection scanned
        # every object of the node and hashed every receipt of the reader: 685 ms at 100,000
        # objects and 100,000 requests). Its own objects are skipped one by one, so the walk
        # stops at the collection's _RECENT_WINDOW newest additions: a CERT that imported a
        # 10 M-object feed itself would otherwise walk all of it (252 ms at 100,000 objects)
        # to find that no one else shared anything lately. Older evidence is a search away.
        later = objects.alias("later")
        newest = [
            select(o.seq).where(
                o.collection_id == shelf.id, o.is_latest == true(),
                o.date_added >= func.coalesce(
                    select(later.c.date_added).where(later.c.collection_id == shelf.id)
                    .order_by(later.c.date_added.desc())
                    .offset(_RECENT_WINDOW - 1).limit(1).scalar_subquery(), ""),
                not_(o.type.like(_ACCORD_TYPES)), o.type != _TRANSLATIONS,
                (o.poster_id != bindparam("reader")) | o.poster_id.is_(None),
                entitled(objects, literal(shelf.default_tlp), probe_per_row=True))
            .order_by(o.date_added.desc()).limit(limit).subquery()
            for shelf in shelves]
        among = union_all(*(select(n) for n in newest)).subquery("newest")
        return self._select(reader, limit=limit, among=among, probe_per_row=True)

    def by_ids(self, reader: str, ids: Iterable[str], *, most: int = BY_IDS_MOST
               ) -> dict[str, Found]:
        """Newest readable version of each id `reader` may read, among the first `most`
        distinct ids; the others are left out."""
        wanted = sorted(list(dict.fromkeys(ids))[:most])
        if not wanted:
            return {}
        found: dict[str, Found] = {}
        for item in self._select(reader, objects.c.id.in_(wanted), limit=10 * len(wanted)):
            found.setdefault(item.id, item)
        return found

    def versions(self, reader: str, object_id: str, *, limit: int = 1000) -> list[Found]:
        """The newest `limit` versions of the object `reader` may see (by version, then by
        when added: a version added late is no newer for it), oldest first, from all
        collections. As over TAXII, an object follows its newest version: once that is
        tightened beyond the reader, the older versions disappear for the reader too."""
        latest = objects.alias("latest_version")
        newest_entitled = exists().where(
            latest.c.collection_id == objects.c.collection_id, latest.c.id == objects.c.id,
            latest.c.is_latest == true(), entitled(latest, collections.c.default_tlp))
        return self._select(reader, objects.c.id == object_id, newest_entitled, latest=False,
                            limit=limit, by_version=True)[::-1]

    def copies(self, reader: str, object_id: str, *, limit: int = 20) -> list[Found]:
        """The newest version of the object in each collection `reader` may read it in, by
        version, newest first. Two parties may each hold a copy of one object: a party that
        writes to a collection may post a version of an object whose creator is no party of
        this node (ATT&CK's, under MITRE's name) there, and only who posted each tells them
        apart."""
        return self._select(reader, objects.c.id == object_id, limit=limit, by_version=True)

    def whole(self, found: Found) -> Found:
        """`found` with its body whole, read by its version's row (one a list left partial)."""
        if found.whole:
            return found
        with reading(self.engine) as conn:
            body = conn.execute(select(objects.c.body).where(objects.c.seq == found.seq)
                                ).scalar()
        if body is None:  # removed since it was listed
            return found
        read = orjson.loads(body)
        return replace(found, body=read, whole=True,
                       name=found.name if found.is_party else _name_of(read))

    def search(self, reader: str, text: str, *, limit: int = 50,
               as_type: str | None = None) -> list[Found]:
        """By STIX id (or its start: a type and 4 hex digits of its UUID, or 8 of the UUID
        alone), by type, or by name, alias or external id (e.g. "APT19", "T1059"); full-width
        letters and digits (ＡＰＴ１９, typed with an East Asian input method) as their ASCII."""
        text = unicodedata.normalize("NFKC", text).strip()
        if not text:
            return []
        o = objects.c
        if _STIX_ID.match(text):
            return self._select(reader, o.id == text.lower(), limit=limit)
        partial = _ID_PREFIX.match(text.lower())
        hits: list[Found] = []
        if partial:
            hits = self._by_id_prefix(reader, partial, limit=limit)
            if hits or partial["type"] is not None:
                return hits  # a bare prefix that starts no id may still be a name or a hash
        # A type typed in the reader's words ("恶意软件") is `as_type`: its objects first, then
        # the names holding the words.
        if as_type is not None or (_TYPE.match(text) and not partial):
            hits = self._select(reader, o.type == (as_type or text), limit=limit)
        if len(hits) >= limit:
            return hits
        # An exact name is looked for in the collections the reader may read alone.
        shelves = [c.id for c, grant in collections_for(self.engine, reader) if grant.can_read]
        hits += self._by_name(reader, text, {h.id for h in hits}, limit - len(hits), shelves)
        squashed = _SPACING.sub("", text)
        if not hits and squashed != text and len(squashed) >= 2:
            # "APT 28", "spear-phishing": names are written run together as often ("APT28",
            # "Spearphishing"); asked as typed first, then so.
            hits = self._by_name(reader, squashed, set(), limit, shelves)
        return hits

    def _by_name(self, reader: str, text: str, seen: set[str], limit: int,
                 shelves: list[str]) -> list[Found]:
        """Objects with a name, alias or external id that is `text` (first), then that contains
        it; newest first within each, each object once (for its first name that matches, in
        the collection it was indexed in last), none of `seen`.

        The index is read a window of names at a time and only those names' objects are read,
        the reader's entitlement probed per row: a name shared by thousands of objects costs a
        page of them, not a join of every one (growing windows when the reader may read few of
        them, so that none it may read is missed). All on one connection."""
        hits: list[Found] = []
        pending: list[tuple[int, int]] = []
        with one_connection():
            for names in self._name_windows(text, shelves):
                pending += names
                if len(pending) < _FIRST_WINDOW:
                    continue  # the exact names ran out: their objects are read with the next
                hits += self._readable_named(reader, pending, seen, limit - len(hits))
                pending = []
                if len(hits) >= limit:
                    break
            if pending and len(hits) < limit:
                hits += self._readable_named(reader, pending, seen, limit - len(hits))
            return self._named_creators(reader, hits)

    def _name_windows(self, text: str, shelves: list[str]) -> Iterator[list[tuple[int, int]]]:
        """The matching names (rank, seq) in `shelves` (the collections the reader may read),
        window after window: exact names, then the rest; a window's names elsewhere count
        against the budget all the same, so that the work is bounded whatever others hold."""
        budget = _MOST_NAMES
        for exact in (True, False):
            before: int | None = None
            window = _FIRST_WINDOW
            while budget > 0:
                window = min(window, budget)
                with reading(self.engine) as conn:
                    names = search_index.matching(conn, text, exact=exact, before=before,
                                                  count=window, collections=shelves)
                budget -= len(names)
                # Only the names in the reader's collections: no object of the others is
                # read (the time it took said a hidden name held the needle).
                yield [(rank, seq) for rank, seq, readable in names if readable]
                if len(names) < window:
                    break
                before = names[-1][0]
                window = min(window * 4, _LARGEST_WINDOW)

    def _readable_named(self, reader: str, names: list[tuple[int, int]], seen: set[str],
                        limit: int) -> list[Found]:
        """Of the objects the names (rank, seq) belong to, in their order, up to `limit` that
        `reader` may read and are not in `seen` (which this extends).

        Read in parts, in the names' order, only as far as the page needs: a window's objects
        lie on pages of the table far apart (at 10 M objects, each a read from the disk when
        it is not in memory), and a part as large as what is still wanted is all a reader who
        may read them needs. A part that falls short is followed by one twice as large."""
        hits: list[Found] = []
        at, size = 0, limit
        while at < len(names) and len(hits) < limit:
            part = names[at:at + size]
            at, size = at + len(part), 2 * size
            hits += self._readable_part(reader, part, seen, limit - len(hits))
        return hits

    def _readable_part(self, reader: str, names: list[tuple[int, int]], seen: set[str],
                       limit: int) -> list[Found]:
        o = objects.c
        seqs = sorted({seq for _, seq in names})
        dialect = self.engine.dialect.name
        # One array on PostgreSQL; on SQLite IN lists of at most _SQLITE_IN (among_bound's).
        step = _SQLITE_IN if dialect == "sqlite" else len(seqs)
        readable = {row.seq: row for start in range(0, len(seqs), step) for row in self._rows(
            reader, among_bound(dialect, o.seq, "seqs"), not_(o.type.like(_ACCORD_TYPES)),
            o.type != _TRANSLATIONS, limit=step, probe_per_row=True,
            values={"seqs": seqs[start:start + step]})}
        hits: list[Found] = []
        for _, seq in names:
            row: Any = readable.get(seq)
            if row is not None and row.id not in seen:
                hits.append(_found(row))
                seen.add(row.id)
                if len(hits) >= limit:
                    break
        return hits

    def _by_id_prefix(self, reader: str, partial: re.Match[str], *, limit: int) -> list[Found]:
        """Objects whose id starts with the typed prefix, or whose UUID starts with the bare
        one. The pattern holds only [a-z0-9-] (checked by _ID_PREFIX): no LIKE wildcard."""
        o = objects.c
        where: list[ColumnElement[bool]]
        if partial["type"] is not None:
            prefix = f"{partial['type']}--{partial['typed']}"
            where = [o.id.like(f"{prefix}%")]
            if _orders_by_code_point(self.engine):
                # Neither SQLite's LIKE (it ignores case) nor PostgreSQL's under a collation
                # other than C can use an index; where ids compare by code point, this range
                # ("~" sorts after [a-z0-9-]) walks uq_object_version (at 100,000 objects on
                # PostgreSQL: 0.1 ms, against 91 ms scanning them).
                where += [o.id >= prefix, o.id < prefix + "~"]
        else:
            where = [o.id.like(f"%--{partial['bare']}%")]
        # Requests, their ledger and its translations are on the request pages, as by name.
        return self._select(reader, *where, not_(o.type.like(_ACCORD_TYPES)),
                            o.type != _TRANSLATIONS, limit=limit)

    def relationships(self, reader: str, object_id: str, *, limit: int = 60) -> list[Found]:
        """Relationship objects `reader` may read that have `object_id` at one end."""
        o = objects.c
        found = self._select(reader, o.type == "relationship", limit=limit,
                             among=search_index.relationships_of(object_id).subquery("ends"))
        partial = [f.seq for f in found if not f.whole]
        if not partial:
            return found
        # A relationship too large to list (its description, say) is still drawn: its ends
        # from the index, not from its body.
        ends = relationship_ends.c
        with reading(self.engine) as conn:
            held = {seq: {"source_ref": source, "target_ref": target}
                    for seq, source, target in conn.execute(
                        select(ends.seq, ends.source_ref, ends.target_ref)
                        .where(ends.seq.in_(partial)))}
        return [f if f.whole else replace(f, body={**f.body, **held.get(f.seq, {})})
                for f in found]

    def mentioned_values(self, reader: str, object_id: str) -> list[tuple[str, str]]:
        """The observable values (kind, value) the newest readable version of the object
        mentions, as the correlation index holds them."""
        o = objects.c
        stmt = (
            select(observables.c.kind, observables.c.value).distinct()
            .select_from(observables)
            .join(objects, o.seq == observables.c.seq)
            .join(collections, collections.c.id == o.collection_id)
            .join(permissions, and_(permissions.c.collection_id == o.collection_id,
                                    permissions.c.party_id == bindparam("reader"),
                                    permissions.c.can_read == true()))
            .where(o.id == object_id, o.is_latest == true(), observables.c.kind != SIGHTED,
                   entitled(objects, collections.c.default_tlp))
            .order_by(observables.c.kind, observables.c.value)
            .limit(100)
        )
        with self.engine.connect() as conn:
            return [(k, v) for k, v in conn.execute(stmt, {"reader": reader}).all()]


def _found(row: Any) -> Found:
    whole = row.body is not None
    body = orjson.loads(row.body) if whole else {
        "id": row.id, "type": row.type,
        **({"created_by_ref": row.creator_id} if row.creator_id else {})}
    level = Tlp(row.tlp if row.tlp is not None else row.default_tlp)
    return Found(row.id, row.type, _name_of(body), row.version, row.date_added,
                 row.collection_id, row.title, level.label, row.name or body.get("created_by_ref"),
                 body, row.seq, whole, creator_is_party=row.name is not None,
                 poster=row.poster_id)


# Collations whose order is the characters' code points (glibc's C.UTF-8 too, though
# PostgreSQL 15 does not know it and will not use an index for LIKE under it).
_CODE_POINT_COLLATIONS = frozenset({"C", "POSIX", "C.UTF-8", "C.utf8"})
_code_point_order: WeakKeyDictionary[Engine, bool] = WeakKeyDictionary()


def _orders_by_code_point(engine: Engine) -> bool:
    """Whether the database compares ids by code point (SQLite always; PostgreSQL when its
    collation says so): only then is every id that starts with a prefix inside a range."""
    known = _code_point_order.get(engine)
    if known is None:
        if engine.dialect.name == "sqlite":
            known = True
        else:
            with engine.connect() as conn:
                known = conn.exec_driver_sql(
                    "SELECT datcollate FROM pg_database WHERE datname = current_database()"
                ).scalar() in _CODE_POINT_COLLATIONS
        _code_point_order[engine] = known
    return known
