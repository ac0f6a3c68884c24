"""How the store reads: one prepared statement per shape of TAXII query, and the TLP
entitlement rule in SQL (trust.markings.may_read, held equal by a test)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    ARRAY,
    Connection,
    Integer,
    LargeBinary,
    String,
    Text,
    and_,
    any_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.sql import FromClause, Select
from sqlalchemy.sql.elements import ColumnElement

from accord.store import direct
from accord.store.pg_sessions import BINARY_ROWS
from accord.store.query import ALL, FIRST, LAST, ObjectQuery, StoredVersion
from accord.store.schema import objects, recipients
from accord.trust.markings import Tlp

# A row's version on PostgreSQL: the transaction that wrote this version of the row (a new
# one at every UPDATE of it), as text (psycopg has no binary loader for xid).
ROW_VERSION = cast(literal_column("objects.xmin"), Text).label("row_version")

# The bodies of rows by seq, with what names their row versions (store.body_cache: a held
# body that is not the row's own any more, read again).
BODIES = (select(objects.c.seq, ROW_VERSION, objects.c.date_added, objects.c.body)
          .where(objects.c.seq == any_(bindparam("seqs", type_=ARRAY(Integer))))
          .execution_options(**{BINARY_ROWS: True}))


# The bodies of rows by seq, on either backend: those of a page too large to come inline.
LARGE_BODIES = (select(objects.c.seq, objects.c.body)
                .where(objects.c.seq.in_(bindparam("seqs", expanding=True))))


def versions(conn: Connection, collection_id: str, query: ObjectQuery, object_id: str | None,
             limit: int) -> tuple[list[StoredVersion], bool]:
    """The versions that answer `query`, bodies and all, from one statement (a second for
    bodies too large to come inline); and whether they were cut short by `most_bytes`."""
    rows = direct.rows(conn, *statement_for(collection_id, query, object_id, limit,
                                            sqlite=conn.dialect.name == "sqlite"))
    if not sized(query):
        # Each row's columns are StoredVersion's fields in order; the body is bytes.
        return list(map(_stored, rows)), False
    rows, cut = within(rows, query.most_bytes or 0)
    if None not in map(_BODY, rows):  # every body inline, as in most pages
        return list(map(_stored, map(_FIELDS, rows))), cut
    large = [row[0] for row in rows if row[5] is None]
    bodies = dict(conn.execute(LARGE_BODIES, {"seqs": large}).all()) if large else {}
    found: list[StoredVersion] = []
    for seq, oid, added, version, spec, body, _ in rows:
        if body is None:
            body = bodies.get(seq)
            if body is None:
                # Deleted since the first statement: the page ends before it and says there
                # is more (its place may have been what said so: a page reads limit + 1
                # rows); or, when it was the first, is read again.
                if not found:
                    return versions(conn, collection_id, query, object_id, limit)
                return found, True
        found.append(StoredVersion(seq, oid, added, version, spec, body))
    return found, cut


_FIELDS = itemgetter(slice(0, 6))  # a sized row's StoredVersion, without the size
_BODY = itemgetter(5)
# A row's StoredVersion, made in C: the named tuple's own _make checks each row's length in
# Python (a page of 187 objects: 0.1 ms), where every row of these statements has its six.
_stored = partial(tuple.__new__, StoredVersion)


def walked_to(conn: Connection, collection_id: str, query: ObjectQuery,
              object_id: str | None) -> str | None:
    """Where a page's walk bounded by `query.most_walked` stopped (the date_added of its
    last row), if its bound stopped it; None if the rows ran out first, or the page was not
    walked. The same walk without the reader's rule or any body, asked only of a page that
    came back short: numbering the walk's rows in the page's statement instead (a window
    function) made every page of a reader that may read all half again as long (PostgreSQL,
    1,000 objects: 6.9 → 10.8 ms), where this costs a short page one statement."""
    if not _walked(query, object_id):
        return None
    shape = _shape(query, object_id, None)
    params = _values(collection_id, query, object_id, query.limit + 1)
    found = direct.rows(conn, _walk_end_statement(shape),
                        {**params, "last": (query.most_walked or 1) - 1})
    return found[0][0] if found else None


@lru_cache(maxsize=64)
def _walk_end_statement(shape: _Shape) -> Select[Any]:
    c = objects.c
    order = c.date_added.desc() if shape.newest_first else c.date_added
    return (select(c.date_added).where(and_(*_walk_conditions(shape))).order_by(order)
            .offset(bindparam("last", type_=Integer, literal_execute=True)).limit(1))


def sized(query: ObjectQuery) -> bool:
    """Whether the query's bodies are held to its `most_bytes` (reads.within)."""
    return query.bodies and query.most_bytes is not None


