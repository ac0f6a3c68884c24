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
from accord.attribution.reasons import Joined, Parties, Phrase, said
from accord.i18n import N_, Nn_


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
    reason: str  # in English
    said: Phrase  # the reason, to be said in the reader's language (reasons.said)


@dataclass(frozen=True, slots=True)
class SubjectStanding:
    subject: str
    claims: tuple[ClaimStanding, ...]  # oldest first
    status: Status
    reason: str  # in English
    said: Phrase  # the reason, to be said in the reader's language (reasons.said)


def _newest_first(positions: Iterable[Position]) -> list[Position]:
    return sorted(positions, key=lambda p: (p.created, p.id), reverse=True)


def claim_standings(claims: Iterable[Claim], positions: Iterable[Position],
                    names: Mapping[str, str]) -> list[ClaimStanding]:
    """Each claim's standing, its positions found among `positions` once for all (each claim
    looking through all of them was quadratic: 2,050 claims with 20,500 positions, 7 s)."""
    by_claim: dict[str, list[Position]] = {}
    for position in positions:
        by_claim.setdefault(position.claim, []).append(position)
    return [claim_standing(c, by_claim.get(c.id, ()), names) for c in claims]


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
    status, reason = _judge(claim, stands)
    return ClaimStanding(claim, stands, tuple(history), status, said(reason, names), reason)


def _judge(claim: Claim, stands: Sequence[Stand]) -> tuple[Status, Phrase]:
    claimant = ("claimant", Parties((claim.claimant,)))
    others = stands[1:]
    deny = tuple(s.party for s in others if s.position == "deny")
    disagree = tuple(s.party for s in others if s.position == "disagree")
    support = tuple(s.party for s in others if s.position in SUPPORTING)
    neutral = tuple(s.party for s in others if s.position == "neutral")
    withdrawn = stands[0].position not in SUPPORTING
    if deny or disagree:
        return "contested", Phrase(N_("Contested: {why}."), values=(
            ("why", _contested(claim, deny, disagree, support,
                               stands[0].position if withdrawn else None)),))
    if withdrawn:
        return "uncontested", Phrase(N_(
            "Uncontested, but {claimant}, who made the claim, no longer supports it (its "
            "position is now '{position}')."), values=(claimant,
                                                      ("position", stands[0].position)))
    if support:
        return "agreed", Phrase(
            *Nn_("Agreed: {claimant} asserts it and {parties} supports it; no party disputes "
                 "it.",
                 "Agreed: {claimant} asserts it and {parties} support it; no party disputes it."),
            len(support), (claimant, ("parties", Parties(support))))
    if neutral:
        return "uncontested", Phrase(
            *Nn_("Uncontested: {claimant} asserts it; {parties} is neutral and no party "
                 "disputes it.",
                 "Uncontested: {claimant} asserts it; {parties} are neutral and no party "
                 "disputes it."),
            len(neutral), (claimant, ("parties", Parties(neutral))))
    return "uncontested", Phrase(N_("Uncontested: {claimant} asserts it and no other party "
                                    "has taken a position."), values=(claimant,))


def _contested(claim: Claim, deny: tuple[str, ...], disagree: tuple[str, ...],
               support: tuple[str, ...], walked_back: str | None = None) -> Phrase:
    """Who asserts the claim and who disputes (and supports) it: the core of its reason, and
    of its subject's when the claim is contested. A claimant that no longer supports its
    claim (WALKED_BACK: its position now) is said not to assert it any more."""
    parts = []
    if deny:
        parts.append(Phrase(*Nn_("{parties} denies it", "{parties} deny it"), len(deny),
                            (("parties", Parties(deny)),)))
    if disagree:
        parts.append(Phrase(*Nn_("{parties} disagrees", "{parties} disagree"),
                            len(disagree), (("parties", Parties(disagree)),)))
    if support:
        parts.append(Phrase(*Nn_("{parties} supports it", "{parties} support it"),
                            len(support), (("parties", Parties(support)),)))
    claimant = ("claimant", Parties((claim.claimant,)))
    joined = ("parts", Joined(tuple(parts), N_("; ")))
    if walked_back is not None:
        return Phrase(N_("{claimant}, who made the claim, no longer supports it (its position "
                         "is now '{position}'), and {parts}"),
                      values=(claimant, ("position", walked_back), joined))
    return Phrase(N_("{claimant} asserts it, but {parts}"), values=(claimant, joined))


def subject_standing(subject: str, claims: Iterable[Claim], positions: Iterable[Position],
                     names: Mapping[str, str]) -> SubjectStanding:
    """How the attribution of `subject` stands over all the claims made on it."""
    mine = sorted((c for c in claims if c.subject == subject), key=lambda c: (c.created, c.id))
    kept = list(positions)
    standings = tuple(claim_standings(mine, kept, names))
    if not standings:
        return _subject(subject, (), "uncontested",
                        Phrase(N_("No party attributes this activity.")), names)
    contested = [s for s in standings if s.status == "contested"]
    # Rival answers are those their makers still stand by: a claim walked back answers nothing.
    rivals = _competing([s.claim for s in standings if s.stands[0].position in SUPPORTING])
    if contested or rivals:
        reasons = [dict(s.said.values)["why"] for s in contested]
        if rivals:
            first, second = rivals
            reasons.append(Phrase(N_("{one} attributes it to {accused} while {other} "
                                     "attributes it to {others_accused}"), values=(
                ("one", Parties((first.claimant,))), ("accused", Parties(first.accused)),
                ("other", Parties((second.claimant,))),
                ("others_accused", Parties(second.accused)))))
        return _subject(subject, standings, "contested", Phrase(N_("Contested: {why}."), values=(
            ("why", Joined(tuple(r for r in reasons if isinstance(r, Phrase)), N_("; "))),)),
            names)
    status: Status = "agreed" if all(s.status == "agreed" for s in standings) \
        else "uncontested"
    return _subject(subject, standings, status, Phrase("{all}", values=(
        ("all", Joined(tuple(s.said for s in standings), N_(" "))),)), names)


def _subject(subject: str, standings: tuple[ClaimStanding, ...], status: Status,
             reason: Phrase, names: Mapping[str, str]) -> SubjectStanding:
    return SubjectStanding(subject, standings, status, said(reason, names), reason)


def _competing(claims: Sequence[Claim]) -> list[Claim]:
    """Claims by different parties that point at no one in common: rival answers."""
    for n, first in enumerate(claims):
        for second in claims[n + 1:]:
            if (first.claimant != second.claimant and first.accused and second.accused
                    and not set(first.accused) & set(second.accused)):
                return [first, second]
    return []
