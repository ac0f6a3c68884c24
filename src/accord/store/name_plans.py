"""How PostgreSQL finds the names that contain a needle, newest first: a plan chosen from a
measure of the needle, not from the planner's guess (store.search_index.matching).

Two ways answer "the `count` newest names that contain the needle": walking the names backwards
along their primary key until `count` match (cheap for a common word, the whole table for a
rare one), or reading every match through the trigram index and sorting them (cheap for a rare
word, every row of a common one). For `LIKE '%needle%'` PostgreSQL guesses how common the
needle is from fixed fractions and its histogram: at 1 M names it took a rare name the
histogram holds for a common word and walked every name (`generated 549821`: 0.5 s for one
match), and a word in the oldest 1 % of names for one a short walk would find (docs/plans.md).

So the needle is measured first: a sample of about _SAMPLE names (whole pages at random, the
same pages each time) says how many names contain it and how far back a walk would go for a
window. Reading them all through the index is chosen when that costs less than the walk, and
stops at what the walk would have cost if the sample misled; otherwise, or then, the names are
walked, in ranges growing fourfold. The index is asked for the needle's word the sample found
rarest, the whole needle checked on each row it gives: a trigram index reads every row id of
every trigram it is asked for, and "generated 549821" asked whole reads a million ids for
"generated" (40 ms) where "549821" reads a few (0.6 ms).

Each statement's plan is fixed by its shape, whatever the statistics: a walk reads a subquery
over a range of name ids with a LIMIT (PostgreSQL pushes no condition into it, so the pattern
cannot take it to the trigram index), and the index read compares `name_id + 0` (no ordered
walk of the primary key can serve it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import (
    ARRAY,
    Connection,
    String,
    any_,
    bindparam,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.sql.elements import ColumnElement

from accord.store.schema import object_names

TRIGRAM = 3  # the shortest needle (or word of one) a trigram index can serve
# Names sampled to measure a needle: 0.1 % of a million, about 1 ms on the loaded machine
# (3,000: 2.7-3.7 ms, docs/plans.md).
_SAMPLE = 1_000
_WALK = 1_000  # the smallest range of names walked
# What reading one match through the trigram index costs (its row ids, its row, the sort) in
# names walked: about 1.3 µs against 0.36 µs a name at 1 M names (docs/plans.md).
_MATCH_COST = 4
_GROWTH = 4  # each further walk covers a range this many times larger than the last
_SEED = 7  # the sample's pages, fixed: the same needle takes the same plan each time
_MOST_WORDS = 4  # words of a needle measured apart (a needle is rarely longer)
_WORD = re.compile(r"\w{3,}")


def in_collections(collections: Sequence[str],
                   column: ColumnElement[str] = object_names.c.collection_id
                   ) -> ColumnElement[bool]:
    """The name (its `column`: object_names', or a subquery's) is in one of `collections`
    (those its reader may read): one array, whatever their number (PostgreSQL)."""
    return column == any_(bindparam("collections", sorted(collections), type_=ARRAY(String)))


def containing(conn: Connection, needle: str, *, before: int | None, count: int,
               collections: Sequence[str]) -> list[tuple[int, int, bool]]:
    """Up to `count` (name_id, seq, in one of `collections`) of names that contain `needle`
    (folded, at least TRIGRAM characters), name_id below `before`, highest first."""
    if before is not None and before <= _WALK:
        # A few names: walked, not measured.
        return _walk(conn, needle, 0, before, count, collections)
    top, word, words, walk = _measure(conn, needle, before, count)
    if _MATCH_COST * words < walk:
        # Read them all unless there are more than walking would cost: a sample that missed
        # where they cluster then costs no more than the walk it spared.
        found, complete = _read_all(conn, needle, word, top, count, collections,
                                    most=int(walk) // _MATCH_COST)
        if complete:
            return found
    found = []
    low, span = top, max(_WALK, int(walk))
    while len(found) < count and low > 0:
        top, low = low, max(low - span, 0)
        found += _walk(conn, needle, low, top, count - len(found), collections)
        span *= _GROWTH
    return found


def like(needle: str) -> str:
    """The LIKE pattern (escape `\\`) of names that contain `needle`."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _walk(conn: Connection, needle: str, low: int, top: int, count: int,
          collections: Sequence[str]) -> list[tuple[int, int, bool]]:
    """The names with name_id in [low, top) that contain `needle`, highest first, up to
    `count`: a backward walk of the primary key over that range, stopped at `count`."""
    n = object_names.c
    walked = (select(n.name_id, n.seq, n.text, n.collection_id)
              .where(n.name_id >= bindparam("low", low), n.name_id < bindparam("top", top))
              .order_by(n.name_id.desc())
              # The LIMIT is the fence (it never cuts: the range holds no more rows than this).
              .limit(bindparam("span", top - low))
              .subquery("walked"))
    stmt = (select(walked.c.name_id, walked.c.seq,
                   in_collections(collections, walked.c.collection_id))
            .where(walked.c.text.like(bindparam("pattern", like(needle)), escape="\\"))
            .order_by(walked.c.name_id.desc())
            .limit(bindparam("count", count)))
    return [(int(r), int(s), bool(ok)) for r, s, ok in conn.execute(stmt)]


