"""One sync round with a peer, as the modules that run it share it: what it is doing
(Pulling) and what came of it (Round)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import httpx

from accord.federation.reading import SyncError
from accord.intake import Rejection
from accord.node import Node
from accord.store.peers import Peer


class PeerBusy(SyncError):
    """Another round with the peer holds it (or took it over from this one): not a failure of
    the peer's; the next round carries on."""


class QuotaReached(SyncError):
    """The peer's party is at its quota here (store.quotas): the collection's pull stops at
    the page refused; the round goes on with the others, the manifests and the pushes."""


@dataclass
class Round:
    peer: str
    collections: int = 0
    stored: int = 0
    unchanged: int = 0
    refused: list[Rejection] = field(default_factory=list)
    retracted: int = 0  # objects removed here because the peer no longer shows them to us
    behind: int = 0  # objects the peer shows us that are not held here after the round
    pushed: int = 0  # ledger entries of ours the peer stored (or held already)
    cut_short: bool = False  # the round's time passed: the next round goes on from the cursors
    push_refused: list[str] = field(default_factory=list)  # what the peer refused, in words
    over_quota: str | None = None  # the peer's party reached its quota here: what was left
    # Collections whose pull met more pages of nothing in a row than a round follows (rows
    # hidden from us, at an Accord node): what was said; the next round carries on.
    unfinished: list[str] = field(default_factory=list)
    # The peer lets this node read more collections than are mirrored here: what was said.
    left_out: str | None = None


@dataclass(frozen=True)
class Pulling:
    """One round under way: with which peer, as which lease holder, over which connection."""

    node: Node
    peer: Peer
    holder: str
    client: httpx.Client
    root: str
    page_size: int
    until: float  # time.monotonic() past which the round stops pulling (round_seconds)
    round_seconds: float  # how long a round pulls at most (sync.ROUND_SECONDS)
    manifests: bool  # whether this round reads the manifests of the collections it pulls
    reading_manifests: list[float] = field(default_factory=list)  # seconds, each manifest

    def is_over(self) -> bool:
        """Whether the round's time is up (or the node stopping): checked before each
        collection, its manifest and each page, so that a peer answering each request slowly,
        within its own timeout, cannot hold the round past it."""
        return time.monotonic() > self.until or self.node.stopping.is_set()
