"""Who may add a version of an object to a collection — pure rules, no I/O.

STIX 2.1 §3.6: only an object's creator may version it. A node can hold that rule only for
creators it knows, the parties of this node (a party posts only as itself, a peer's party only
with its node's signature). An object whose `created_by_ref` names someone else (MITRE's
ATT&CK) or nobody cannot be checked against its creator, so it is held by its *steward*: the
party that first put it in the collection. Otherwise any writer of a shared collection could
rewrite what another party put there under the original creator's name, or hide it from that
party behind a stricter marking, or claim it with a `created_by_ref` of its own.

The node's operator (`accord import`, an admin of the node's own party) may version such an
object too: someone must be able to update ATT&CK in a collection where another party was
first to post a copy. Nobody but a party itself may post or version the party's `identity`.
Markings are checked apart (trust.markings.why_not_add).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Holding:
    """What the rules need to know of an object already in the collection."""

    creator: str | None  # created_by_ref of its newest version
    steward: str | None  # the poster of its first version still stored (None: the node's own)


def why_not_version(object_id: str, poster: str | None, held: Holding | None, *,
                    parties: frozenset[str], operator: bool = False) -> str | None:
    """Why `poster` may not add a version of `object_id` (None: it may).

    `held`: the object as the collection holds it (None: not there yet); `parties`: the parties
    of this node among the ids concerned; `poster` None is the node's own tooling, trusted.
    """
    if poster is None:
        return None
    if object_id in parties and object_id != poster:
        return (f"{object_id} is the identity of a party of this node; only that party may "
                "post or version it")
    if held is None or held.creator in parties:
        # New here, or the creator rule holds it (a party posts only as itself).
        return None
    if poster == held.steward or operator:
        return None
    return (f"{object_id} was put in this collection by another party and its creator is not "
            "a party of this node, so only that party (or an administrator of this node) may "
            "add versions of it")
