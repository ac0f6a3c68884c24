"""One sync round with a peer, as the modules that run it share it: what it is doing
(Pulling) and what came of it (Round)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType

import httpx
from sqlalchemy.exc import NoResultFound

from accord.federation.reading import SyncError
from accord.intake import Rejection
from accord.node import Node
from accord.store.peers import LEASE, LeaseLost, Peer, PeerStore

# How often a round renews its lease on the peer while it runs, whatever it waits for.
RENEW_EVERY = LEASE.total_seconds() / 4

log = logging.getLogger(__name__)


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
    lost: threading.Event = field(default_factory=threading.Event)  # Lease.lost

    def is_over(self) -> bool:
        """Whether the round's time is up (or the node stopping, or the peer taken over):
        checked before each collection, its manifest and each page, so that a peer answering
        each request slowly, within its own timeout, cannot hold the round past it."""
        return time.monotonic() > self.until or self.is_stopped()

    def is_stopped(self) -> bool:
        """Whether the round must give up what it is in the middle of: the node stops, or
        another round took the peer over (the next round carries on)."""
        return self.node.stopping.is_set() or self.lost.is_set()


class Lease:
    """A round's hold on its peer (store.peers), renewed every RENEW_EVERY seconds from a
    thread of its own until the round ends.

    A round renews the lease with each page it stores, but one exchange with the peer may take
    longer than the lease (a page of 16 MiB at the slowest byte rate read; a manifest of
    thousands of pages): another host's round would then take the peer over, this one would
    lose it at its next write, and the two could take it from each other at every step, one
    never finishing a manifest. A round that dies stops renewing: its lease runs out; so does
    one still running `most` seconds after it began (stuck: a round ends in ROUND_SECONDS and
    one exchange more), so that it cannot keep the peer from every other round for ever."""

    def __init__(self, peers: PeerStore, name: str, holder: str, most: float) -> None:
        self.lost = threading.Event()  # another round holds the peer now
        self._peers, self._name, self._holder = peers, name, holder
        self._every = RENEW_EVERY
        self._until = time.monotonic() + most
        self._ended = threading.Event()
        self._thread = threading.Thread(target=self._renew, name=f"lease on peer {name}",
                                        daemon=True)

    def __enter__(self) -> Lease:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._ended.set()
        self._thread.join()

    def check(self) -> None:
        """Raise LeaseLost if a renewal found the peer held by another round."""
        if self.lost.is_set():
            raise LeaseLost(self._name)

    def _renew(self) -> None:
        while not self._ended.wait(self._every) and time.monotonic() < self._until:
            try:
                self._peers.renew(self._name, self._holder)
            except (LeaseLost, NoResultFound):  # taken over, or the peer removed
                self.lost.set()
                return
            except Exception:  # noqa: BLE001 - the database away a moment: the round's own
                # writes meet it too; the next renewal tries again.
                log.warning("could not renew the lease on peer %s", self._name, exc_info=True)
