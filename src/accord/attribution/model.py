"""Attribution as the mechanism records it: claims, the positions parties take on them, and
designations — pure types, no I/O, no clock.

A *claim* is one party's assertion that some activity is attributable to an actor, an
organisation or person and/or a sponsoring state, on a stated basis and evidence. Any party
that may read a claim takes a *position* on it; positions are appended, never edited, so the
history of who said what, when, is kept. A *designation* names a firm or person for measures
under a programme and legal basis.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, get_args

# What an attribution rests on. The slugs are a contract (scripts depend on them: never
# rename one). Each also says which of EuRepoC's attribution types it is evidence of
# (technical, unofficial policy, official policy, legal, self), so a reader sees at a glance
# whether a claim stands on forensics, on a government's word or on a court's.
BASES: dict[str, tuple[str, str]] = {
    "technical-forensics": ("technical forensics", "technical"),
    "intelligence": ("intelligence", "official policy"),
    "law-enforcement": ("a law-enforcement investigation", "legal"),
    "indictment": ("an indictment", "legal"),
    "sanctions": ("sanctions imposed for the activity", "legal"),
    "government-statement": ("a government statement", "official policy"),
    "official-leak": ("officials speaking unofficially (e.g. to the press)", "unofficial policy"),
    "private-sector-report": ("a private-sector report", "technical"),
    "media-report": ("a media report", "unofficial policy"),
    "self-attribution": ("the perpetrator's own claim", "self"),
}

Stance = Literal["agree", "partly-agree", "neutral", "disagree", "deny"]
POSITIONS: tuple[Stance, ...] = get_args(Stance)
SUPPORTING: frozenset[str] = frozenset({"agree", "partly-agree"})
OPPOSING: frozenset[str] = frozenset({"disagree", "deny"})
# STIX 2.1 §4.12 opinion-enum, one for one: a position travels as a standard opinion.
OPINION_OF: dict[str, str] = {
    "agree": "strongly-agree", "partly-agree": "agree", "neutral": "neutral",
    "disagree": "disagree", "deny": "strongly-disagree",
}

# The earliest date a designation may give: before it, a typo (0214 for 2014), not a sanction.
EARLIEST_DESIGNATED = datetime(1900, 1, 1, tzinfo=UTC)

# What an attributed subject may be, and what it may be attributed to (STIX types).
SUBJECT_TYPES: tuple[str, ...] = ("incident", "campaign", "intrusion-set", "x-accord-request")
ACTOR_TYPES: tuple[str, ...] = ("intrusion-set", "threat-actor", "identity")

DesignationKind = Literal["individual", "organization"]
DESIGNATION_KINDS: tuple[DesignationKind, ...] = get_args(DesignationKind)

Status = Literal["contested", "uncontested", "agreed"]


@dataclass(frozen=True, slots=True)
class Claim:
    """One party's attribution of `subject`, as it made it (never changed afterwards)."""

    id: str  # x-accord-claim--UUID
    claimant: str  # identity id of the party (created_by_ref)
    created: datetime
    subject: str  # the activity: an incident, campaign, intrusion-set or request
    attributed_to: tuple[str, ...]  # actors, organisations or people (may be empty …)
    sponsor: str | None  # … when a sponsoring state (ISO 3166-1 alpha-2) is named instead
    basis: tuple[str, ...]  # slugs of BASES
    confidence: int  # 0–100 (STIX 2.1 §3.2 confidence)
    summary: str
    evidence: tuple[str, ...] = ()

    @property
    def accused(self) -> tuple[str, ...]:
        """Who the claim points at: the actors and the sponsoring state."""
        return (*self.attributed_to, *((self.sponsor,) if self.sponsor else ()))


@dataclass(frozen=True, slots=True)
class Position:
    """A party's position on a claim at one moment; a later one of the same party replaces it
    in the current view, and both stay in the history."""

    id: str  # opinion--UUID
    party: str
    created: datetime
    claim: str
    position: Stance
    text: str
    basis: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    competing_claim: str | None = None  # the party's own claim on the same subject


@dataclass(frozen=True, slots=True)
class Designation:
    """A firm or person designated by a party, as one version says; it is lifted or amended
    only by a later version (STIX versioning), never edited in place."""

    id: str  # x-accord-designation--UUID
    party: str  # the designating party (created_by_ref)
    created: datetime
    modified: datetime
    name: str  # as the designation spells it (any script)
    kind: DesignationKind
    legal_basis: str
    designated: datetime  # when the measure took effect
    aliases: tuple[str, ...] = ()
    programme: str | None = None
    identity: str | None = None  # the STIX identity that stands for the designee
    claims: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    lifted: datetime | None = None
    lift_reason: str | None = None

    @property
    def is_in_force(self) -> bool:
        return self.lifted is None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)