def within(rows: Sequence[Any], most_bytes: int) -> tuple[Sequence[Any], bool]:
    """The first of `rows` whose bodies (each row's size last) add up to at most `most_bytes`,
    the first row whatever its size (a page always moves on); and whether any were left."""
    if sum(map(itemgetter(-1), rows)) <= most_bytes:  # the usual page: at C speed
        return rows, False
    total = 0
    for n, row in enumerate(rows):
        total += row[-1]
        if total > most_bytes and n:
            return rows[:n], True
    return rows, False


def inline_bytes(most_bytes: int, limit: int) -> int:
    """How large a body the page's statement sends inline: `limit` of them stay within
    `most_bytes`. Larger ones are read afterwards, those of the page's first `most_bytes`
    only: five objects of 60 MB cost one page 60 MB, not 300."""
    return most_bytes // max(limit, 1)


def statement_for(collection_id: str, query: ObjectQuery, object_id: str | None, limit: int,
                  *, held: list[int] | None = None, sqlite: bool = False
                  ) -> tuple[Select[Any], dict[str, Any]]:
    """The statement that answers `query` (built once per shape) and the values it binds.

    Its rows: seq, id, date_added, version, spec_version, body. With `held` (PostgreSQL): the
    body is NULL for a row whose seq is in `held`, and a seventh column is the row's version
    (xmin, as text), for store.body_cache, and an eighth the body's size. With
    `query.most_bytes`: the body is NULL where it is larger than a page's share
    (inline_bytes), and a last column is its size (the body's). Without
    `query.bodies`: each body is b""."""
    shape = _shape(query, object_id, held, sqlite=sqlite)
    params = _values(collection_id, query, object_id, limit)
    if shape.sized:
        params["inline_bytes"] = inline_bytes(query.most_bytes or 0, limit)
    if held is not None:
        params["held"] = "{" + ",".join(map(str, held)) + "}"
    return _statement(shape), params


def _values(collection_id: str, query: ObjectQuery, object_id: str | None, limit: int
            ) -> dict[str, Any]:
    """The values every shape of statement binds (each shape uses those it names)."""
    keys = sorted(v for v in query.versions if v not in (LAST, FIRST, ALL))
    return {
        "collection_id": collection_id, "object_id": object_id, "ids": list(query.ids),
        "types": list(query.types), "spec_versions": list(query.spec_versions),
        "added_after": query.added_after, "version_keys": keys, "limit": limit,
        "after_date_added": query.after.date_added if query.after else None,
        "reader": query.reader.party_id if query.reader else None,
        "default_tlp": query.reader.default_tlp if query.reader else None,
        "most_walked": query.most_walked,
    }


def _shape(query: ObjectQuery, object_id: str | None, held: list[int] | None, *,
           sqlite: bool = False) -> _Shape:
    keys = any(v not in (LAST, FIRST, ALL) for v in query.versions)
    return _Shape(
        by_object=object_id is not None, by_ids=bool(query.ids), by_types=bool(query.types),
        by_spec_versions=bool(query.spec_versions),
        by_added_after=query.added_after is not None, by_cursor=query.after is not None,
        from_cursor=query.after is not None and query.after.hidden,
        every_version=ALL in query.versions, last=LAST in query.versions,
        first=FIRST in query.versions, by_version_keys=keys,
        by_reader=query.reader is not None, held_bodies=held is not None,
        bodies=query.bodies, sized=sized(query), newest_first=query.newest_first,
        walked=_walked(query, object_id), sqlite=sqlite,
    )


def _walked(query: ObjectQuery, object_id: str | None) -> bool:
    # By id, the rows are an object's versions or the ids asked for: few, and found by the
    # (collection, id) index, not walked.
    return query.reader is not None and query.most_walked is not None \
        and object_id is None and not query.ids


@dataclass(frozen=True, slots=True)
class _Shape:
    """Which filters a query uses: one prepared statement per shape, values bound per call."""

    by_object: bool
    by_ids: bool
    by_types: bool
    by_spec_versions: bool
    by_added_after: bool
    by_cursor: bool
    from_cursor: bool  # the cursor's own row too (a hidden cursor: where a walk stopped)
    every_version: bool
    last: bool
    first: bool
    by_version_keys: bool
    by_reader: bool
    held_bodies: bool
    bodies: bool  # False: an empty body in each row (a manifest's read)
    sized: bool  # each body's size as a last column; bodies past inline_bytes left NULL
    newest_first: bool  # date_added descending, the cursor paging back in time
    walked: bool  # the reader's rule on `most_walked` rows of the collection at most
    sqlite: bool  # (a walk's order is its co-routine's there; see _statement)


