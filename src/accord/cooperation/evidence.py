"""A request's evidence: which objects a party may read, and how many one act may carry.

Evidence is named by STIX id; what an id stands for is read on this node, with the reader's
rights, so that a request can neither point at what its maker cannot see nor probe for what
exists, and its requester learns which of it the addressee cannot read before waiting."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from accord.cooperation.model import MOST_EVIDENCE
from accord.cooperation.refusals import CooperationError
from accord.i18n import N_
from accord.node import Node
from accord.store.directory import Directory
from accord.store.objects import ObjectStore
from accord.store.query import ObjectQuery, Reader, StoredVersion
from accord.store.record_reads import BLOCK, in_blocks


def readable_by(node: Node, party_id: str, ids: Sequence[str]) -> set[str]:
    """Which of `ids` name objects `party_id` may read on this node (any collection)."""
    return {item.id for item in _as_read_by(node, party_id, ids, bodies=False)}


def hidden_from(node: Node, addressee: str, evidence: Sequence[str],
                requester: str) -> list[str]:
    """The evidence `requester` created that `addressee` may not read (not yet shared with it,
    or marked beyond it): what the requester should share for the addressee to act on it.

    Only what the requester created: of any other object, whether the addressee may read it
    would tell the requester which collections another party reads (a thousand ids a request
    would map them). What the requester posted naming no creator counts as its own."""
    seen = readable_by(node, addressee, evidence)
    hidden = [e for e in evidence if e not in seen]
    if hidden:
        found = list(_as_read_by(node, requester, hidden, bodies=False))
        authors = node.objects.authors([item.seq for item in found])
        # Its own: it created it, or posted it naming no creator (an observable, say).
        made = {item.id for item in found
                if (author := authors.get(item.seq)) is not None
                and (author[0] == requester or author[0] is None and author[1] == requester)}
        hidden = [e for e in hidden if e in made]
    return hidden


def _as_read_by(node: Node, party_id: str, ids: Sequence[str], *, bodies: bool
                ) -> Iterator[StoredVersion]:
    """The newest versions of `ids` that `party_id` may read, collection by collection."""
    return as_read_by(node.directory, node.objects, party_id, ids, bodies=bodies)


def as_read_by(directory: Directory, store: ObjectStore, party_id: str, ids: Sequence[str],
               *, bodies: bool) -> Iterator[StoredVersion]:
    """`_as_read_by`, from the node's directory and object store (where there is no Node:
    intake has an engine)."""
    if not ids:
        return
    wanted = sorted(set(ids))
    for collection, grant in directory.collections_for(party_id):
        if not grant.can_read:
            continue
        # Which ids, and their bodies only when asked: evidence may be a sample of many
        # megabytes. A block of ids at a time: what a listing's designations cite together
        # may be more values than a driver binds in one statement.
        query = ObjectQuery(limit=10 * BLOCK + 1, bodies=bodies,
                            reader=Reader(party_id, int(collection.default_tlp)))
        for block in in_blocks(query, wanted):
            yield from store.page(collection.id, block).items


def check_evidence(node: Node, party_id: str, evidence: Sequence[str]) -> None:
    """Evidence must be at most MOST_EVIDENCE objects `party_id` may read on this node."""
    if len(evidence) > MOST_EVIDENCE:
        raise CooperationError(N_("evidence: at most {most} objects may be attached, not "
                                  "{count} (attach a report that refers to the rest)"),
                               most=f"{MOST_EVIDENCE:,}", count=f"{len(evidence):,}",
                               about=("evidence",))
    if not evidence:
        return
    readable = readable_by(node, party_id, evidence)
    unknown = [e for e in evidence if e not in readable]
    if unknown:
        raise CooperationError(N_("evidence: no object you may read has the id {ids}"),
                               ids=", ".join(unknown), about=("evidence",))
