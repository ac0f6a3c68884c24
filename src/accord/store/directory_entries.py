"""What the directory holds, as values: parties, the people and machines of each, their tokens,
and collections."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from accord.trust.markings import Tlp

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def is_uuid(value: str) -> bool:
    """Whether a collection is named by its id (a UUID), not by its alias."""
    return _UUID.match(value) is not None


@dataclass(frozen=True, slots=True)
class Party:
    id: str
    name: str
    is_self: bool


@dataclass(frozen=True, slots=True)
class Collection:
    id: str
    title: str
    description: str
    alias: str | None
    default_tlp: Tlp = Tlp.AMBER  # the level of objects posted without a TLP marking

    @classmethod
    def from_row(cls, row: Any) -> Collection:
        return cls(row.id, row.title, row.description, row.alias, Tlp(row.default_tlp))


@dataclass(frozen=True, slots=True)
class Person:
    """A person, or a machine account, of one party: who holds a token."""

    id: str
    party_id: str
    name: str
    kind: str  # "person" or "machine"
    created: str

    @property
    def is_machine(self) -> bool:
        return self.kind == "machine"


PERSON_KINDS = ("person", "machine")
# Who holds a token created without a holder's name: scripts and other machines.
UNNAMED_HOLDER = "automation"


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: str
    party_name: str
    name: str  # the holder's name
    role: str
    created: str
    expires: str | None
    revoked: str | None
    kind: str = "person"  # of the holder: person or machine
