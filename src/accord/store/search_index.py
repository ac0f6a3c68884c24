"""The search index: the names, aliases and external ids of each newest version, and the two
ends of each newest relationship, so that a search by name and an object's page read an index
instead of every object's body (migration 0018).

Rows are keyed by the version's `seq` and say nothing of who may read it: every query joins
`objects` and applies the same entitlement rule as any other read (store.browse). Only newest
versions are indexed, as in the correlation index: a search never wanted the others.

Names are kept case-folded (str.casefold), and a needle is folded the same way, so "apt19"
finds "APT19" and the match is a plain substring test on both backends: a GIN trigram index
on PostgreSQL (pg_trgm), an FTS5 table with the trigram tokenizer on SQLite. A trigram index
cannot serve a needle shorter than three characters; those read the names table (never the
bodies).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    Select,
    String,
    and_,
    bindparam,
    column,
    delete,
    func,
    or_,
    select,
    table,
)
from sqlalchemy.sql.elements import ColumnElement

from accord.store import name_plans
from accord.store.bulk import among, insert_rows
from accord.store.engine import writing
from accord.store.schema import object_names, objects, relationship_ends

NAME, ALIAS, EXTERNAL_ID = "name", "alias", "external_id"
# Characters of a name the index keeps: no one types a longer one into a search, and a
# pathological megabyte "name" would cost a megabyte of trigrams.
MAX_NAME_CHARS = 1000
TRIGRAM = name_plans.TRIGRAM  # the shortest needle a trigram index can serve
# Requests, their ledger and translations of it are on the request pages, not in a search.
_UNSEARCHED_PREFIX = "x-accord-"
_UNSEARCHED = "language-content"
_ALIAS_KEYS = ("aliases", "x_mitre_aliases")

NameRow = tuple[int, str, str, str, str]  # seq, collection_id, id, kind, folded text
EndsRow = tuple[int, str, str]  # seq, source_ref, target_ref

# The FTS5 table over object_names.text (SQLite only, migration 0018): `add` puts each batch of
# names in (a trigger does for connections that are not Accord's); a trigger takes them out,
# whatever deletes them (migration 0028).
_fts = table("object_names_fts", column("rowid"))


def fold(text: str) -> str:
    """A name or needle as the index compares it: case-folded ("APT19" → "apt19")."""
    return text.casefold()


def is_searchable(object_type: str) -> bool:
    return not object_type.startswith(_UNSEARCHED_PREFIX) and object_type != _UNSEARCHED


def names_of(obj: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(kind, folded text) of each distinct name, alias and external id of an object.

    A name is `name`, or `value` for a cyber-observable (a domain, an address); aliases are
    STIX `aliases` and ATT&CK's `x_mitre_aliases`; external ids are those of its
    external_references (T1059, G0073, CVE-2021-44228).
    """
    found: list[tuple[str, str]] = []
    for key in ("name", "value"):
        value = obj.get(key)
        if isinstance(value, str):
            found.append((NAME, value))
    for key in _ALIAS_KEYS:
        values = obj.get(key)
        if isinstance(values, list):
            found += [(ALIAS, v) for v in values if isinstance(v, str)]
    references = obj.get("external_references")
    if isinstance(references, list):
        found += [(EXTERNAL_ID, r["external_id"]) for r in references
                  if isinstance(r, dict) and isinstance(r.get("external_id"), str)]
    kept: dict[tuple[str, str], None] = {}
    for kind, text in found:
        folded = fold(text.strip())[:MAX_NAME_CHARS]
        if folded:
            kept.setdefault((kind, folded))
    return list(kept)


def ends_of(obj: Mapping[str, Any]) -> tuple[str, str] | None:
    """A relationship's (source_ref, target_ref); None for any other object."""
    source, target = obj.get("source_ref"), obj.get("target_ref")
    if obj.get("type") != "relationship" or not isinstance(source, str) \
            or not isinstance(target, str):
        return None
    return source, target


def entries_of(obj: Mapping[str, Any]) -> tuple[list[tuple[str, str]], tuple[str, str] | None]:
    """What the index keeps of a version while it is the newest: its names (none for the
    request pages' objects) and, for a relationship, its ends."""
    names = names_of(obj) if is_searchable(str(obj.get("type"))) else []
    return names, ends_of(obj)


def rows_for(seq: int, collection_id: str, obj: Mapping[str, Any]
             ) -> tuple[list[NameRow], list[EndsRow]]:
    """The index rows of one newest version, held in `collection_id`."""
    names, ends = entries_of(obj)
    oid = str(obj.get("id"))
    return ([(seq, collection_id, oid, k, text) for k, text in names],
            [] if ends is None else [(seq, *ends)])


