"""How many requests one party may have running with one addressee.

Every request costs its addressee work: a receipt, an acknowledgement due by a deadline, the
watcher's escalation of that deadline and the notices to both hotlines when it passes. A party
with a valid token could file a thousand urgent requests in a few seconds and bury the
addressee's dashboard and hotline under them. Real requests between two parties run by the
tens; one party may have MOST_RUNNING running with one addressee, on every path that stores
them (the desk, TAXII, a peer's sync). A request runs until it is answered, declined, closed or
withdrawn (cooperation.summary.OPEN_STATES): the addressee makes room by working through them,
the requester by withdrawing what it no longer needs.

Counted from the request summaries (store.summaries), which every path that stores a request
refreshes in its transaction. Not bounded: the node's own tooling (an operator's import). A
request whose requester is no party of this node is refused: nobody here could act as it, and
a poster naming a new identity on each request would escape the count.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from accord.store.held_versions import parties_among
from accord.store.summary_tables import request_summaries

MOST_RUNNING = 200
# The states a request runs in, as summaries store them ("overdue" is derived, never stored).
RUNNING_STATES = ("submitted", "acknowledged", "in-progress", "escalated")
_ENDING = ("x-accord-withdrawal", "x-accord-response")  # what ends a running request
_CHUNK = 500  # request ids a statement


def running(conn: Connection, requester: str, addressee: str) -> int:
    """How many requests `requester` has running with `addressee` (at most MOST_RUNNING: the
    count is bounded too)."""
    s = request_summaries.c
    some = (select(s.request_id)
            .where(s.requester == requester, s.addressee == addressee,
                   s.settled_state.in_(RUNNING_STATES))
            .limit(MOST_RUNNING).subquery())
    return int(conn.execute(select(func.count()).select_from(some)).scalar_one())


class RequestsRunning:
    """The requests each requester has running with each addressee, for one call that stores
    `incoming`: read when a new request first needs it, and kept up as the call adds more."""

    def __init__(self, conn: Connection, incoming: Sequence[dict[str, Any]]) -> None:
        self.conn, self.incoming = conn, incoming
        self.counts: dict[tuple[str, str], int] | None = None
        self.parties: frozenset[str] = frozenset()

    def refusal(self, obj: dict[str, Any]) -> str | None:
        """Why `obj`, a new object, may not be stored (a request whose requester has the most
        requests running with its addressee), or None, counting it."""
        if obj.get("type") != "x-accord-request":
            return None
        if self.counts is None:  # once a call, for every pair it files requests between
            requests = [o for o in self.incoming if o.get("type") == "x-accord-request"]
            self.parties = parties_among(self.conn, {
                str(o["created_by_ref"]) for o in requests if o.get("created_by_ref")})
            self.counts = {pair: running(self.conn, *pair)
                           for pair in sorted({self._pair(o) for o in requests})}
            self._ended_in_this_call()
        if obj.get("created_by_ref") not in self.parties:
            # Nobody here could act as it, or be counted as it: one poster naming a new
            # identity on each request would file them without bound.
            return (f"its requester (created_by_ref) {obj.get('created_by_ref')} is no party "
                    "of this node: a request is made by a party a node hosts or a peer's node "
                    "speaks for (see `accord party list`)")
        pair = self._pair(obj)
        count = self.counts.get(pair, 0)
        if count >= MOST_RUNNING:
            return (f"{pair[0]} has {count:,} requests running with {pair[1]}, the most one "
                    f"party may have running with one addressee ({MOST_RUNNING:,}); this "
                    "request was not taken. Withdraw one that is no longer needed, or wait for "
                    "the addressee to answer or decline some")
        self.counts[pair] = count + 1
        return None

    def _ended_in_this_call(self) -> None:
        """Room made by the withdrawals and responses this call stores with the new requests
        (a peer's page may carry a withdrawal and the request filed in its place)."""
        assert self.counts is not None
        ended = sorted({rid for o in self.incoming if o.get("type") in _ENDING
                        and isinstance(rid := o.get("request_ref"), str)})
        s = request_summaries.c
        for start in range(0, len(ended), _CHUNK):
            for requester, addressee in self.conn.execute(
                    select(s.requester, s.addressee).where(
                        s.request_id.in_(ended[start:start + _CHUNK]),
                        s.settled_state.in_(RUNNING_STATES))):
                if (requester, addressee) in self.counts:
                    self.counts[requester, addressee] -= 1

    @staticmethod
    def _pair(obj: dict[str, Any]) -> tuple[str, str]:
        return str(obj.get("created_by_ref", "")), str(obj.get("addressee_ref", ""))
