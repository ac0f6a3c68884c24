"""Reading the attribution record back as each party may see it: a claim and how it stands,
a subject's disputed attribution, the claims and designations a party may read (whole, or a
page at a time), and the names a view of them shows.

What a party may read is the store's entitlement rule, applied to the cooperation collection
(`Desk.collection`); what a claim, position or designation cites is shown to a reader only as
far as it may read that too (ids would tell it what exists). A subject's claims and a claim's
positions are read through the record's index (store.record_reads), never by walking the
record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import orjson

from accord.attribution.model import Claim, Designation, Position
from accord.attribution.objects import (
    CLAIM,
    DESIGNATION,
    MalformedAttributionObject,
    claim_from_stix,
    designation_from_stix,
    is_attribution_object,
    position_from_stix,
)
from accord.attribution.standing import (
    ClaimStanding,
    SubjectStanding,
    claim_standing,
    claim_standings,
    subject_standing,
)
from accord.cooperation.desk import Actor, CooperationError, Desk, utc_now
from accord.node import Node
from accord.store.browse import Browse
from accord.store.directory import Collection
from accord.store.query import ALL, LAST, Cursor, ObjectQuery, Reader, StoredVersion
from accord.store.record_reads import ids_filed_under, in_blocks

_PAGE = 1000


class AttributionError(CooperationError):
    """A claim, position or designation the record does not take, in words for its maker."""


class NoSuchClaim(AttributionError):
    """No claim with that id that the party may see (the same answer whether it exists)."""


class NoSuchDesignation(AttributionError):
    """No designation with that id that the party may see."""


class RecordReading:
    """The record as parties read it; `AttributionRecord` adds the making."""

    def __init__(self, node: Node, clock: Callable[[], datetime] = utc_now) -> None:
        self.node = node
        self.clock = clock
        self.desk = Desk(node, clock)

    def standing(self, actor: Actor, claim_id: str) -> ClaimStanding:
        claim, _ = self._claim(actor, claim_id)
        return claim_standing(claim, self._positions(actor, [claim.id]), self._party_names())

    def claims(self, actor: Actor, subject: str | None = None) -> list[ClaimStanding]:
        """Every claim `actor` may read (on `subject` only, if given), with its standing."""
        claims = [c for c, _ in self._claims(actor, subject)]
        positions = self._positions(actor, None if subject is None else [c.id for c in claims])
        names = self._party_names()
        return claim_standings(claims, positions, names)

    def claims_page(self, actor: Actor, subject: str | None = None, *, limit: int,
                    after: str | None = None) -> tuple[list[ClaimStanding], str | None]:
        """At most `limit` claims `actor` may read (on `subject` only, if given), oldest first,
        from where `after` (what the page before returned) left off; and where the next page
        starts (None: no more). Each page's work is bounded by `limit`, not by the record."""
        readable = self._reader(actor)
        if readable is None:
            return [], None
        collection, reader = readable
        ids = None if subject is None else ids_filed_under(self.node.engine, collection.id,
                                                           [subject])
        query = ObjectQuery(types=(CLAIM,), versions=frozenset({LAST}), limit=limit,
                            after=None if after is None else Cursor(after), reader=reader)
        # A subject with many claims is read a block of ids at a time: each block's first
        # `limit` after the cursor, and the earliest of them kept.
        items: list[StoredVersion] = []
        more = False
        for block in in_blocks(query, ids):
            page = self.node.objects.page(collection.id, block)
            items += page.items
            more = more or page.more
        items.sort(key=lambda item: item.date_added)
        more, items = more or len(items) > limit, items[:limit]
        claims = [c for c in (claim_from_stix(orjson.loads(i.body)) for i in items)
                  if subject is None or c.subject == subject]
        positions, names = self._positions(actor, [c.id for c in claims]), self._party_names()
        return (claim_standings(claims, positions, names),
                items[-1].date_added if more and items else None)

    def subject(self, actor: Actor, subject: str) -> SubjectStanding:
        claims = [c for c, _ in self._claims(actor, subject)]
        names = self.names(actor, [subject, *(a for c in claims for a in c.accused)])
        return subject_standing(subject, claims, self._positions(actor, [c.id for c in claims]),
                                names)

    def _party_names(self) -> dict[str, str]:
        # A claim's standing names parties only; a rival claim's reason names actors too,
        # which `subject` looks up.
        return self.node.directory.names()

    def designations(self, actor: Actor) -> list[Designation]:
        """The newest version of every designation the party may read, the latest designated,
        amended or lifted first."""
        found = [designation_from_stix(o) for o in reversed(self._objects(actor, DESIGNATION))]
        return self._as_readable(actor, found)

    def designation(self, actor: Actor, designation_id: str) -> Designation:
        """A designation as its newest version says, as the party may read it (or
        NoSuchDesignation)."""
        found, _ = self._designation(actor, designation_id)
        return self._as_readable(actor, [found])[0]

    def designations_page(self, actor: Actor, *, limit: int, after: str | None = None
                          ) -> tuple[list[Designation], str | None]:
        """At most `limit` of the designations the party may read, the latest designated,
        amended or lifted first, from where `after` (what the page before returned) left off;
        and where the next page starts (None: no more)."""
        readable = self._reader(actor)
        if readable is None:
            return [], None
        collection, reader = readable
        page = self.node.objects.page(collection.id, ObjectQuery(
            types=(DESIGNATION,), limit=limit, reader=reader, newest_first=True,
            after=None if after is None else Cursor(after)))
        found = [designation_from_stix(orjson.loads(item.body)) for item in page.items]
        return (self._as_readable(actor, found),
                page.items[-1].date_added if page.more and page.items else None)

    def _as_readable(self, actor: Actor, found: list[Designation]) -> list[Designation]:
        """`found`, each citing only what the reader may read (one posted over TAXII, or by a
        peer, may cite what was not shared with every reader of it)."""
        cited = [i for d in found for i in (*d.claims, *d.evidence)]
        readable = self.desk.readable_by(actor.party.id, cited) if cited else set()
        return [replace(d, claims=tuple(c for c in d.claims if c in readable),
                        evidence=tuple(e for e in d.evidence if e in readable))
                for d in found]

    def names(self, actor: Actor, ids: Iterable[str]) -> dict[str, str]:
        """Display names: every party's, and those of `ids` (actors, subjects, evidence) the
        party may read; an object it may not read keeps its id."""
        names = self.node.directory.names()
        wanted = sorted({i for i in ids if i not in names and not i.startswith("x-accord-")})
        # As lists read them (store.browse): an object too large to list (one named as
        # evidence may be a sample of many megabytes) keeps its id, its body unread.
        browse = Browse(self.node.engine)
        for start in range(0, len(wanted), _PAGE):
            found = browse.by_ids(actor.party.id, wanted[start:start + _PAGE], most=_PAGE)
            for item in found.values():
                name = item.body.get("name")
                if isinstance(name, str):
                    names.setdefault(item.id, name)
        return names

    def names_in(self, actor: Actor, standings: Iterable[ClaimStanding],
                 also: Iterable[str] = ()) -> dict[str, str]:
        """The names a view of these claims (and of `also`, e.g. its subject) shows."""
        return self.names(actor, (*also, *(i for s in standings for i in (
            s.claim.subject, *s.claim.attributed_to, *s.claim.evidence,
            *(e for p in s.history for e in p.evidence)))))

    # -- helpers -----------------------------------------------------------------------------

    def readable_collections(self, actor: Actor) -> list[tuple[Collection, Reader]]:
        return [(c, Reader(actor.party.id, int(c.default_tlp)))
                for c, grant in self.node.directory.collections_for(actor.party.id)
                if grant.can_read]

    def _objects(self, actor: Actor, kind: str, versions: str = LAST,
                 ids: Sequence[str] | None = None, filed_under: Sequence[str] | None = None
                 ) -> list[dict[str, Any]]:
        """Objects of `kind` in the cooperation collection that the party may read: only
        `ids`, or only those filed under `filed_under` (subjects or claims: the record's
        index), if given."""
        readable = self._reader(actor)
        if readable is None:
            return []
        collection, reader = readable
        if filed_under is not None:
            ids = ids_filed_under(self.node.engine, collection.id, filed_under)
        if ids is not None and not ids:
            return []
        found: list[StoredVersion] = []
        for query in in_blocks(ObjectQuery(types=(kind,), versions=frozenset({versions}),
                                           limit=_PAGE, reader=reader), ids):
            while True:
                page = self.node.objects.page(collection.id, query)
                found += page.items
                if not page.more:
                    break
                query = replace(query, after=page.next_cursor)
        if ids is not None:  # blocks of ids: back in the order they were added
            found.sort(key=lambda item: item.date_added)
        return [orjson.loads(item.body) for item in found]

    def _reader(self, actor: Actor) -> tuple[Collection, Reader] | None:
        """The cooperation collection and `actor` as its reader; None if it may not read it."""
        collection = self.desk.collection()
        found = self.node.directory.collection_for(actor.party.id, collection.id)
        if found is None or not found[1].can_read:
            return None
        return collection, Reader(actor.party.id, int(collection.default_tlp))

    def _claims(self, actor: Actor, subject: str | None = None
                ) -> list[tuple[Claim, dict[str, Any]]]:
        """The claims `actor` may read: on `subject` (read through the record's index), or
        all of them."""
        under = None if subject is None else [subject]
        return [(c, o) for o in self._objects(actor, CLAIM, filed_under=under)
                for c in [claim_from_stix(o)] if subject is None or c.subject == subject]

    def _positions(self, actor: Actor, claims: Sequence[str] | None = None) -> list[Position]:
        """The positions `actor` may read (on `claims` only, if given: read through the
        record's index), each as far as it may read what it cites: only parties known here
        take positions (an author nobody knows speaks for no one), and the evidence and
        competing claim a position names are shown to a reader only if it may read them
        (their ids would tell it they exist)."""
        # Every version counts: a party that re-versions its opinion adds to the history.
        found = []
        parties = self._party_names()
        answered = None if claims is None else set(claims)
        for obj in self._objects(actor, "opinion", ALL, filed_under=claims):
            if is_attribution_object(obj):
                try:
                    position = position_from_stix(obj)
                except MalformedAttributionObject:
                    continue  # refused on intake; only a node's own tooling could store one
                if position.party in parties and (answered is None
                                                  or position.claim in answered):
                    found.append(position)
        cited = {i for p in found for i in (*p.evidence, *([p.competing_claim]
                                                            if p.competing_claim else []))}
        readable = self.desk.readable_by(actor.party.id, sorted(cited)) if cited else set()
        return [replace(p, evidence=tuple(e for e in p.evidence if e in readable),
                        competing_claim=p.competing_claim if p.competing_claim in readable
                        else None) for p in found]

    def _claim(self, actor: Actor, claim_id: str) -> tuple[Claim, dict[str, Any]]:
        for obj in self._objects(actor, CLAIM, ids=[claim_id]):
            return claim_from_stix(obj), obj
        raise NoSuchClaim(f"no claim {claim_id!r} that you may see")

    def _designation(self, actor: Actor, designation_id: str
                     ) -> tuple[Designation, dict[str, Any]]:
        for obj in self._objects(actor, DESIGNATION, ids=[designation_id]):
            return designation_from_stix(obj), obj
        raise NoSuchDesignation(f"no designation {designation_id!r} that you may see")