def add(conn: Connection, names: Sequence[NameRow], ends: Sequence[EndsRow]) -> None:
    """Write index rows (the versions they name were just stored, or just became newest)."""
    last = last_row_id(conn, "object_names", "name_id") if names else None
    insert_rows(conn, "object_names", ("seq", "collection_id", "id", "kind", "text"), names)
    if last is not None:
        fill_fts(conn, "object_names", "name_id", last)
    insert_rows(conn, "relationship_ends", ("seq", "source_ref", "target_ref"), ends)


def last_row_id(conn: Connection, table: str, key: str) -> int | None:
    """SQLite: the largest row id of `table` (an FTS5 table's content, `key` its INTEGER
    PRIMARY KEY), before a batch is inserted; None on PostgreSQL, which has no FTS5 table.
    The caller writes (BEGIN IMMEDIATE: no other writer), and a rowid with no AUTOINCREMENT
    is the largest one's successor: the rows after it are the batch's."""
    if conn.dialect.name != "sqlite":
        return None
    return int(conn.exec_driver_sql(f"SELECT coalesce(max({key}), 0) FROM {table}").scalar_one())


def fill_fts(conn: Connection, table: str, key: str, last: int) -> None:
    """SQLite: put the rows of `table` after `last` (last_row_id) in its FTS5 table,
    `{table}_fts` over its `text`. One statement for the batch: through a trigger, FTS5 took
    6 times as long (migration 0028)."""
    conn.exec_driver_sql(f"INSERT INTO {table}_fts (rowid, text) SELECT {key}, text "
                         f"FROM {table} WHERE {key} > ?", (last,))


def fts_phrase(folded: str) -> str:
    """The FTS5 query of the rows whose text holds `folded` (at least TRIGRAM characters): with
    the trigram tokenizer, a quoted phrase matches as a substring ('"' doubled inside; LIKE's
    % and _ mean nothing there)."""
    return '"' + folded.replace('"', '""') + '"'


def fts_apart(conn: Connection, table: str = "object_names", key: str = "name_id"
              ) -> tuple[int, int]:
    """SQLite: how many rows of `table` (object_names: the names) its FTS5 index lacks, and how
    many of its entries name no row of it. A read (FTS5's own integrity-check is a write,
    holding the write lock for the seconds it takes at millions of names): each indexed row
    has its row in the table's docsize shadow table, by the row's id."""
    unindexed = conn.exec_driver_sql(
        f"SELECT count(*) FROM {table} AS n WHERE NOT EXISTS "
        f"(SELECT 1 FROM {table}_fts_docsize AS d WHERE d.id = n.{key})").scalar_one()
    stray = conn.exec_driver_sql(
        f"SELECT count(*) FROM {table}_fts_docsize AS d WHERE NOT EXISTS "
        f"(SELECT 1 FROM {table} AS n WHERE n.{key} = d.id)").scalar_one()
    return int(unindexed), int(stray)


# Each table a search reads through a trigram index, and its index on PostgreSQL: the names
# (migration 0018), and the words of the requests list (store.request_words, 0042).
_INDEXED = (("object_names", "ix_object_names_text", "0018"),
            ("request_words", "ix_request_words_text", "0042"))


def rebuild(engine: Engine) -> None:
    """Make the searches' own indexes again from what they index (the names, the requests'
    words): SQLite's FTS5 tables (in one write transaction); PostgreSQL's trigram indexes,
    CONCURRENTLY, so that searches and writes go on meanwhile (outside any transaction, as
    PostgreSQL requires; NoTrigramIndex if one is missing)."""
    if engine.dialect.name == "sqlite":
        with writing(engine) as conn:
            for table, _, _ in _INDEXED:
                conn.exec_driver_sql(f"INSERT INTO {table}_fts ({table}_fts) VALUES ('rebuild')")
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for _, name, revision in _INDEXED:
            if conn.exec_driver_sql("SELECT to_regclass(%s)", (name,)).scalar() is None:
                raise NoTrigramIndex(name, revision)
            conn.exec_driver_sql(f"REINDEX INDEX CONCURRENTLY {name}")


class NoTrigramIndex(Exception):
    """The node's schema has no trigram index `name` (made by migration `revision`) to
    rebuild."""

    def __init__(self, name: str = "ix_object_names_text", revision: str = "0018") -> None:
        super().__init__(name, revision)
        self.name, self.revision = name, revision

    def __str__(self) -> str:
        return (f"there is no trigram index {self.name} to rebuild: `accord db check` shows it "
                f"missing; make it again as migration {self.revision} makes it, or restore a "
                "backup")


def index(conn: Connection, collection_id: str,
          versions: Iterable[tuple[int, Mapping[str, Any]]]) -> None:
    """Index newest versions of one collection, given as (seq, object)."""
    names: list[NameRow] = []
    ends: list[EndsRow] = []
    for seq, obj in versions:
        found, between = rows_for(seq, collection_id, obj)
        names += found
        ends += between
    add(conn, names, ends)


