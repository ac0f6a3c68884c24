"""The collections that hold what peers shared with this node's party (a sync round makes one
per collection of each peer): listed in a node setting, and never shared on."""

from __future__ import annotations

import orjson

from accord.node import Node
from accord.store.directory import Collection, Directory, Party
from accord.store.engine import take_turn, writing
from accord.trust.access import Grant

MIRRORS = "mirror_collections"  # node setting: JSON list of the collections peers fill


def add_mirror(node: Node, collection_id: str) -> None:
    """Add to the list in the setting's turn: rounds with two peers, on two hosts, may each
    add one at the same moment, and neither may be lost."""
    with writing(node.engine) as conn:
        take_turn(conn, f"setting:{MIRRORS}")
        held = list(orjson.loads(Directory.setting_in(conn, MIRRORS) or "[]"))
        if collection_id not in held:
            Directory.set_setting_in(conn, MIRRORS, orjson.dumps([*held, collection_id]).decode())


def mirrors(node: Node) -> list[str]:
    """The collections holding what peers shared with this node's party: never shared on."""
    return list(orjson.loads(node.directory.setting(MIRRORS) or "[]"))


def why_not_grant(node: Node, collection: Collection, party: Party, grant: Grant) -> str | None:
    """Why `party` may not be given `grant` on `collection` (None: it may). What a peer shared
    with this node's party travels no further: its collection is granted to no other party."""
    if (grant.can_read or grant.can_write) and not party.is_self \
            and collection.id in mirrors(node):
        return (f"{collection.title} holds what a peer shared with this node's party; it is "
                "not this node's to share with another (TLP: it travels no further)")
    return None
