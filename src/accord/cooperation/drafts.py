"""Who acts on the mechanism, and what a requester writes: what the desk is given."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from accord.store.directory_entries import Party


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a party of this node, through a token (REST) or the command line."""

    party: Party
    token_id: str | None = None
    person: str = ""
    lang: str = "en"  # the language the actor writes in: each object it makes records it


@dataclass(frozen=True, slots=True)
class Draft:
    """What a requester writes; the desk adds the ids, the clock and the markings."""

    addressee: str  # a party's name or identity id
    kind: str
    category: str
    urgency: str
    summary: str
    description: str = ""
    activity_start: datetime | None = None
    activity_end: datetime | None = None
    victims: tuple[str, ...] = ()
    impact: str = ""
    legal_basis: str = ""
    point_of_contact: str = ""
    evidence: tuple[str, ...] = ()
    shared_with: tuple[str, ...] = ()  # party names or identity ids
    is_exercise: bool = False
    lang: str = ""  # the language it is written in; "" for the actor's
    # Translations sent with it, language -> property -> text (guidelines may require some).
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