def forget(conn: Connection, seqs: Sequence[int]) -> None:
    """Drop the rows of versions that are no longer the newest."""
    # store.bulk.among: one array on PostgreSQL (no IN list whose prepared generic plan scans).
    for condition in among(conn, object_names.c.seq, list(seqs)):
        conn.execute(delete(object_names).where(condition))
    for condition in among(conn, relationship_ends.c.seq, list(seqs)):
        conn.execute(delete(relationship_ends).where(condition))


def reindex_newest(conn: Connection, collection_id: str, object_id: str) -> None:
    """Index the newest version of an object anew (after versions of it were deleted: the
    store deleted the deleted rows' index rows with them)."""
    o = objects.c
    rows = conn.execute(select(o.seq, o.is_latest, o.body).where(
        o.collection_id == collection_id, o.id == object_id)).all()
    forget(conn, [seq for seq, _, _ in rows])
    index(conn, collection_id,
          [(seq, orjson.loads(body)) for seq, is_latest, body in rows if is_latest])


def matching(conn: Connection, needle: str, *, exact: bool, before: int | None, count: int,
             collections: Sequence[str]) -> list[tuple[int, int, bool]]:
    """Up to `count` names that are `needle` (exact) or contain it (case aside), newest first
    and older than `before` (a rank from an earlier call): (rank, seq), one per name.

    The names alone, not joined to anything: the caller reads the objects of this window only
    and, if the reader may read too few of them, asks for the next. A needle matching millions
    of names then costs a window of them, however many there are.

    Rank is the name's row id, most recently indexed first (date_added order for everything but
    a version made newest again by a deletion). Exact names walk an index in that order and stop
    at `count`; for a substring, PostgreSQL walks the newest names or reads the trigram index,
    as a bounded measure of the needle says (store.name_plans); SQLite walks its FTS5 table by
    rowid, newest first.

    Each name comes with whether it is in one of `collections` (those the reader may read),
    said by the statement that finds it: the caller reads the objects of those alone. (A
    search that read a hidden name's object to be told it may not took a millisecond more
    when a name hidden from its reader held the needle, and such a name could be read out a
    character at a time.) Hidden names still count against the window, so that a search's
    work stays bounded whatever others hold. Exact names are looked for in `collections`
    alone, through an index keyed by collection (docs/security.md)."""
    folded = fold(needle)
    n = object_names.c
    dialect = conn.dialect.name
    rank: ColumnElement[int]
    # Whether a name is in one of the reader's collections: said of each name found, and the
    # condition of an exact name's (one range of the index a collection).
    readable = (n.collection_id.in_(bindparam("collections", sorted(collections),
                                              expanding=True))
                if dialect == "sqlite" else name_plans.in_collections(collections))
    if dialect == "sqlite" and not exact and len(folded) >= TRIGRAM:
        phrase = fts_phrase(folded)
        rank = _fts.c.rowid
        stmt = (select(rank, n.seq, readable)
                .select_from(_fts.join(object_names, n.name_id == _fts.c.rowid))
                .where(column("object_names_fts").op("MATCH")(bindparam("phrase", phrase)),
                       func.instr(n.text, bindparam("needle", folded)) > 0))
    else:
        rank = n.name_id
        if exact and dialect == "sqlite":
            # Reads (text, collection_id, name_id): one range per collection, then sorted.
            condition = and_(n.text == bindparam("needle", folded), readable)
        elif exact:
            # (md5(text), collection_id, name_id): fixed-size keys whatever a name's length (a
            # btree key may not exceed a third of a page), then the text itself.
            condition = and_(func.md5(n.text) == func.md5(bindparam("needle", folded)),
                             readable, n.text == bindparam("text", folded))
        elif dialect == "sqlite":  # too short for trigrams: the names themselves
            condition = func.instr(n.text, bindparam("needle", folded)) > 0
        elif len(folded) >= TRIGRAM:
            # pg_trgm's GIN index serves LIKE; the stored text is already folded, so LIKE
            # (not ILIKE) gives the same answer as str.casefold on both sides.
            return name_plans.containing(conn, folded, before=before, count=count,
                                         collections=collections)
        else:
            # Too short for trigrams: PostgreSQL walks the names or scans and sorts them, as
            # its statistics say (the pattern in the statement's text, so that they see it).
            condition = n.text.like(bindparam("needle", name_plans.like(folded),
                                              literal_execute=True), escape="\\")
        stmt = select(rank, n.seq, readable).where(condition)
    if before is not None:
        stmt = stmt.where(rank < bindparam("before", before))
    stmt = stmt.order_by(rank.desc()).limit(bindparam("count", count, literal_execute=True))
    return [(int(r), int(seq), bool(ok)) for r, seq, ok in conn.execute(stmt)]


def relationships_of(object_id: str) -> Select[Any]:
    """The seqs of newest relationships with `object_id` at either end."""
    e = relationship_ends.c
    end = bindparam("end", object_id, type_=String)
    return select(e.seq).where(or_(e.source_ref == end, e.target_ref == end))

