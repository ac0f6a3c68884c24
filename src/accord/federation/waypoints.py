"""Where a pull of a peer's collection stood with no date to go on from: the peer's `next`
token, kept in the peer's cursors (store.peers.WAYPOINT) so that the next round carries on
from it rather than walk again what the peer hides from us (an Accord node's pages of
nothing, where its walk met rows hidden from this node's party).

A token names a place in one read: the read of the collection from some `added_after`. A
server whose tokens are offsets into that read would skip rows if the token were sent with
another, so the `added_after` it was issued under is kept with it."""

from __future__ import annotations

from typing import NamedTuple

import orjson


class Waypoint(NamedTuple):
    token: str
    added_after: str | None  # the read's `added_after` the token was issued for


def kept(waypoint: Waypoint | None) -> str | None:
    """The waypoint as the peer's cursors keep it."""
    return None if waypoint is None else orjson.dumps(list(waypoint)).decode()


def read(kept_as: str | None) -> Waypoint | None:
    """The waypoint the peer's cursors keep (None: none, or one this node cannot read, which
    only costs walking the stretch again)."""
    if not kept_as:
        return None
    try:
        token, added_after = orjson.loads(kept_as)
    except (orjson.JSONDecodeError, TypeError, ValueError):
        return None
    if not isinstance(token, str) or not token or not (
            added_after is None or isinstance(added_after, str)):
        return None
    return Waypoint(token, added_after)
