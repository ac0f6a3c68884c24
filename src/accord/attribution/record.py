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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from accord.attribution.countries import is_state
from accord.attribution.model import (
    ACTOR_TYPES,
    BASES,
    DESIGNATION_KINDS,
    EARLIEST_DESIGNATED,
    POSITIONS,
    SUBJECT_TYPES,
    Claim,
    Designation,
    Position,
)
from accord.attribution.objects import (
    CLAIM,
    DESIGNATION,
    claim_to_stix,
    designation_to_stix,
    position_to_stix,
    relationships,
)
from accord.attribution.reading import AttributionError, RecordReading
from accord.attribution.standing import ClaimStanding
from accord.cooperation.desk import Actor, CooperationError, First
from accord.i18n import N_
from accord.intake import NotWhole, screen, store
from accord.stix.accord_marking import MOST_RECIPIENTS
from accord.stix.identifiers import identifier_type
from accord.stix.timestamps import format_timestamp
from accord.store.directory import Party
from accord.trust.markings import (
    ACCORD_MARKING_EXTENSION,
    MARKING_FOR,
    Tlp,
    recipients_of,
    tlp_of,
)


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
    # When the designating authority made it, if not now: a designation recorded on the node
    # after the fact (an order of 2014 entered today) keeps its own date.
    designated: datetime | None = None


def _designated_on(given: datetime | None, now: datetime) -> datetime:
    """The date a designation was made: `given` when it is no later than now (and not before
    EARLIEST_DESIGNATED), else now."""
    if given is None:
        return now
    if given > now:
        raise AttributionError(N_("designated: {when} is in the future; give the date the "
                                  "designation was made, or none for now"),
                               when=format_timestamp(given), about=("designated",))
    if given < EARLIEST_DESIGNATED:
        raise AttributionError(N_("designated: {when} is before 1900; give the date the "
                                  "designation was made"), when=format_timestamp(given),
                               about=("designated",))
    return given


def _one_of(what: str, values: Iterable[str], allowed: Iterable[str]) -> None:
    """Refuses the `values` of the field `what` (the word for it too) not `allowed`."""
    known = list(allowed)
    wrong = [v for v in values if v not in known]
    if wrong:
        raise AttributionError(N_("{what} {wrong} is not one of: {known}"), what=what,
                               wrong=", ".join(map(repr, wrong)), known=", ".join(known),
                               about=(what,))


