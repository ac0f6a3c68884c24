"""How an attribution stands: contested, uncontested or agreed, and why, in words.

Derived, never stored: from the claims on a subject and every position taken on them. No score
is computed: the status follows from who asserts, who supports and who disputes, and the reason
names them, so an official can check it against the record below it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from accord.attribution.model import SUPPORTING, Claim, Position, Status


@dataclass(frozen=True, slots=True)
class Stand:
    """Where one party stands on a claim now: its newest position, or the claimant's own
    assertion while it has taken none since."""

    party: str
    position: str  # one of POSITIONS
    text: str
    basis: tuple[str, ...]
    evidence: tuple[str, ...]
    at: datetime
    is_claimant: bool
    competing_claim: str | None = None


@dataclass(frozen=True, slots=True)
class ClaimStanding:
    claim: Claim
    stands: tuple[Stand, ...]  # one per party: the claimant first, then by time
    history: tuple[Position, ...]  # every position taken on the claim, oldest first
    status: Status
    reason: str


@dataclass(frozen=True, slots=True)
class SubjectStanding:
    subject: str
    claims: tuple[ClaimStanding, ...]  # oldest first
    status: Status
    reason: str


def _newest_first(positions: Iterable[Position]) -> list[Position]:
    return sorted(positions, key=lambda p: (p.created, p.id), reverse=True)


def claim_standing(claim: Claim, positions: Iterable[Position],
                   names: Mapping[str, str]) -> ClaimStanding:
    """The claim's standing from the positions taken on it (others are ignored)."""
    history = sorted((p for p in positions if p.claim == claim.id),
                     key=lambda p: (p.created, p.id))
    newest: dict[str, Position] = {}
    for position in _newest_first(history):
        newest.setdefault(position.party, position)
    own = newest.pop(claim.claimant, None)
    first = (Stand(claim.claimant, own.position, own.text, own.basis, own.evidence, own.created,
                   True, own.competing_claim) if own is not None
             else Stand(claim.claimant, "agree", claim.summary, claim.basis, claim.evidence,
                        claim.created, True))
    others = [Stand(p.party, p.position, p.text, p.basis, p.evidence, p.created, False,
                    p.competing_claim)
              for p in sorted(newest.values(), key=lambda p: (p.created, p.id))]
    stands = (first, *others)
    status, reason = _judge(claim, stands, names)
    return ClaimStanding(claim, stands, tuple(history), status, reason)


def _listed(parties: Sequence[str], names: Mapping[str, str]) -> str:
    named = [names.get(p, p) for p in parties]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]


def _verb(parties: Sequence[str], singular: str, plural: str) -> str:
    return singular if len(parties) == 1 else plural


def _judge(claim: Claim, stands: Sequence[Stand],
           names: Mapping[str, str]) -> tuple[Status, str]:
    claimant = names.get(claim.claimant, claim.claimant)
    others = stands[1:]
    deny = [s.party for s in others if s.position == "deny"]
    disagree = [s.party for s in others if s.position == "disagree"]
    support = [s.party for s in others if s.position in SUPPORTING]
    neutral = [s.party for s in others if s.position == "neutral"]
    withdrawn = stands[0].position not in SUPPORTING
    if deny or disagree:
        parts = []
        if deny:
            parts.append(f"{_listed(deny, names)} {_verb(deny, 'denies', 'deny')} it")
        if disagree:
            parts.append(f"{_listed(disagree, names)} {_verb(disagree, 'disagrees', 'disagree')}")
        if support:
            parts.append(f"{_listed(support, names)} {_verb(support, 'supports', 'support')} it")
        return "contested", f"Contested: {claimant} asserts it, but " + "; ".join(parts) + "."
    if withdrawn:
        return "uncontested", (f"Uncontested, but {claimant}, who made the claim, no longer "
                               f"supports it (its position is now '{stands[0].position}').")
    if support:
        return "agreed", (f"Agreed: {claimant} asserts it and {_listed(support, names)} "
                          f"{_verb(support, 'supports', 'support')} it; no party disputes it.")
    if neutral:
        return "uncontested", (f"Uncontested: {claimant} asserts it; "
                               f"{_listed(neutral, names)} {_verb(neutral, 'is', 'are')} "
                               "neutral and no party disputes it.")
    return "uncontested", (f"Uncontested: {claimant} asserts it and no other party has taken a "
                           "position.")


def subject_standing(subject: str, claims: Iterable[Claim], positions: Iterable[Position],
                     names: Mapping[str, str]) -> SubjectStanding:
    """How the attribution of `subject` stands over all the claims made on it."""
    mine = sorted((c for c in claims if c.subject == subject), key=lambda c: (c.created, c.id))
    kept = list(positions)
    standings = tuple(claim_standing(c, kept, names) for c in mine)
    if not standings:
        return SubjectStanding(subject, (), "uncontested", "No party attributes this activity.")
    contested = [s for s in standings if s.status == "contested"]
    rivals = _competing(mine)
    if contested or rivals:
        reasons = [s.reason.removeprefix("Contested: ") for s in contested]
        if rivals:
            reasons.append(" while ".join(
                f"{names.get(c.claimant, c.claimant)} attributes it to "
                f"{_listed(list(c.accused), names)}" for c in rivals))
        return SubjectStanding(subject, standings, "contested",
                               "Contested: " + "; ".join(r.rstrip(".") for r in reasons) + ".")
    if all(s.status == "agreed" for s in standings):
        return SubjectStanding(subject, standings, "agreed", " ".join(
            s.reason for s in standings))
    return SubjectStanding(subject, standings, "uncontested", " ".join(
        s.reason for s in standings))


def _competing(claims: Sequence[Claim]) -> list[Claim]:
    """Claims by different parties that point at no one in common: rival answers."""
    for n, first in enumerate(claims):
        for second in claims[n + 1:]:
            if (first.claimant != second.claimant and first.accused and second.accused
                    and not set(first.accused) & set(second.accused)):
                return [first, second]
    return []
