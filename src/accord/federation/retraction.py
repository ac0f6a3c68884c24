"""Retraction: what a peer no longer lets this node's party read is removed here, at the next
round, and recorded in the audit trail (`sync.retracted`) in the same transaction.

Two cases: objects the peer's manifest no longer lists (deleted, or tightened beyond us), and
a whole collection the peer no longer shows us (unlisted, write-only, or answered 403/404).
"""

from __future__ import annotations

from collections.abc import Callable

from accord.cooperation.objects import PREFIX
from accord.node import Node
from accord.stix.timestamps import now_timestamp
from accord.store.directory import Collection
from accord.store.engine import writing
from accord.store.peers import PeerStore
from accord.store.query import ALL, ObjectQuery
from accord.trust.audit import Event

PAGE = 1000


def held_ids(node: Node, mirror: Collection) -> set[str]:
    """The ids of every object held in `mirror`."""
    held: set[str] = set()
    query = ObjectQuery(limit=PAGE, bodies=False)  # their ids, not their bodies
    while True:
        mine = node.objects.page(mirror.id, query)
        held |= {item.id for item in mine.items}
        if not mine.more:
            return held
        query = ObjectQuery(limit=PAGE, after=mine.next_cursor, bodies=False)


def honour_manifest(node: Node, peer: str, holder: str, cid: str, mirror: Collection,
                    listed: Callable[[], set[str]]) -> tuple[int, int]:
    """Remove what the peer's manifest (`listed()`: the ids it lets us read) no longer lists;
    returns how many were removed and how many it lists that are not held here.

    What is held is read *before* the manifest: everything held then was pulled before the
    manifest was read, so an id it lacks was withdrawn by the peer. The other order would
    remove an object pulled after the manifest was read (by a round that overtook this one)."""
    held = held_ids(node, mirror)
    visible = listed()
    gone = sorted(held - visible)
    # Ledger entries land in the requests collection, not the mirror: not counted as missing.
    missing = {i for i in visible - held if not i.startswith(PREFIX)}
    _retract(node, peer, holder, cid, mirror, gone, reset=False, why="no longer in its manifest")
    return len(gone), len(missing)


def lose_collection(node: Node, peer: str, holder: str, cid: str, mirror: Collection,
                    why: str) -> int:
    """The peer no longer lets us read its collection `cid`: every copy pulled from it goes,
    and it is read from its start if it is shown to us again. Returns how many went."""
    return _retract(node, peer, holder, cid, mirror, sorted(held_ids(node, mirror)),
                    reset=True, why=why)


def _retract(node: Node, peer: str, holder: str, cid: str, mirror: Collection,
             gone: list[str], *, reset: bool, why: str) -> int:
    if not gone and not reset:
        return 0
    peers = PeerStore(node.engine)
    with writing(node.engine) as conn:
        # Only while this round holds the peer (raises LeaseLost otherwise).
        if reset:
            peers.advance_in(conn, peer, holder, cid, None, 0)
        else:
            peers.hold_in(conn, peer, holder)
        for object_id in gone:
            node.objects.delete_in(conn, mirror.id, object_id,
                                   ObjectQuery(versions=frozenset({ALL})))
        if gone:
            node.audit.append_in(conn, [Event(
                now_timestamp(), "sync.retracted", None, None, mirror.id, tuple(gone),
                {"peer": peer, "peer_collection": cid, "reason": why})])
    return len(gone)
