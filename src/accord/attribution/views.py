"""Claims, their standing and designations as JSON: one shape for the CLI, REST and the web UI.

Field names are a contract (scripts read `accord claim show --json`): add, never rename.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accord.attribution.model import Designation
from accord.attribution.reasons import Words, said
from accord.attribution.standing import ClaimStanding, Stand, SubjectStanding
from accord.stix.timestamps import format_timestamp


def _stand(stand: Stand, names: Mapping[str, str]) -> dict[str, Any]:
    return {
        "party": names.get(stand.party, stand.party), "party_id": stand.party,
        "position": stand.position, "basis": list(stand.basis), "text": stand.text,
        "at": format_timestamp(stand.at), "evidence": list(stand.evidence),
        "claimant": stand.is_claimant, "competing_claim": stand.competing_claim,
    }


def claim_json(standing: ClaimStanding, names: Mapping[str, str],
               words: Words | None = None) -> dict[str, Any]:
    """The claim as the API and the pages show it; its reason in `words`' language (English
    when None)."""
    claim = standing.claim
    history = [_stand(Stand(p.party, p.position, p.text, p.basis, p.evidence, p.created,
                            p.party == claim.claimant, p.competing_claim), names)
               for p in standing.history]
    return {
        "id": claim.id, "created": format_timestamp(claim.created),
        "claimant": names.get(claim.claimant, claim.claimant), "claimant_id": claim.claimant,
        "subject": claim.subject, "subject_name": names.get(claim.subject, claim.subject),
        "attributed_to": list(claim.attributed_to),
        "attributed_to_names": [names.get(a, a) for a in claim.attributed_to],
        "sponsor": claim.sponsor, "basis": list(claim.basis), "confidence": claim.confidence,
        "summary": claim.summary, "evidence": list(claim.evidence),
        "positions": [_stand(s, names) for s in standing.stands],
        "history": history,
        "status": standing.status,
        "status_reason": standing.reason if words is None else said(standing.said, names,
                                                                     words),
    }


def subject_json(standing: SubjectStanding, names: Mapping[str, str],
                 words: Words | None = None) -> dict[str, Any]:
    return {
        "subject": standing.subject, "subject_name": names.get(standing.subject,
                                                               standing.subject),
        "status": standing.status,
        "status_reason": standing.reason if words is None else said(standing.said, names,
                                                                     words),
        "claims": [claim_json(c, names, words) for c in standing.claims],
    }


def designation_json(designation: Designation, names: Mapping[str, str]) -> dict[str, Any]:
    return {
        "id": designation.id, "name": designation.name, "kind": designation.kind,
        "aliases": list(designation.aliases), "programme": designation.programme,
        "legal_basis": designation.legal_basis,
        "designated": format_timestamp(designation.designated),
        "party": names.get(designation.party, designation.party), "party_id": designation.party,
        "claims": list(designation.claims), "evidence": list(designation.evidence),
        "in_force": designation.is_in_force,
        "lifted": format_timestamp(designation.lifted) if designation.lifted else None,
        "lift_reason": designation.lift_reason,
        "modified": format_timestamp(designation.modified),
    }
