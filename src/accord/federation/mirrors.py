"""The collections that hold what peers shared with this node's party (a sync round makes one
per collection of each peer): listed in a node setting, and never shared on."""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from accord.federation.reading import SyncError
from accord.i18n import N_
from accord.node import Node
from accord.store.directory import Collection, Directory, DirectoryError, Party, is_alias
from accord.store.engine import take_turn, writing
from accord.store.names import MOST_NAME
from accord.store.peers import Peer, PeerStore
from accord.trust.access import Grant
from accord.trust.markings import Tlp
from accord.words import printable

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


def why_not_grant(node: Node, collection: Collection, party: Party, grant: Grant
                  ) -> DirectoryError | None:
    """Why `party` may not be given `grant` on `collection` (None: it may), as the refusal to
    raise. What a peer shared with this node's party travels no further: its collection is
    granted to no other party."""
    if (grant.can_read or grant.can_write) and not party.is_self \
            and collection.id in mirrors(node):
        return DirectoryError(N_("{title} holds what a peer shared with this node's party; it "
                                 "is not this node's to share with another (TLP: it travels "
                                 "no further)"), title=collection.title)
    return None


def mirror_for(node: Node, peer: Peer, theirs: dict[str, Any]) -> Collection:
    """Where this peer's collection lands here: a collection of its own, readable by this
    node's party alone (what the peer shared with us is not ours to share further). Only ever
    one made for this peer's collection: what a peer calls its collection (its alias, which
    it may change) never leads it into a collection that holds another peer's."""
    cid = str(theirs["id"])
    local = _recorded(node, peer).get(cid)
    collections = node.directory.all_collections()
    found = next((c for c in collections if c.id == local), None) if local else None
    if found is None:
        # A round killed between making the collection and recording it (below) made it for
        # this collection of this peer's already, which its description says; never one
        # recorded as another collection's mirror.
        recorded = {m for each in PeerStore(node.engine).all() for m in each.mirrors.values()}
        described = _described(peer, cid)
        found = next((c for c in collections
                      if c.description == described and c.id not in recorded), None)
    if found is None:
        found = _new_mirror(node, peer, theirs, {c.alias for c in collections if c.alias})
    # Each recorded on its own: a round killed between them records what is missing next time.
    if found.id not in mirrors(node):
        add_mirror(node, found.id)
    if local != found.id:
        PeerStore(node.engine).add_mirror(peer.name, cid, found.id)
    return found


def _described(peer: Peer, cid: str) -> str:
    return f"Pulled from peer {peer.name} ({peer.url}), collection {cid}"


def _new_mirror(node: Node, peer: Peer, theirs: dict[str, Any], taken: set[str]
                ) -> Collection:
    """A collection for the peer's, under an alias no other collection has: the peer's alias
    for it after `from-PEER-` where that is free and fit for a URL, else its id's start, else
    a random one."""
    cid = str(theirs["id"])
    named = theirs.get("alias")
    candidates = [f"from-{peer.name}-{named}".lower() if isinstance(named, str) and named
                  else None, f"from-{peer.name}-{cid[:8]}".lower(),
                  f"from-{peer.name}-{uuid.uuid4().hex[:8]}"]
    alias = next((a for a in candidates if a and a not in taken and is_alias(a)), None)
    title = theirs.get("title")
    title = printable(title if isinstance(title, str) and title.strip() else cid)
    whence = f" (from {peer.name})"
    # A title is a name here (store.names): the peer's, cut to leave room for whence it came.
    title = title[:max(1, MOST_NAME - len(whence))].strip() + whence
    try:
        return node.directory.create_collection(
            title, alias=alias, description=_described(peer, cid),
            read=[node.party], write=[node.party], default_tlp=Tlp.AMBER)
    except DirectoryError as error:  # made meanwhile, by a round on another host
        raise SyncError(f"cannot make a collection for {peer.name}'s {cid}: {error}"
                        ) from None


def _recorded(node: Node, peer: Peer) -> dict[str, str]:
    found = PeerStore(node.engine).find(peer.name)
    return found.mirrors if found else {}