@lru_cache(maxsize=256)
def _statement(shape: _Shape) -> Select[Any]:
    # Building a statement costs more than running a small one; each shape is built once.
    c = objects.c
    walk = _walk_conditions(shape)
    # By id, sorting on an expression keeps the planner from walking the paging index in
    # order (a scan of the collection) when the (collection, id) index finds the rows.
    by_id = shape.by_object or shape.by_ids
    order: ColumnElement[Any] = c.date_added.concat("") if by_id else c.date_added
    if shape.newest_first:
        order = order.desc()
    source: FromClause = objects
    where = list(walk)
    if shape.walked:
        # The walk first, `most_walked` rows of it at most whoever reads them, then the
        # reader's rule on what it walked, in the walk's order: PostgreSQL reads it off the
        # subquery; SQLite scans the subquery's co-routine in the order it yields its rows,
        # but sorted them again for an ORDER BY outside it (every row walked, 2.6 ms → 30
        # ms a page of 1,000): there the order is left to the co-routine.
        kept: list[ColumnElement[Any]] = [
            c.seq, c.id, c.date_added, c.version, c.spec_version, c.body, c.tlp, c.poster_id,
            c.creator_id, c.collection_id, c.is_latest, c.version_key]
        if shape.held_bodies:
            kept.append(ROW_VERSION)
        source = (select(*kept).where(and_(*walk)).order_by(order)
                  .limit(bindparam("most_walked", type_=Integer, literal_execute=True))
                  .subquery("walked"))
        where = _reader_conditions(shape, source)
    elif shape.by_reader:
        where += _reader_conditions(shape, source)
    s = source.c
    columns: list[ColumnElement[Any]] = [s.seq, s.id, s.date_added, s.version, s.spec_version]
    # length(): PostgreSQL reads a stored value's size from its header, SQLite from its
    # record, neither the value itself. A body larger than a page's share is not sent here:
    # reads.within decides which of them the page holds.
    size = func.length(s.body)
    body: ColumnElement[Any] = s.body
    if shape.sized:
        body = case((size <= bindparam("inline_bytes", type_=Integer), s.body), else_=null())
    if not shape.bodies:
        columns.append(literal(b"", LargeBinary).label("body"))
    elif shape.held_bodies:
        # The seqs as one text ('{1,2,3}'), not a list: psycopg dumps a list's items one by
        # one in Python (0.07 ms for 187). And as a subquery, which PostgreSQL hashes once per
        # run whatever the plan: `= ANY(array)` was searched item by item for each row in a
        # generic plan (10 ms for a page of 1,001 held bodies, 0.5 ms this way).
        held = select(func.unnest(cast(bindparam("held", type_=String), ARRAY(Integer))))
        columns += [case((s.seq.in_(held.scalar_subquery()), null()),
                         else_=body).label("body"),
                    s.row_version if shape.walked else ROW_VERSION]
    else:
        columns.append(body.label("body"))
    if shape.sized or shape.held_bodies:  # (a held read's rows have one shape: unpacked fast)
        columns.append(size.label("size"))
    if shape.walked:
        order = s.date_added.desc() if shape.newest_first else s.date_added
    # One object's last version is one row at most (is_latest marks one version an object):
    # nothing to sort, where SQLite otherwise built a sorter for it (a third of the read by
    # id's statement, bench/README.md, "The hot lane").
    one_row = shape.by_object and shape.last and not (
        shape.first or shape.every_version or shape.by_version_keys)
    ordered = [] if one_row or (shape.walked and shape.sqlite) else [order]
    return (
        select(*columns)
        .select_from(source)
        .where(and_(*where))
        .order_by(*ordered)
        # The limit in the SQL text, not a parameter: PostgreSQL plans a prepared statement
        # once (a generic plan) only when that plan is estimated no dearer than the plans
        # made for each call's values, and for `LIMIT $n` it assumes a tenth of the rows.
        # With the parameter, each call was planned anew: 1–1.5 ms of the server's CPU for
        # a page of 50 whose execution takes 0.1 ms (bench/README.md, "CPU a request").
        # One statement per limit a client uses; this statement is still built once.
        .limit(bindparam("limit", type_=Integer, literal_execute=True))
        .execution_options(**{BINARY_ROWS: True})
    )


