"""The audit trail: who did what to which objects, when — append-only and tamper-evident.

Each record carries the hash of the record before it, and its own hash covers its content and
that link. Editing a record breaks its hash; deleting one breaks the link of the next; `verify`
names the first record where the chain no longer holds. (Removing records from the end leaves
a shorter, valid chain: compare the head — `accord audit verify` prints it — with a copy kept
elsewhere.) Pure: hashing and checking, no storage.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

GENESIS = "0" * 64  # the link of the first record


@dataclass(frozen=True, slots=True)
class Event:
    """Something to record, before it has a place in the chain."""

    at: str  # when (a STIX timestamp)
    action: str  # e.g. "objects.read", "objects.add", "token.revoke"
    party_id: str | None  # on whose behalf (None: the node's own command line)
    token_id: str | None = None
    collection_id: str | None = None
    object_ids: tuple[str, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)

    def content(self) -> bytes:
        """The canonical bytes the hash covers (sorted keys, no whitespace)."""
        return self._canonical(list(self.object_ids), self.detail)

    def content_from(self, object_ids: bytes, detail: bytes) -> bytes:
        """`content()`, its object ids and detail given as JSON already made: what
        `orjson.dumps` makes of `list(object_ids)`, and of `detail` with its keys sorted. The
        same bytes, for an appender that writes one list of ids for many events."""
        return self._canonical(orjson.Fragment(object_ids), orjson.Fragment(detail))

    def _canonical(self, object_ids: Any, detail: Any) -> bytes:
        return orjson.dumps({
            "at": self.at, "action": self.action, "party_id": self.party_id,
            "token_id": self.token_id, "collection_id": self.collection_id,
            "object_ids": object_ids, "detail": detail,
        }, option=orjson.OPT_SORT_KEYS)


@dataclass(frozen=True, slots=True)
class Record:
    seq: int
    event: Event
    prev_hash: str
    hash: str


def chain_hash(prev_hash: str, event: Event) -> str:
    return chain_hash_of(prev_hash, event.content())


def chain_hash_of(prev_hash: str, content: bytes) -> str:
    """The hash of a record whose event's canonical bytes are `content`."""
    return hashlib.sha256(prev_hash.encode() + b"\n" + content).hexdigest()


@dataclass(frozen=True, slots=True)
class Verdict:
    records: int
    head: str  # the hash of the last record (GENESIS for an empty trail)
    broken_at: int | None = None  # seq of the first record that does not hold
    reason: str = ""

    @property
    def is_intact(self) -> bool:
        return self.broken_at is None


@dataclass(frozen=True, slots=True)
class Link:
    """A stored record as the chain sees it: its place, its links, and the bytes its hash may
    cover, tried in turn (store.audit_log: as stored, then as its fields encode again). Its
    fields need not be readable: a record whose detail was overwritten with bytes that are not
    JSON is a record edited, not a reason to stop checking."""

    seq: int
    prev_hash: str
    hash: str
    contents: Iterable[bytes]


def verify(records: Iterable[Record]) -> Verdict:
    """Check the chain in seq order: each link and each hash."""
    return verify_links(Link(r.seq, r.prev_hash, r.hash, (r.event.content(),)) for r in records)


def verify_links(links: Iterable[Link]) -> Verdict:
    """`verify`, of the records as stored."""
    previous, count, last_seq = GENESIS, 0, 0
    for link in links:
        if link.seq != last_seq + 1:
            return Verdict(count, previous, link.seq,
                           f"records {last_seq + 1} to {link.seq - 1} are missing")
        if link.prev_hash != previous:
            return Verdict(count, previous, link.seq,
                           "its link does not match the record before it (one was removed "
                           "or changed)")
        if not any(chain_hash_of(link.prev_hash, content) == link.hash
                   for content in link.contents):
            return Verdict(count, previous, link.seq,
                           "its content does not match its hash (it was edited)")
        previous, count, last_seq = link.hash, count + 1, link.seq
    return Verdict(count, previous)