# The rank below which a search looks: `before`, or above the newest name (in the statement
# that measures: no round trip of its own).
_TOP = "coalesce(CAST(:before AS BIGINT), (SELECT max(name_id) + 1 FROM object_names), 0)"


def _measure(conn: Connection, needle: str, before: int | None, count: int
             ) -> tuple[int, str, float, float]:
    """From a sample of about _SAMPLE names below `before` (or all): that bound, the needle or
    word of it to ask the trigram index for (the one the fewest sampled names contain, the
    shortest of those), how many names below contain it (an estimate), and how many names a
    walk down from the bound would read to find `count` that contain the needle."""
    candidates = [needle] + sorted({w for w in _WORD.findall(needle) if w != needle},
                                   key=len, reverse=True)[:_MOST_WORDS]
    hit = [f"text LIKE :p{i} ESCAPE '\\'" for i in range(len(candidates))]
    share = f"least(1.0, CAST(:sample AS NUMERIC) / greatest({_TOP}, 1))"  # of names sampled
    statement = text(
        f"SELECT {_TOP}, count(*), "
        + ", ".join(f"count(*) FILTER (WHERE {h})" for h in hit)
        # The match that many names down a walk of every name would find `count` matches at.
        + f", (array_agg(name_id ORDER BY name_id DESC) FILTER (WHERE {hit[0]}))"
        f"[CAST(greatest(1, ceil(:count * {share})) AS INTEGER)]"
        f" FROM object_names TABLESAMPLE SYSTEM (100 * {share}) REPEATABLE (:seed)"
        f" WHERE name_id < {_TOP}")
    row = conn.execute(statement, {
        **{f"p{i}": like(c) for i, c in enumerate(candidates)},
        "before": before, "count": count, "sample": _SAMPLE, "seed": _SEED}).one()
    top, sampled, matched, kth = int(row[0]), row[1], row[2:-1], row[-1]
    if not sampled:
        return top, needle, 0.0, float(top)
    word, words = min(zip(candidates, matched, strict=True), key=lambda c: (c[1], len(c[0])))
    fraction = sampled / top  # the pages drawn hold more or fewer names than the average
    return top, word, words / fraction, float(top - kth if kth is not None else top)


def _read_all(conn: Connection, needle: str, word: str, below: int, count: int,
              collections: Sequence[str], *, most: int
              ) -> tuple[list[tuple[int, int, bool]], bool]:
    """The `count` highest names below `below` that contain `needle`, found through the
    trigram index's names that contain `word` (the needle or a word of it) and sorted, and
    whether they were all of them (no more than `most`)."""
    n = object_names.c
    # The values in the statement's text, not parameters: the planner then sees the word
    # itself, and no generic plan of a prepared statement, made for any word and any bound,
    # may trade the index for a sequential scan.
    where = [n.text.like(bindparam("word", like(word), literal_execute=True), escape="\\"),
             n.name_id + literal_column("0") < bindparam("below", below, literal_execute=True)]
    if word != needle:
        where.append(func.strpos(n.text, bindparam("needle", needle)) > 0)
    hits = (select(n.name_id, n.seq, in_collections(collections).label("readable"))
            .where(*where)
            .limit(bindparam("most", most + 1, literal_execute=True))
            .cte("hits").prefix_with("MATERIALIZED"))
    total = select(func.count()).select_from(hits).scalar_subquery()
    stmt = (select(hits.c.name_id, hits.c.seq, hits.c.readable, total)
            .order_by(hits.c.name_id.desc())
            .limit(bindparam("count", count, literal_execute=True)))
    rows = conn.execute(stmt).all()
    complete = not rows or rows[0][3] <= most
    return [(int(r), int(s), bool(ok)) for r, s, ok, _ in rows], complete
