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

from accord.attribution.arrivals import CURSOR, WINDOW, Flag, named_between, record_flags
from accord.attribution.objects import DESIGNATION
from accord.screening import Listed, Screener
from accord.store.directory import Directory
from accord.store.engine import take_turn, writing
from accord.store.schema import objects
from accord.store.settled import settled_seq
from accord.store.summary_rows import REQUESTS_ALIAS

if TYPE_CHECKING:
    from accord.attribution.model import Designation
    from accord.node import Node

LOOKED_BACK = "screening_looked_back"  # node setting: where the passes stand (_Passes)


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


def look_back(node: Node, max_batches: int | None = None, *,
              cooperation: str | None = None) -> list[Flag]:
    """Screen the stored named objects against the designation versions added since the last
    pass (at most `max_batches` windows of WINDOW stored objects); returns the new flags.
    `cooperation`: the collection of designations, where the caller found it already."""
    if cooperation is None:
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
        # Up to the settled seq, not the arrivals' cursor: a screening of arrivals under way
        # may have built its list before this designation came, and will move the cursor
        # over what it screens without it (past a cursor read now); it read its own end, the
        # settled seq then, before that. What both screen is flagged once (record_flags).
        top = settled_seq(node.engine)
        if top is None:  # writers kept busy past our patience: the next call begins it
            return []
        passes = _Passes(passes.through, newest, 0, top)
    found: list[Flag] = []
    new = _designated_between(node, cooperation, passes.through, passes.target or "")
    # Here, not at the top: most calls find nothing to do and need none of it.
    from accord.attribution.record import AttributionRecord
    from accord.attribution.watchlist import watchlist
    from accord.cooperation.desk import Actor

    listing = watchlist(AttributionRecord(node), Actor(node.party), actors=False)
    # Screened against the new designations alone (in force: a lift is a version too): an
    # older one that a name matches better does not crowd the new one out.
    wanted = [d for d in listing.designations.values() if d.id in new]
    screener = _screener(wanted)
    designees = {d.identity for d in listing.designations.values()}
    reached, done = passes.reached, 0
    while wanted and reached < passes.upto and (max_batches is None or done < max_batches):
        upto = min(reached + WINDOW, passes.upto)
        # The names objects bear now: a name an identity no longer bears is no news.
        for oid, collection_id, name in named_between(node, reached, upto, latest=True):
            if oid not in designees:
                found += [Flag.raised(oid, collection_id, name, m)
                          for m in screener.screen(name, limit=len(wanted)) if m.match]
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
        fresh = record_flags(node, conn, found, stored_before=True)
        Directory.set_setting_in(conn, LOOKED_BACK, after.written())
    return fresh


_kept: dict[tuple[tuple[str, str], ...], Screener] = {}  # the last pass's, by its versions


def _screener(designations: list[Designation]) -> Screener:
    """A screener of these designations, built once for a pass's many calls (one a tick)."""
    key = tuple(sorted((d.id, d.modified.isoformat()) for d in designations))
    found = _kept.get(key)
    if found is None:
        found = Screener([Listed(d.id, d.name, d.aliases, d.kind) for d in designations])
        _kept.clear()
        _kept[key] = found
    return found


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
