"""Screen what was stored before a designation against it.

`screen_arrivals` screens each arrival once, against the designations in force when it is
screened. A designation made later (or amended: a new alias, a name corrected) would never meet
the identities already held: a supplier stored in March, its owner designated in June, was
never flagged. So each designation version is also screened against the named objects stored
before it: a pass over them, from the first to where the arrivals' screening had reached when
the pass began (what comes after is screened as it arrives, against the designation too), one
window of stored objects at a time, as the arrivals are. A pass takes every designation version
added since the last pass; what is added meanwhile waits for the next. A flag already raised
for an object and a designation (by the arrivals, or an earlier pass for an older version of
it) is not raised again.

Where a pass stands is a node setting, moved with the flags it raised in one transaction, in
the arrivals' turn: two hosts, or the server and an import, never raise the same flag twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import orjson
from sqlalchemy import func, select

from accord.attribution.arrivals import (
    CURSOR,
    NAMED,
    WINDOW,
    Flag,
    arrivals_between,
    record_flags,
)
from accord.stix.timestamps import now_timestamp
from accord.store.directory import Directory
from accord.store.engine import take_turn, writing
from accord.store.schema import objects, screening_hits
from accord.store.summary_reads import REQUESTS_ALIAS

if TYPE_CHECKING:
    from accord.node import Node

LOOKED_BACK = "screening_looked_back"  # node setting: where the passes stand (_Passes)
DESIGNATION = "x-accord-designation"
_HITS_PER_NAME = 10  # a new designation's hit is kept even behind older ones that match better


@dataclass(frozen=True, slots=True)
class _Passes:
    # The date_added of the newest designation version the stored objects were screened
    # against ("": none yet).
    through: str = ""
    # A pass under way: the newest version it screens for, the last seq it looked at, and
    # the last it will (the arrivals' cursor when it began).
    target: str | None = None
    reached: int = 0
    upto: int = 0

    @classmethod
    def read(cls, kept: str | None) -> _Passes:
        if not kept:
            return cls()
        said = orjson.loads(kept)
        return cls(said["through"], said.get("target"), said.get("reached", 0),
                   said.get("upto", 0))

    def written(self) -> str:
        said: dict[str, object] = {"through": self.through}
        if self.target is not None:
            said.update(target=self.target, reached=self.reached, upto=self.upto)
        return orjson.dumps(said).decode()


def look_back(node: Node, max_batches: int | None = None) -> list[Flag]:
    """Screen the stored named objects against the designation versions added since the last
    pass (at most `max_batches` windows of WINDOW stored objects); returns the new flags."""
    cooperation = next((c.id for c in node.directory.all_collections()
                        if c.alias == REQUESTS_ALIAS), None)
    if cooperation is None:
        return []
    kept = node.directory.setting(LOOKED_BACK)
    passes = _Passes.read(kept)
    if passes.target is None:
        newest = _newest_designation(node, cooperation)
        if newest is None or newest <= passes.through:
            return []
        passes = _Passes(passes.through, newest, 0, int(node.directory.setting(CURSOR) or 0))
    found: list[Flag] = []
    new = _designated_between(node, cooperation, passes.through, passes.target or "")
    # Here, not at the top: most calls find nothing to do and need none of it.
    from accord.attribution.record import AttributionRecord
    from accord.attribution.watchlist import watchlist
    from accord.cooperation.desk import Actor

    listing = watchlist(AttributionRecord(node), Actor(node.party), actors=False)
    wanted = new & listing.designations.keys()  # in force (a lift is a version too)
    designees = {d.identity for d in listing.designations.values()}
    reached, done = passes.reached, 0
    while wanted and reached < passes.upto and (max_batches is None or done < max_batches):
        upto = min(reached + WINDOW, passes.upto)
        for oid, collection_id, body in arrivals_between(node, reached, upto):
            name = body.get(NAMED[body["type"]])
            if not isinstance(name, str) or not name.strip() or oid in designees:
                continue
            for hit in listing.screen(name[:500], limit=_HITS_PER_NAME):
                m = hit.match
                if hit.designation is not None and m.match and m.id in wanted:
                    found.append(Flag(0, now_timestamp(), oid, collection_id, name[:500],
                                      m.id, m.matched, m.score, m.why, m.reason))
        reached, done = upto, done + 1
    if not wanted or reached >= passes.upto:  # this pass is over
        after = _Passes(passes.target or passes.through)
    else:
        after = replace(passes, reached=reached)
    return _recorded(node, kept, after, found)


def _recorded(node: Node, kept: str | None, after: _Passes, found: list[Flag]) -> list[Flag]:
    """The flags not raised before, recorded with where the passes stand; none if another
    process moved them meanwhile (it raised these)."""
    with writing(node.engine) as conn:
        take_turn(conn, CURSOR)  # the arrivals' turn: their flags and these, one at a time
        if Directory.setting_in(conn, LOOKED_BACK) != kept:
            return []
        raised: set[tuple[str, str]] = set()
        ids = sorted({f.object_id for f in found})
        for start in range(0, len(ids), 500):
            raised |= {(r.object_id, r.designation_id) for r in conn.execute(
                select(screening_hits.c.object_id, screening_hits.c.designation_id)
                .where(screening_hits.c.object_id.in_(ids[start:start + 500])))}
        fresh = []
        for f in found:
            if (f.object_id, f.designation_id) not in raised:
                raised.add((f.object_id, f.designation_id))
                fresh.append(f)
        record_flags(node, conn, fresh, stored_before=True)
        Directory.set_setting_in(conn, LOOKED_BACK, after.written())
    return fresh


def _newest_designation(node: Node, cooperation: str) -> str | None:
    o = objects.c
    with node.engine.connect() as conn:
        return conn.execute(select(func.max(o.date_added)).where(  # type: ignore[no-any-return]
            o.collection_id == cooperation, o.type == DESIGNATION)).scalar()


def _designated_between(node: Node, cooperation: str, after: str, upto: str) -> set[str]:
    """The designations with a version added in (after, upto]."""
    o = objects.c
    with node.engine.connect() as conn:
        return set(conn.execute(select(o.id).distinct().where(
            o.collection_id == cooperation, o.type == DESIGNATION, o.date_added > after,
            o.date_added <= upto)).scalars())
