"""Screen what arrives: every identity and every e-mail sender or user account whose name a
TAXII POST, an import or a sync brings is screened against the designations in force, and a
match is flagged — to the node's admins, and on the object's page to whoever may read both the
object and the designation.

Run after each import and sync round and at each tick of `accord serve`; a cursor (the
objects' `seq`, up to the last one looked at) says how far it got, so each arrival is
screened once, none is missed, and a tick with nothing new reads nothing. What was stored
before a designation was made is screened against it by attribution.look_back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection, func, select

from accord.attribution.objects import DESIGNATION
from accord.node import Node
from accord.screening.reasons import Said, said_from_json
from accord.stix.timestamps import now_timestamp
from accord.store.directory import Directory
from accord.store.engine import take_turn, writing
from accord.store.schema import objects, screening_hits
from accord.store.settled import settled_seq
from accord.store.summary_rows import REQUESTS_ALIAS
from accord.trust.audit import Event

if TYPE_CHECKING:
    from accord.cooperation.desk import Actor
    from accord.screening import Match

CURSOR = "screening_cursor"  # node setting: the seq of the last object screened
NAMED = {"identity": "name", "email-addr": "display_name", "user-account": "display_name"}
WINDOW = 20_000  # stored objects (seq) looked at per slice
LOOK_BACK_AT_ONCE = 4  # windows of a look back's pass in one call, at most
BODIES_AT_ONCE = 16 * 2**20  # bytes of named objects' bodies read at once, at most
SCREENED = 500  # characters of a name screened


@dataclass(frozen=True, slots=True)
class Flag:
    """An arrival whose name matched a designation."""

    seq: int
    at: str
    object_id: str
    collection_id: str
    screened: str
    designation_id: str
    matched: str
    score: float
    why: str  # in English
    reason: Said | None = None  # `why`, to be said in the reader's language

    @classmethod
    def raised(cls, object_id: str, collection_id: str, screened: str, match: Match) -> Flag:
        """A flag raised now: `screened` (an object's name) matched a designation."""
        return cls(0, now_timestamp(), object_id, collection_id, screened, match.id,
                   match.matched, match.score, match.why, match.reason)

    def why_in(self, translate: Callable[[str], str]) -> str:
        """Why it was raised, in the language of `translate` (a catalogue's gettext); in
        English where the flag predates its reason being kept."""
        if self.reason is not None:
            # A translation that names other places than its message, or a reason kept by a
            # later version: the English, never a page that fails.
            for saying in (translate, lambda message: message):
                try:
                    return self.reason.render(saying)
                except (KeyError, IndexError, ValueError):
                    continue
        return self.why


def named_between(node: Node, after: int, upto: int, *, latest: bool = False
                  ) -> Iterator[tuple[str, str, str]]:
    """Each named object stored with a seq in (after, upto] (with `latest`, only objects'
    newest versions) and its name as screened (its first SCREENED characters; none blank): a
    range of the primary key, so a tick with nothing new reads nothing, whatever the store
    holds. Their bodies are read BODIES_AT_ONCE bytes at a time at most: a window of large
    identities (a writer may post them by the thousand) is not held whole."""
    o = objects.c
    listed = (select(o.seq, o.id, o.collection_id, func.length(o.body))
              .where(o.seq > after, o.seq <= upto, o.type.in_(tuple(NAMED)))
              .order_by(o.seq))
    if latest:
        listed = listed.where(o.is_latest.is_(True))
    with node.engine.connect() as conn:
        rows = conn.execute(listed).all()
    start = 0
    while start < len(rows):
        end, size = start + 1, rows[start][3]
        while end < len(rows) and end - start < 1000 and size + rows[end][3] <= BODIES_AT_ONCE:
            size += rows[end][3]
            end += 1
        part = rows[start:end]
        with node.engine.connect() as conn:
            bodies = {(seq, oid, collection_id): body for seq, oid, collection_id, body
                      in conn.execute(select(o.seq, o.id, o.collection_id, o.body).where(
                          o.seq.in_([row[0] for row in part])))}
        for seq, oid, collection_id, _ in part:
            # The row as listed, or none: removed since, or (SQLite gives a removed newest
            # row's seq to the next) another object's now.
            body = bodies.get((seq, oid, collection_id))
            if body is None:
                continue
            found = orjson.loads(body)
            name = found.get(NAMED.get(found.get("type"), ""))
            if isinstance(name, str) and name.strip():
                yield oid, collection_id, name[:SCREENED]
        start = end


def _cooperation_with_designations(node: Node) -> str | None:
    """The cooperation collection (where designations live), if it holds one: its index
    (collection, type) answers."""
    found = next((c for c in node.directory.all_collections() if c.alias == REQUESTS_ALIAS),
                 None)
    if found is None:
        return None
    with node.engine.connect() as conn:
        held = conn.execute(select(objects.c.seq).where(
            objects.c.collection_id == found.id,
            objects.c.type == DESIGNATION).limit(1)).first()
    return None if held is None else found.id


def screen_arrivals(node: Node, max_batches: int | None = None, *,
                    stored_before: bool = True) -> list[Flag]:
    """Screen what arrived since the last call (at most `max_batches` windows of WINDOW
    stored objects: the server's tick takes a slice, the rest at the next); returns the new
    flags. Until the node holds a designation nothing is screened and nothing is passed over:
    the first one screens every arrival so far. With `stored_before`, first a slice of the
    look back (attribution.look_back): the designations made since screened against what was
    stored before them (not on a POST's path: the tick does it)."""
    cooperation = _cooperation_with_designations(node)
    if cooperation is None:
        return []
    looked: list[Flag] = []
    if stored_before:
        from accord.attribution.look_back import look_back

        # Bounded even for a caller that screens all its arrivals (an import): a pass over
        # a large node's history goes on at the server's ticks.
        looked = look_back(node, max_batches or LOOK_BACK_AT_ONCE, cooperation=cooperation)
    return looked + _screen_new(node, max_batches)


def _screen_new(node: Node, max_batches: int | None) -> list[Flag]:
    after = int(node.directory.setting(CURSOR) or 0)
    # Up to what every writer has committed: an object another host is storing now, under a
    # lower seq than one committed already, is screened at a later call, not passed over.
    top = settled_seq(node.engine)
    if top is None:  # writers kept busy past our patience: the next call carries on
        return []
    # Here, not at the top: a node without designations (most imports, most POSTs) needs
    # neither the attribution record nor the desk, and `accord import` starts sooner.
    from accord.attribution.record import AttributionRecord
    from accord.attribution.watchlist import watchlist
    from accord.cooperation.desk import Actor

    newest = after
    found: list[Flag] = []
    listing = watchlist(AttributionRecord(node), Actor(node.party), actors=False)
    designees = {d.identity for d in listing.designations.values()}
    done = 0
    while newest < top and (max_batches is None or done < max_batches):
        upto = min(newest + WINDOW, top)
        for oid, collection_id, name in named_between(node, newest, upto):
            if not listing.designations or oid in designees:  # a designee's own: no news
                continue
            found += [Flag.raised(oid, collection_id, name, hit.match)
                      for hit in listing.screen(name, limit=3)
                      if hit.designation is not None and hit.match.match]
        newest, done = upto, done + 1
    if newest == after:
        return []
    with writing(node.engine) as conn:
        # The flags and the cursor together; and only if no other process screened these
        # arrivals meanwhile (the server's tick and an import may both run, on several hosts).
        # Their turn first: two that both read the old cursor would both record the flags.
        take_turn(conn, CURSOR)
        if int(Directory.setting_in(conn, CURSOR) or 0) != after:
            return []
        fresh = record_flags(node, conn, found)
        Directory.set_setting_in(conn, CURSOR, str(newest))
    return fresh


def record_flags(node: Node, conn: Connection, found: list[Flag], **detail: Any
                 ) -> list[Flag]:
    """Store and audit those of `found` not raised before for their object and designation,
    in the caller's transaction (the one that moves its cursor: a node killed after it moved
    loses no flag and no record of one); returns them. The arrivals and the look back
    (attribution.look_back) may both meet an object and a designation: flagged once."""
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
    found = fresh
    if not found:
        return []
    conn.execute(screening_hits.insert(), [
        {"at": f.at, "object_id": f.object_id, "collection_id": f.collection_id,
         "screened": f.screened, "designation_id": f.designation_id,
         "matched": f.matched, "score": f.score, "why": f.why,
         "reason": orjson.dumps(f.reason.as_json()).decode() if f.reason else None}
        for f in found])
    node.audit.append_in(conn, [Event(
        now_timestamp(), "screening.hit", None, None, None,
        tuple(sorted({f.object_id for f in found})),
        {"designations": sorted({f.designation_id for f in found}), **detail})])
    return found


def flags(node: Node, object_id: str | None = None, limit: int = 200) -> list[Flag]:
    """Flags, newest first (of one object, or all)."""
    query = select(screening_hits).order_by(screening_hits.c.seq.desc()).limit(limit)
    if object_id is not None:
        query = query.where(screening_hits.c.object_id == object_id)
    with node.engine.connect() as conn:
        return [Flag(r.seq, r.at, r.object_id, r.collection_id, r.screened, r.designation_id,
                     r.matched, r.score, r.why, _reason(r.reason)) for r in conn.execute(query)]


def _reason(kept: str | None) -> Said | None:
    """A flag's reason read back; None (its English shown) where it has none, or one this
    version cannot read."""
    if kept is None:
        return None
    try:
        return said_from_json(orjson.loads(kept))
    except (ValueError, orjson.JSONDecodeError):
        return None


def flags_for(node: Node, actor: Actor, object_id: str | None = None, limit: int = 200
              ) -> list[Flag]:
    """The flags (on an object, or all, newest first) that this party may be shown: only
    those whose designation it may read and is still in force (a designation not shared with
    it must not surface here either; one lifted is no longer a match)."""
    found = flags(node, object_id, limit)
    if not found:
        return []
    from accord.attribution.record import AttributionRecord
    from accord.attribution.watchlist import watchlist

    readable = watchlist(AttributionRecord(node), actor).designations
    return [f for f in found if f.designation_id in readable]