class AttributionRecord(RecordReading):
    """The record: claims made, positions taken, designations made, amended and lifted; and
    read back as each party may see them (RecordReading)."""

    # -- making ------------------------------------------------------------------------------

    def claim(self, actor: Actor, draft: ClaimDraft, first: First | None = None
              ) -> ClaimStanding:
        """`first`: as the desk's acts take it (the new claim's id)."""
        _one_of(N_("basis"), draft.basis, BASES)
        if not draft.basis:
            raise AttributionError(N_("basis: name at least one of: {known}"),
                                   known=", ".join(BASES), about=("basis",))
        if not 0 <= draft.confidence <= 100:
            raise AttributionError(N_("confidence {confidence} is not between 0 and 100"),
                                   confidence=draft.confidence, about=("confidence",))
        if not draft.summary.strip():
            raise AttributionError(N_("summary: say in words what is attributed to whom and "
                                      "why"), about=("summary",))
        if identifier_type(draft.subject) not in SUBJECT_TYPES:
            raise AttributionError(N_("subject {subject} is not an id of an {types}"),
                                   subject=repr(draft.subject), types=", ".join(SUBJECT_TYPES),
                                   about=("subject",))
        wrong = [a for a in draft.attributed_to if identifier_type(a) not in ACTOR_TYPES]
        if wrong:
            raise AttributionError(N_("attributed-to {ids}: not an id of an {types}"),
                                   ids=", ".join(wrong), types=", ".join(ACTOR_TYPES),
                                   about=("attributed_to",))
        sponsor = draft.sponsor.strip().upper() if draft.sponsor else None
        if sponsor is not None and not is_state(sponsor):
            raise AttributionError(N_("sponsor {sponsor}: give the state's ISO 3166-1 alpha-2 "
                                      "code, such as CN or US"), sponsor=repr(draft.sponsor),
                                   about=("sponsor",))
        if not draft.attributed_to and sponsor is None:
            raise AttributionError(N_("a claim attributes the activity to someone: give "
                                      "--attributed-to, --sponsor or both"),
                                   about=("attributed_to", "sponsor"))
        self._require_readable(actor, N_("subject"), [draft.subject], "subject")
        self._require_readable(actor, N_("attributed-to"), draft.attributed_to,
                               "attributed_to")
        self._require_readable(actor, N_("evidence"), draft.evidence, "evidence")
        claim = Claim(f"{CLAIM}--{uuid.uuid4()}", actor.party.id, self.clock(), draft.subject,
                      draft.attributed_to, sponsor, draft.basis, draft.confidence,
                      draft.summary.strip(), draft.evidence)
        audience = self._audience(actor, draft.share_with)
        made = [claim_to_stix(claim),
                *relationships(claim, lambda: f"relationship--{uuid.uuid4()}")]
        self._store(actor, [_marked(obj, actor.party.id, audience) for obj in made], audience,
                    first=first, made=claim.id)
        return self.standing(actor, claim.id)

    def respond(self, actor: Actor, claim_id: str, position: str, text: str, *,
                basis: Sequence[str] = (), evidence: Sequence[str] = (),
                competing_claim: str | None = None, first: First | None = None
                ) -> ClaimStanding:
        """`first`: as the desk's acts take it (the position's id)."""
        _one_of(N_("position"), [position], POSITIONS)
        _one_of(N_("basis"), basis, BASES)
        if not text.strip():
            raise AttributionError(N_("text: say in words why you take this position"),
                                   about=("text",))
        claim, obj = self._claim(actor, claim_id)
        self._require_readable(actor, N_("evidence"), evidence, "evidence")
        if competing_claim is not None:
            rival, _ = self._claim(actor, competing_claim)
            if rival.claimant != actor.party.id or rival.subject != claim.subject:
                raise AttributionError(N_("competing claim {claim}: it must be your own claim "
                                          "on the same subject"), claim=competing_claim,
                                       about=("competing_claim",))
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
            self._store(actor, [said], [claim.claimant], first=first, made=made.id)
            return self.standing(actor, claim.id)
        audience = sorted((recipients_of(obj) | {claim.claimant}) - {actor.party.id})
        self._store(actor, [_marked(position_to_stix(made), actor.party.id, audience)], audience,
                    first=first, made=made.id)
        return self.standing(actor, claim.id)

    def designate(self, actor: Actor, draft: DesignationDraft, first: First | None = None
                  ) -> Designation:
        """`first`: as the desk's acts take it (the designation's id)."""
        _one_of("kind", [draft.kind], DESIGNATION_KINDS)
        if not draft.name.strip():
            raise AttributionError("name: give the designated firm's or person's name",
                                   about=("name",))
        _matchable(draft.name, "name", "name")
        for alias in draft.aliases:
            _matchable(alias, "alias", "aliases")
        if not draft.legal_basis.strip():
            raise AttributionError("legal basis: the authority the designation is made under "
                                   "(e.g. Executive Order 13694)", about=("legal_basis",))
        for claim_id in draft.claims:
            self._claim(actor, claim_id)
        self._require_readable(actor, "evidence", draft.evidence, "evidence")
        now = self.clock()
        designated = _designated_on(draft.designated, now)
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
            draft.kind, draft.legal_basis.strip(), designated,  # type: ignore[arg-type]
            aliases, draft.programme or None, designee["id"], draft.claims, draft.evidence)
        audience = self._audience(actor, draft.share_with)
        # Whoever reads the designation reads the ids of the claims and evidence it cites: each
        # must be one they may read, or the designation would tell them it exists.
        cited = [*draft.claims, *draft.evidence]
        for party in audience if cited else ():
            readable = self.desk.readable_by(party, cited)
            hidden = [c for c in cited if c not in readable]
            if hidden:
                # About whom it is shared with, and the citations they may not read.
                citing = [field for field, ids in (("claims", draft.claims),
                                                   ("evidence", draft.evidence))
                          if not set(ids).isdisjoint(hidden)]
                raise AttributionError(
                    f"{', '.join(hidden)}: not shared with {self._party_names().get(party, party)}"
                    ", to whom the designation would show it: share the designation with "
                    "fewer parties (--share-with), or cite only what they may read",
                    about=("share_with", *citing))
        self._store(actor, [_marked(obj, actor.party.id, audience)
                            for obj in (designee, designation_to_stix(designation))], audience,
                    first=first, made=designation.id)
        return designation

    def amend(self, actor: Actor, designation_id: str, *, aliases: Sequence[str] = (),
              programme: str | None = None, legal_basis: str | None = None) -> Designation:
        """A new version with more aliases, or another programme or legal basis."""
        current, obj = self._designation(actor, designation_id)
        if current.party != actor.party.id:
            raise AttributionError(f"{designation_id} was made by another party; only it may "
                                   "amend it", conflict=True)
        if not current.is_in_force:
            raise AttributionError(f"{designation_id} was lifted; designate again instead",
                                   conflict=True)
        for alias in aliases:
            _matchable(alias, "alias", "aliases")
        added = tuple(a.strip() for a in aliases
                      if a.strip() and a.strip() not in current.names)
        if not added and programme is None and legal_basis is None:
            if aliases:
                raise AttributionError(f"nothing to amend: {designation_id} already has the "
                                       f"alias{'es' if len(aliases) > 1 else ''} "
                                       + ", ".join(map(repr, aliases)), about=("aliases",),
                                       conflict=True)
            raise AttributionError("nothing to amend: give an alias, a programme or a legal "
                                   "basis", about=("aliases", "programme", "legal_basis"))
        if legal_basis is not None and not legal_basis.strip():
            raise AttributionError("legal basis: it cannot be empty", about=("legal_basis",))
        now = max(self.clock(), current.modified)
        amended = replace(current, modified=now, aliases=current.aliases + added,
                          programme=programme.strip() or None if programme is not None
                          else current.programme,
                          legal_basis=legal_basis.strip() if legal_basis is not None
                          else current.legal_basis)
        if (amended.aliases, amended.programme, amended.legal_basis) == (
                current.aliases, current.programme, current.legal_basis):
            # A version that changes nothing would still be a change on the record, shown as
            # an amendment to every reader of the designation.
            raise AttributionError(f"nothing to amend: {designation_id} already says that",
                                   conflict=True)
        self._store(actor, [_marked(designation_to_stix(amended), actor.party.id,
                                    sorted(recipients_of(obj)))], sorted(recipients_of(obj)))
        return amended

    def lift(self, actor: Actor, designation_id: str, reason: str) -> Designation:
        if not reason.strip():
            raise AttributionError("reason: say why the designation is lifted",
                                   about=("reason",))
        current, obj = self._designation(actor, designation_id)
        if current.party != actor.party.id:
            raise AttributionError(f"{designation_id} was made by another party; only it may "
                                   "lift it", conflict=True)
        if not current.is_in_force:
            raise AttributionError(f"{designation_id} was lifted already", conflict=True)
        now = max(self.clock(), current.modified)
        lifted = replace(current, modified=now, lifted=now, lift_reason=reason.strip())
        audience = sorted(recipients_of(obj))
        self._store(actor, [_marked(designation_to_stix(lifted), actor.party.id, audience)],
                    audience)
        return lifted

    def _require_readable(self, actor: Actor, what: str, ids: Sequence[str], about: str
                          ) -> None:
        """A claim may point only at what its maker may read: no probing for what exists.
        `what`: the words for the field `about`."""
        if not ids:
            return
        readable = self.desk.readable_by(actor.party.id, ids)
        unknown = [i for i in ids if i not in readable]
        if unknown:
            raise AttributionError(N_("{what}: no object you may read has the id {ids}"),
                                   what=what, ids=", ".join(unknown), about=(about,))

    def _audience(self, actor: Actor, share_with: Sequence[str]) -> list[str]:
        parties: list[Party]
        if len(share_with) > MOST_RECIPIENTS:
            raise AttributionError(N_("--share-with: {count} parties, more than the {most} one "
                                      "object may be addressed to"),
                                   count=f"{len(share_with):,}", most=f"{MOST_RECIPIENTS:,}",
                                   about=("share_with",))
        if share_with:
            parties = []
            for name in dict.fromkeys(share_with):
                found = self.node.directory.find_party(name)
                if found is None:
                    raise AttributionError(f"--share-with: no party {name!r} on this node "
                                           "(see `accord party list`)", about=("share_with",))
                parties.append(found)
        else:
            parties = self.node.directory.parties()
        return sorted({p.id for p in parties} - {actor.party.id})

    def _store(self, actor: Actor, objs: list[dict[str, Any]], audience: Sequence[str], *,
               first: First | None = None, made: str = "") -> None:
        """Store `objs`, all of them or none (`first`, given `made`, first in the
        transaction)."""
        try:
            self.desk.speaks_for(actor)  # a peer's party claims through its own node
        except CooperationError as refused:
            raise AttributionError(refused.message, about=refused.about,
                                   conflict=refused.conflict, **refused.values) from None
        collection = self.desk.collection()
        self.desk.admit(collection, [actor.party.id, *audience])
        screened = screen(objs)
        if screened.rejected:
            raise AttributionError("; ".join(r.message for r in screened.rejected))
        try:
            store(self.node.engine, collection, screened, party_id=actor.party.id,
                  token_id=actor.token_id, clock=self.clock, whole=True,
                  before=None if first is None else lambda conn: first(conn, made))
        except NotWhole as refused:  # nothing stored: a claim without its relationships
            raise AttributionError(str(refused)) from None


def _marked(obj: dict[str, Any], maker: str, audience: Sequence[str]) -> dict[str, Any]:
    """`obj` marked TLP:AMBER+STRICT for its audience (its maker reads it as its creator)."""
    obj["object_marking_refs"] = [MARKING_FOR[Tlp.AMBER_STRICT]]
    others = [p for p in audience if p != maker]
    if others:
        obj.setdefault("extensions", {})[ACCORD_MARKING_EXTENSION] = {
            "extension_type": "property-extension", "recipients": others}
    return obj


def _matchable(said: str, what: str, about: str) -> None:
    """A name no screening can match ("...", zero-width spaces) designates nobody. `what`:
    the words for the field `about`."""
    if said.strip() and not any(c.isalnum() for c in said):
        raise AttributionError(f"{what} {said.strip()!r}: a name needs a letter or a digit; "
                               "screening could never match this one", about=(about,))
