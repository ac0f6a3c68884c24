"""What a reader asks the store for: the TAXII filters, in store terms (no HTTP here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

LAST = "last"
FIRST = "first"
ALL = "all"


@dataclass(frozen=True, slots=True)
class Cursor:
    """A position in a collection: after the object added at `date_added` (unique in it)."""

    date_added: str
    # A position the reader has not seen (where a walk stopped, past rows hidden from it): a
    # token for it must not show it (taxii.filters.PagingTokens seals it).
    hidden: bool = False


@dataclass(frozen=True, slots=True)
class Reader:
    """The party a read is for: only versions its TLP entitlement covers are seen (or counted).

    `default_tlp` is the level of the collection's unmarked objects (trust.markings.Tlp).
    """

    party_id: str
    default_tlp: int


@dataclass(frozen=True, slots=True)
class ObjectQuery:
    """TAXII 2.1 §3.4 filters. `versions` holds "last", "first", "all" or version sort keys."""

    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: frozenset[str] = field(default_factory=lambda: frozenset({LAST}))
    spec_versions: tuple[str, ...] = ()
    added_after: str | None = None  # a date_added value (µs precision), exclusive
    limit: int = 1000
    after: Cursor | None = None
    reader: Reader | None = None  # None: every version, for the node itself (e.g. counting)
    # The bodies of a page together at most this many bytes (its first object whatever its
    # size): the page ends early, saying there is more. None: `limit` alone bounds it.
    most_bytes: int | None = None
    bodies: bool = True  # False: the versions without their bodies (b""), as a manifest lists
    # The latest added first (a listing a reader wants the newest of, e.g. designations): the
    # cursor then pages back in time. TAXII's reads are always oldest first (§3.4.2).
    newest_first: bool = False
    # Rows of the collection a reader's page walks at most, those it may not read among them
    # (a TAXII read; None: no bound): past it the page ends early, saying there is more, and
    # continues from where the walk stopped (Page.walked_to). A reader that may read few of
    # many rows would otherwise walk them all to fill one page.
    most_walked: int | None = None


class StoredVersion(NamedTuple):
    """One stored version of one object, as a page lists it.

    A named tuple, not a frozen dataclass: a page makes one per row (1,000 a full page), and
    a frozen dataclass's __init__ sets each field through object.__setattr__: 0.6 µs a row
    against 0.15 made from the row's tuple (bench/README.md, "match[type] on PostgreSQL")."""

    seq: int
    id: str
    date_added: str
    version: str
    spec_version: str
    body: bytes


@dataclass(frozen=True, slots=True)
class Page:
    items: list[StoredVersion]
    more: bool
    # Where a walk bounded by ObjectQuery.most_walked stopped (a date_added), the page ending
    # there; None: the page ended at its limit, its bytes or the collection's end.
    walked_to: str | None = None

    @property
    def next_cursor(self) -> Cursor | None:
        if self.walked_to is not None:
            return Cursor(self.walked_to, hidden=True)
        if not self.more or not self.items:
            return None
        last = self.items[-1]
        return Cursor(last.date_added)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one posted object."""

    id: str
    version: str | None
    stored: bool  # True when the store holds it now (added, or already there)
    added: bool  # True when this call added it
    message: str = ""
    # Refused because another's object holds the id here (its creator or steward is not the
    # poster): what the node's operator may remove (`accord collection remove-object`).
    held: bool = False
