"""The attribution record of a node: make claims, take positions, designate, and read them
back as each party may see them.

Claims, positions and designations live beside the request ledgers, in the node's
cooperation collection (`Desk.collection`), and travel to peers the same way: pushed at once
to the nodes of the parties they are addressed to, pulled, signed, checked. Each is marked
TLP:AMBER+STRICT for the parties it is shared with (all parties of the node unless the maker
names some), and a position carries its claim's audience, so whoever may read a claim reads
every position taken on it, and nobody else learns of either.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import orjson

from accord.attribution.model import (
    ACTOR_TYPES,
    BASES,
    DESIGNATION_KINDS,
    POSITIONS,
    SUBJECT_TYPES,
    Claim,
    Designation,
    Position,
)
from accord.attribution.objects import (
    CLAIM,
    DESIGNATION,
    MalformedAttributionObject,
    claim_from_stix,
    claim_to_stix,
    designation_from_stix,
    designation_to_stix,
    is_attribution_object,
    position_from_stix,
    position_to_stix,
    relationships,
)
from accord.attribution.standing import (
    ClaimStanding,
    SubjectStanding,
    claim_standing,
    subject_standing,
)
from accord.cooperation.desk import Actor, CooperationError, Desk, utc_now
from accord.i18n import N_
from accord.intake import screen, store
from accord.node import Node
from accord.stix.identifiers import identifier_type
from accord.stix.timestamps import format_timestamp
from accord.store.browse import Browse
from accord.store.directory import Collection, Party
from accord.store.query import ALL, LAST, Cursor, ObjectQuery, Reader, StoredVersion
from accord.store.record_reads import ids_filed_under, in_blocks
from accord.trust.markings import (
    ACCORD_MARKING_EXTENSION,
    MARKING_FOR,
    Tlp,
    recipients_of,
    tlp_of,
)

_PAGE = 1000


class AttributionError(CooperationError):
    """A claim, position or designation the record does not take, in words for its maker."""


class NoSuchClaim(AttributionError):
    """No claim with that id that the party may see (the same answer whether it exists)."""


class NoSuchDesignation(AttributionError):
    """No designation with that id that the party may see."""


@dataclass(frozen=True, slots=True)
class ClaimDraft:
    subject: str
    attributed_to: tuple[str, ...]
    basis: tuple[str, ...]
    confidence: int
    summary: str
    sponsor: str | None = None
    evidence: tuple[str, ...] = ()
    share_with: tuple[str, ...] = ()  # party names or ids; none: every party of the node


@dataclass(frozen=True, slots=True)
class DesignationDraft:
    name: str
    kind: str
    legal_basis: str
    aliases: tuple[str, ...] = ()
    programme: str | None = None
    claims: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    share_with: tuple[str, ...] = ()


def _one_of(what: str, values: Iterable[str], allowed: Iterable[str]) -> None:
    known = list(allowed)
    wrong = [v for v in values if v not in known]
    if wrong:
        raise AttributionError(N_("{what} {wrong} is not one of: {known}"), what=what,
                               wrong=", ".join(map(repr, wrong)), known=", ".join(known))


class AttributionRecord:
    def __init__(self, node: Node, clock: Callable[[], datetime] = utc_now) -> None:
        self.node = node
        self.clock = clock
        self.desk = Desk(node, clock)

    # -- making ------------------------------------------------------------------------------

    def claim(self, actor: Actor, draft: ClaimDraft) -> ClaimStanding:
        _one_of(N_("basis"), draft.basis, BASES)
        if not draft.basis:
            raise AttributionError(N_("basis: name at least one of: {known}"),
                                   known=", ".join(BASES))
        if not 0 <= draft.confidence <= 100:
            raise AttributionError(N_("confidence {confidence} is not between 0 and 100"),
                                   confidence=draft.confidence)
        if not draft.summary.strip():
            raise AttributionError(N_("summary: say in words what is attributed to whom and "
                                      "why"))
        if identifier_type(draft.subject) not in SUBJECT_TYPES:
            raise AttributionError(N_("subject {subject} is not an id of an {types}"),
                                   subject=repr(draft.subject), types=", ".join(SUBJECT_TYPES))
        wrong = [a for a in draft.attributed_to if identifier_type(a) not in ACTOR_TYPES]
        if wrong:
            raise AttributionError(N_("attributed-to {ids}: not an id of an {types}"),
                                   ids=", ".join(wrong), types=", ".join(ACTOR_TYPES))
        sponsor = draft.sponsor.strip().upper() if draft.sponsor else None
        if sponsor is not None and not (len(sponsor) == 2 and sponsor.isalpha()):
            raise AttributionError(N_("sponsor {sponsor}: give the state's ISO 3166-1 alpha-2 "
                                      "code, such as CN or US"), sponsor=repr(draft.sponsor))
        if not draft.attributed_to and sponsor is None:
            raise AttributionError(N_("a claim attributes the activity to someone: give "
                                      "--attributed-to, --sponsor or both"))
        self._require_readable(actor, N_("subject"), [draft.subject])
        self._require_readable(actor, N_("attributed-to"), draft.attributed_to)
        self._require_readable(actor, N_("evidence"), draft.evidence)
        claim = Claim(f"{CLAIM}--{uuid.uuid4()}", actor.party.id, self.clock(), draft.subject,
                      draft.attributed_to, sponsor, draft.basis, draft.confidence,
                      draft.summary.strip(), draft.evidence)
        audience = self._audience(actor, draft.share_with)
        made = [claim_to_stix(claim),
                *relationships(claim, lambda: f"relationship--{uuid.uuid4()}")]
        self._store(actor, [_marked(obj, actor.party.id, audience) for obj in made], audience)
        return self.standing(actor, claim.id)

    def respond(self, actor: Actor, claim_id: str, position: str, text: str, *,
                basis: Sequence[str] = (), evidence: Sequence[str] = (),
                competing_claim: str | None = None) -> ClaimStanding:
        _one_of(N_("position"), [position], POSITIONS)
        _one_of(N_("basis"), basis, BASES)
        if not text.strip():
            raise AttributionError(N_("text: say in words why you take this position"))
        claim, obj = self._claim(actor, claim_id)
        self._require_readable(actor, N_("evidence"), evidence)
        if competing_claim is not None:
            rival, _ = self._claim(actor, competing_claim)
            if rival.claimant != actor.party.id or rival.subject != claim.subject:
                raise AttributionError(N_("competing claim {claim}: it must be your own claim "
                                          "on the same subject"), claim=competing_claim)
        made = Position(f"opinion--{uuid.uuid4()}", actor.party.id, self.clock(), claim.id,
                        position, text.strip(), tuple(basis), tuple(evidence),  # type: ignore[arg-type]
                        competing_claim)
        # Whoever reads the claim reads the positions taken on it (a denial kept from those
        # who read the accusation would be no denial), and the claim's maker always does: a
        # claim shared with every reader of the record (TLP:CLEAR, GREEN or AMBER, posted
        # over TAXII) gets positions marked as it is; one for named parties, positions for
        # them.
        level = tlp_of(obj)
        shared = level if level is not None else self.desk.collection().default_tlp
        if shared <= Tlp.AMBER:
            said = position_to_stix(made)
            said["object_marking_refs"] = [MARKING_FOR[shared]]
            self._store(actor, [said], [claim.claimant])
            return self.standing(actor, claim.id)
        audience = sorted((recipients_of(obj) | {claim.claimant}) - {actor.party.id})
        self._store(actor, [_marked(position_to_stix(made), actor.party.id, audience)], audience)
        return self.standing(actor, claim.id)

    def designate(self, actor: Actor, draft: DesignationDraft) -> Designation:
        _one_of("kind", [draft.kind], DESIGNATION_KINDS)
        if not draft.name.strip():
            raise AttributionError("name: the designated firm's or person's name")
        if not draft.legal_basis.strip():
            raise AttributionError("legal basis: the authority the designation is made under "
                                   "(e.g. Executive Order 13694)")
        for claim_id in draft.claims:
            self._claim(actor, claim_id)
        self._require_readable(actor, "evidence", draft.evidence)
        now = self.clock()
        aliases = tuple(a.strip() for a in draft.aliases if a.strip())
        # The designee as a standard STIX identity too, for tools that know only STIX.
        designee = {"type": "identity", "spec_version": "2.1",
                    "id": f"identity--{uuid.uuid4()}", "created_by_ref": actor.party.id,
                    "created": format_timestamp(now), "modified": format_timestamp(now),
                    "name": draft.name.strip(), "identity_class": draft.kind,
                    **({"description": "Also known as: " + "; ".join(aliases)}
                       if aliases else {})}
        designation = Designation(
            f"{DESIGNATION}--{uuid.uuid4()}", actor.party.id, now, now, draft.name.strip(),
            draft.kind, draft.legal_basis.strip(), now,  # type: ignore[arg-type]
            aliases, draft.programme or None, designee["id"], draft.claims, draft.evidence)
        audience = self._audience(actor, draft.share_with)
        # Whoever reads the designation reads the ids of the claims and evidence it cites: each
        # must be one they may read, or the designation would tell them it exists.
        cited = [*draft.claims, *draft.evidence]
        for party in audience if cited else ():
            readable = self.desk.readable_by(party, cited)
            hidden = [c for c in cited if c not in readable]
            if hidden:
                raise AttributionError(
                    f"{', '.join(hidden)}: not shared with {self._party_names().get(party, party)}"
                    ", to whom the designation would show it: share the designation with "
                    "fewer parties (--share-with), or cite only what they may read")
        self._store(actor, [_marked(obj, actor.party.id, audience)
                            for obj in (designee, designation_to_stix(designation))], audience)
        return designation

    def amend(self, actor: Actor, designation_id: str, *, aliases: Sequence[str] = (),
              programme: str | None = None, legal_basis: str | None = None) -> Designation:
        """A new version with more aliases, or another programme or legal basis."""
        current, obj = self._designation(actor, designation_id)
        if current.party != actor.party.id:
            raise AttributionError(f"{designation_id} was made by another party; only it may "
                                   "amend it")
        if not current.is_in_force:
            raise AttributionError(f"{designation_id} was lifted; designate again instead")
        added = tuple(a.strip() for a in aliases
                      if a.strip() and a.strip() not in current.names)
        if not added and programme is None and legal_basis is None:
            raise AttributionError("nothing to amend: give an alias, a programme or a legal "
                                   "basis")
        if legal_basis is not None and not legal_basis.strip():
            raise AttributionError("legal basis: it cannot be empty")
        now = max(self.clock(), current.modified)
        amended = replace(current, modified=now, aliases=current.aliases + added,
                          programme=programme.strip() or None if programme is not None
                          else current.programme,
                          legal_basis=legal_basis.strip() if legal_basis is not None
                          else current.legal_basis)
        self._store(actor, [_marked(designation_to_stix(amended), actor.party.id,
                                    sorted(recipients_of(obj)))], sorted(recipients_of(obj)))
        return amended

    def lift(self, actor: Actor, designation_id: str, reason: str) -> Designation:
        if not reason.strip():
            raise AttributionError("reason: say why the designation is lifted")
        current, obj = self._designation(actor, designation_id)
        if current.party != actor.party.id:
            raise AttributionError(f"{designation_id} was made by another party; only it may "
                                   "lift it")
        if not current.is_in_force:
            raise AttributionError(f"{designation_id} was lifted already")
        now = max(self.clock(), current.modified)
        lifted = replace(current, modified=now, lifted=now, lift_reason=reason.strip())
        audience = sorted(recipients_of(obj))
        self._store(actor, [_marked(designation_to_stix(lifted), actor.party.id, audience)],
                    audience)
        return lifted

    # -- reading -----------------------------------------------------------------------------

    def standing(self, actor: Actor, claim_id: str) -> ClaimStanding:
        claim, _ = self._claim(actor, claim_id)
        return claim_standing(claim, self._positions(actor, [claim.id]), self._party_names())

    def claims(self, actor: Actor, subject: str | None = None) -> list[ClaimStanding]:
        """Every claim `actor` may read (on `subject` only, if given), with its standing."""
        claims = [c for c, _ in self._claims(actor, subject)]
        positions = self._positions(actor, None if subject is None else [c.id for c in claims])
        names = self._party_names()
        return [claim_standing(c, positions, names) for c in claims]

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
        return ([claim_standing(c, positions, names) for c in claims],
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
        """The newest version of every designation the party may read, newest first."""
        found = [designation_from_stix(o) for o in self._objects(actor, DESIGNATION)]
        # What it cites, only as far as the reader may read it (one posted over TAXII, or by
        # a peer, may cite what was not shared with every reader of it).
        cited = [i for d in found for i in (*d.claims, *d.evidence)]
        readable = self.desk.readable_by(actor.party.id, cited) if cited else set()
        found = [replace(d, claims=tuple(c for c in d.claims if c in readable),
                         evidence=tuple(e for e in d.evidence if e in readable))
                 for d in found]
        return sorted(found, key=lambda d: (d.created, d.id), reverse=True)

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

    def _require_readable(self, actor: Actor, what: str, ids: Sequence[str]) -> None:
        """A claim may point only at what its maker may read: no probing for what exists."""
        if not ids:
            return
        readable = self.desk.readable_by(actor.party.id, ids)
        unknown = [i for i in ids if i not in readable]
        if unknown:
            raise AttributionError(N_("{what}: no object you may read has the id {ids}"),
                                   what=what, ids=", ".join(unknown))

    def _audience(self, actor: Actor, share_with: Sequence[str]) -> list[str]:
        parties: list[Party]
        if share_with:
            parties = []
            for name in share_with:
                found = self.node.directory.find_party(name)
                if found is None:
                    raise AttributionError(f"--share-with: no party {name!r} on this node "
                                           "(see `accord party list`)")
                parties.append(found)
        else:
            parties = self.node.directory.parties()
        return sorted({p.id for p in parties} - {actor.party.id})

    def _store(self, actor: Actor, objs: list[dict[str, Any]], audience: Sequence[str]) -> None:
        collection = self.desk.collection()
        self.desk.admit(collection, [actor.party.id, *audience])
        screened = screen(objs)
        if screened.rejected:
            raise AttributionError("; ".join(r.message for r in screened.rejected))
        report = store(self.node.engine, collection, screened, party_id=actor.party.id,
                       token_id=actor.token_id, clock=self.clock)
        if report.rejected:
            raise AttributionError("; ".join(r.message for r in report.rejected))


def _marked(obj: dict[str, Any], maker: str, audience: Sequence[str]) -> dict[str, Any]:
    """`obj` marked TLP:AMBER+STRICT for its audience (its maker reads it as its creator)."""
    obj["object_marking_refs"] = [MARKING_FOR[Tlp.AMBER_STRICT]]
    others = [p for p in audience if p != maker]
    if others:
        obj.setdefault("extensions", {})[ACCORD_MARKING_EXTENSION] = {
            "extension_type": "property-extension", "recipients": others}
    return obj
