"""Who is asking, and what they may do with a collection — pure rules, no I/O."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Principal:
    """The holder of a valid token: a person or machine account of one party."""

    token_id: str
    party_id: str
    party_name: str
    role: str
    person_id: str | None = None  # the person or machine account the token belongs to
    person_name: str = ""
    locale: str = ""  # the person's chosen language ("" until chosen)
    time_zone: str = ""  # the person's chosen IANA time zone ("" until chosen)

    @property
    def may_write_evidence(self) -> bool:
        return self.role != "reader"


@dataclass(frozen=True, slots=True)
class Grant:
    """A party's permission on one collection (absent grant: the collection does not exist)."""

    can_read: bool
    can_write: bool


def effective(principal: Principal, grant: Grant) -> Grant:
    """A reader token may not write even where its party may."""
    return Grant(grant.can_read, grant.can_write and principal.may_write_evidence)


def is_operator(principal: Principal, own_party_id: str) -> bool:
    """An admin of the node's own party acts for the node (trust.ownership)."""
    return principal.role == "admin" and principal.party_id == own_party_id