def _walk_conditions(shape: _Shape) -> list[ColumnElement[bool]]:
    """What a row must meet, whoever reads it: the rows a page walks."""
    c = objects.c
    where: list[ColumnElement[bool]] = [c.collection_id == bindparam("collection_id")]
    if shape.by_object:
        where.append(c.id == bindparam("object_id"))
    if shape.by_ids:
        where.append(c.id.in_(bindparam("ids", expanding=True)))
    if shape.by_types:
        # With ids too, the type is an expression: the (collection, id) index finds the rows,
        # where SQLite's planner took the (collection, type) index and read every object of
        # the type (every position of the record, every indicator of a feed) to keep a few.
        kind = c.type.concat("") if shape.by_object or shape.by_ids else c.type
        where.append(kind.in_(bindparam("types", expanding=True)))
    if shape.by_spec_versions:
        where.append(c.spec_version.in_(bindparam("spec_versions", expanding=True)))
    if shape.by_added_after:
        where.append(c.date_added > bindparam("added_after"))
    if shape.by_cursor:
        after = bindparam("after_date_added", type_=String)
        if shape.from_cursor:  # where a walk stopped: its last row is not read yet
            where.append(c.date_added <= after if shape.newest_first else c.date_added >= after)
        else:
            where.append(c.date_added < after if shape.newest_first else c.date_added > after)
    if not shape.every_version and not _first_after_walk(shape):
        where.append(or_(*_version_alternatives(shape)))
    return where


def _first_after_walk(shape: _Shape) -> bool:
    """Whether the versions asked for are chosen after the walk, not in it: the first
    version a reader may see depends on the reader, and a walk counts every row it passes,
    whoever reads it (else a reader that may see few objects' versions walks them all)."""
    return shape.walked and shape.first


def _reader_conditions(shape: _Shape, source: FromClause) -> list[ColumnElement[bool]]:
    """The reader's rule on the rows of `source` (objects, or the rows a page walked)."""
    s = source.c
    where = [entitled(source, probe_per_row=True)]
    if _first_after_walk(shape):
        where.append(or_(*_version_alternatives(shape, source)))
    if shape.every_version or shape.first or shape.by_version_keys:
        # An object follows its newest version: once that is tightened beyond the reader,
        # its older versions disappear for the reader too.
        latest = objects.alias("latest_version")
        where.append(exists().where(
            latest.c.collection_id == s.collection_id, latest.c.id == s.id,
            latest.c.is_latest == true(), entitled(latest, probe_per_row=True)))
    return where


def entitled(table: FromClause, default_tlp: ColumnElement[int] | None = None,
             *, probe_per_row: bool = False) -> ColumnElement[bool]:
    """trust.markings.may_read, in SQL: the reader (bound as "reader") sees a version if its
    level is AMBER or below (unmarked: the collection's default, bound as "default_tlp" unless
    given), or the reader created, posted or receives it.

    `probe_per_row`: for a statement that walks an index in order and stops at a page's
    limit (TAXII reads), the reader's receipt is looked up for each row that needs it instead
    of every receipt of the reader being hashed before the first row (docs/plans.md, "TAXII
    reads at scale": 44 ms → 1 ms for a party receiving 30,000 objects)."""
    c = table.c
    reader = bindparam("reader", type_=String)
    if default_tlp is None:
        default_tlp = bindparam("default_tlp", type_=Integer)
    return or_(
        c.tlp <= int(Tlp.AMBER),
        and_(c.tlp.is_(None), default_tlp <= int(Tlp.AMBER)),
        c.poster_id == reader,
        c.creator_id == reader,
        receives(c.seq, reader) if probe_per_row
        else c.seq.in_(select(recipients.c.seq).where(recipients.c.party_id == reader)),
    )


def receives(seq: ColumnElement[int], reader: ColumnElement[str]) -> ColumnElement[bool]:
    # OFFSET 0 keeps PostgreSQL from turning the EXISTS into a hashed subplan (it would
    # choose one by the whole scan's estimated rows, not the page's): one index probe of
    # ix_recipients_party a row. SQLite runs it the same way with or without it.
    return exists(select(recipients.c.seq).where(
        recipients.c.seq == seq, recipients.c.party_id == reader).offset(0))


def _version_alternatives(shape: _Shape, table: FromClause = objects
                          ) -> list[ColumnElement[bool]]:
    c = table.c
    alternatives: list[ColumnElement[bool]] = []
    if shape.last:
        alternatives.append(c.is_latest == true())
    if shape.first:
        first = objects.alias("first_version")
        among = [first.c.collection_id == c.collection_id, first.c.id == c.id]
        if shape.by_reader:
            # The first version the reader may see: an earlier one marked beyond the reader
            # (later loosened by its creator) is not there for the reader at all.
            among.append(entitled(first, probe_per_row=True))
        alternatives.append(c.version_key == (
            select(func.min(first.c.version_key)).where(*among).scalar_subquery()))
    if shape.by_version_keys:
        alternatives.append(c.version_key.in_(bindparam("version_keys", expanding=True)))
    return alternatives
