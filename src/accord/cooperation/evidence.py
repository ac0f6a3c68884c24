"""A request's evidence: which objects a party may read, and how many one act may carry.

Evidence is named by STIX id; what an id stands for is read on this node, with the reader's
rights, so that a request can neither point at what its maker cannot see nor probe for what
exists, and its requester learns which of it the addressee cannot read before waiting."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import orjson

from accord.cooperation.model import MOST_EVIDENCE
from accord.cooperation.refusals import CooperationError
from accord.i18n import N_
from accord.node import Node
from accord.store.query import ObjectQuery, Reader, StoredVersion
from accord.store.record_reads import BLOCK, in_blocks


def readable_by(node: Node, party_id: str, ids: Sequence[str]) -> set[str]:
    """Which of `ids` name objects `party_id` may read on this node (any collection)."""
    return {item.id for item in _as_read_by(node, party_id, ids, bodies=False)}


def hidden_from(node: Node, addressee: str, evidence: Sequence[str],
                requester: str | None = None) -> list[str]:
    """The evidence `addressee` may not read (not yet shared with it, or marked beyond it).
    Not what the addressee created itself, as the requester's copy says (pulled from the
    addressee's node, say): the addressee holds it where it made it."""
    seen = readable_by(node, addressee, evidence)
    hidden = [e for e in evidence if e not in seen]
    if hidden and requester is not None:
        made = {item.id for item in _as_read_by(node, requester, hidden, bodies=True)
                if orjson.loads(item.body).get("created_by_ref") == addressee}
        hidden = [e for e in hidden if e not in made]
    return hidden


def _as_read_by(node: Node, party_id: str, ids: Sequence[str], *, bodies: bool
                ) -> Iterator[StoredVersion]:
    """The newest versions of `ids` that `party_id` may read, collection by collection."""
    if not ids:
        return
    wanted = sorted(set(ids))
    for collection, grant in node.directory.collections_for(party_id):
        if not grant.can_read:
            continue
        # Which ids, and their bodies only when asked: evidence may be a sample of many
        # megabytes. A block of ids at a time: what a listing's designations cite together
        # may be more values than a driver binds in one statement.
        query = ObjectQuery(limit=10 * BLOCK + 1, bodies=bodies,
                            reader=Reader(party_id, int(collection.default_tlp)))
        for block in in_blocks(query, wanted):
            yield from node.objects.page(collection.id, block).items


def check_evidence(node: Node, party_id: str, evidence: Sequence[str]) -> None:
    """Evidence must be at most MOST_EVIDENCE objects `party_id` may read on this node."""
    if len(evidence) > MOST_EVIDENCE:
        raise CooperationError(N_("evidence: at most {most} objects may be attached, not "
                                  "{count} (attach a report that refers to the rest)"),
                               most=f"{MOST_EVIDENCE:,}", count=f"{len(evidence):,}")
    if not evidence:
        return
    readable = readable_by(node, party_id, evidence)
    unknown = [e for e in evidence if e not in readable]
    if unknown:
        raise CooperationError(N_("evidence: no object you may read has the id {ids}"),
                               ids=", ".join(unknown))
