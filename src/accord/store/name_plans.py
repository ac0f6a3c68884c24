"""How PostgreSQL finds the names that contain a needle, newest first: a plan chosen from a
measure of the needle, not from the planner's guess (store.search_index.matching).

Two ways answer "the `count` newest names that contain the needle": walking the names backwards
along their primary key until `count` match (cheap for a common word, the whole table for a
rare one), or reading every match through the trigram index and sorting them (cheap for a rare
word, every row of a common one). For `LIKE '%needle%'` PostgreSQL guesses how common the
needle is from fixed fractions and its histogram, and at 1 M names it took rare names for common
words (`generated 505598`: 518 ms walking a million names for one match; 0.6 ms through the
index) and middling ones for rare (docs/plans.md). So the needle is measured first, by work
that is bounded either way:

1. the newest `_WALK` names are walked (a common word fills the window there);
2. otherwise the trigram index is asked for at most `_PROBE` matches below them: fewer means
   they are all there is, and they are sorted;
3. otherwise the needle is common further back: the walk goes on, in ranges four times larger
   each time.

Each statement's plan is fixed by its shape, whatever the statistics: a walk reads a subquery
over a range of name ids with a LIMIT (PostgreSQL pushes no condition into it, so the pattern
cannot take it to the trigram index), and the probe compares `name_id + 0` (no ordered walk of
the primary key can serve it).
"""

from __future__ import annotations

import math

from sqlalchemy import Connection, bindparam, func, literal_column, select, text

from accord.store.schema import object_names

# Names walked newest first before anything else: a word in one name in twenty fills a first
# window of 200 there, and a common word costs no more than that.
_WALK = 4_000
# Names sampled (TABLESAMPLE SYSTEM: whole pages at random) to measure a needle the first walk
# did not satisfy: how many names below it contain the needle, and how far back the walk would
# have to go for the rest of the window.
_SAMPLE = 10_000
# What reading one match through the trigram index costs (the index, the row, the sort) in
# names walked: about 1.3 µs against 0.36 µs a name at 1 M names (docs/plans.md).
_MATCH_COST = 4
_GROWTH = 4  # each further walk covers a range this many times larger than the last
# The sample's page choice, fixed: the same needle takes the same plan every time.
_SEED = 7


def containing(conn: Connection, pattern: str, *, before: int | None, count: int,
               trigrams: bool = True) -> list[tuple[int, int]]:
    """Up to `count` (name_id, seq) of names that match the LIKE `pattern` (escape `\\`),
    name_id below `before`, highest first. `trigrams`: whether the trigram index can serve the
    pattern (a needle of three characters or more); if not, the names are only walked."""
    n = object_names.c
    top = before if before is not None else (conn.scalar(select(func.max(n.name_id))) or 0) + 1
    low = max(top - _WALK, 0)
    found = _walk(conn, pattern, low, top, count)
    if len(found) >= count or low == 0:
        return found
    rest = count - len(found)
    if trigrams and low > _SAMPLE:
        matches, walk = _measure(conn, pattern, low, rest)
        if _MATCH_COST * matches < walk:
            # Read them all unless there are more than walking would cost: a sample that
            # missed where they cluster then costs no more than the walk it spared.
            hits, complete = _read_all(conn, pattern, low, rest, most=int(walk) // _MATCH_COST)
            if complete:
                return found + hits
    span = _WALK
    while len(found) < count and low > 0:
        span *= _GROWTH
        top, low = low, max(low - span, 0)
        found += _walk(conn, pattern, low, top, count - len(found))
    return found


def _walk(conn: Connection, pattern: str, low: int, top: int, count: int
          ) -> list[tuple[int, int]]:
    """The names with name_id in [low, top) that match, highest first, up to `count`: a
    backward walk of the primary key over that range, stopped at `count`."""
    n = object_names.c
    walked = (select(n.name_id, n.seq, n.text)
              .where(n.name_id >= bindparam("low", low), n.name_id < bindparam("top", top))
              .order_by(n.name_id.desc())
              # The LIMIT is the fence (it never cuts: the range holds no more rows than this).
              .limit(bindparam("span", top - low))
              .subquery("walked"))
    stmt = (select(walked.c.name_id, walked.c.seq)
            .where(walked.c.text.like(bindparam("pattern", pattern), escape="\\"))
            .order_by(walked.c.name_id.desc())
            .limit(bindparam("count", count)))
    return [(int(r), int(s)) for r, s in conn.execute(stmt)]


# Of the sampled names below :below: how many, how many match, and the :k-th newest match.
_MEASURE = text(
    "SELECT count(*), count(*) FILTER (WHERE text LIKE :pattern ESCAPE '\\'),"
    " (array_agg(name_id ORDER BY name_id DESC) FILTER (WHERE text LIKE :pattern ESCAPE '\\'))"
    "[:k] FROM object_names TABLESAMPLE SYSTEM (:percent) REPEATABLE (:seed)"
    " WHERE name_id < :below")


def _measure(conn: Connection, pattern: str, below: int, count: int) -> tuple[float, float]:
    """From a sample of about _SAMPLE names below `below`: how many names there match (an
    estimate), and how many names a walk down from `below` would read to find `count`."""
    percent = min(100.0, 100.0 * _SAMPLE / below)
    fraction = percent / 100
    k = max(1, math.ceil(count * fraction))
    sampled, matched, kth = conn.execute(_MEASURE, {
        "pattern": pattern, "k": k, "percent": percent, "seed": _SEED, "below": below}).one()
    if not sampled:
        return 0.0, float(below)
    fraction = sampled / below  # the pages drawn hold more or fewer names than the average
    walk = below - kth if kth is not None else below
    return matched / fraction, float(walk)


def _read_all(conn: Connection, pattern: str, below: int, count: int, *, most: int
              ) -> tuple[list[tuple[int, int]], bool]:
    """The `count` highest matches below `below`, all matches read through the trigram index
    and sorted, and whether they were all of them (no more than `most`: a measure that erred
    costs at most that many before the walk takes over)."""
    n = object_names.c
    hits = (select(n.name_id, n.seq)
            # The pattern in the statement's text: the planner then sees the needle itself.
            .where(n.text.like(bindparam("needle", pattern, literal_execute=True), escape="\\"),
                   n.name_id + literal_column("0") < bindparam("below", below))
            .limit(bindparam("most", most + 1))
            .cte("hits").prefix_with("MATERIALIZED"))
    total = select(func.count()).select_from(hits).scalar_subquery()
    stmt = (select(hits.c.name_id, hits.c.seq, total)
            .order_by(hits.c.name_id.desc())
            .limit(bindparam("count", count)))
    rows = conn.execute(stmt).all()
    complete = not rows or rows[0][2] <= most
    return [(int(r), int(s)) for r, s, _ in rows], complete
