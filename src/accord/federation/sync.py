"""One sync round with a peer: pull, over TAXII 2.1, every object the peer lets this node's
party read, checking authorship, and store it here.

Resumable and idempotent: each of the peer's collections is read with `added_after` from where
the last stored page ended (its `X-TAXII-Date-Added-Last`, unique in the collection), and the
cursor moves only after that page is stored. A node killed at any moment re-reads at most one
page; objects already held (same id and version) are "already stored", never duplicated.

Authorship: an object whose `created_by_ref` names a party of a peer must carry that party's
node's signature (federation.signing); one naming this node's own parties must carry this
node's. Anything else forged is refused and reported. Objects created by nobody known here
(ATT&CK, say) are taken as they are: they cannot speak for a party.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from accord.cooperation.desk import Desk
from accord.cooperation.model import Request
from accord.cooperation.objects import PREFIX, from_stix
from accord.federation.keys import node_key
from accord.federation.signing import load_public, why_not_authentic
from accord.intake import Rejection, Screened, screen, store
from accord.node import Node
from accord.stix.timestamps import now_timestamp
from accord.stix.violations import Violation
from accord.store.directory import Collection, Party
from accord.store.peers import Peer, PeerStore, hosted_parties
from accord.store.query import ALL, ObjectQuery, Reader
from accord.trust.access import Grant
from accord.trust.audit import Event
from accord.trust.markings import Tlp

TAXII = "application/taxii+json;version=2.1"
PAGE = 1000


class SyncError(Exception):
    """The peer could not be read (unreachable, refused the token, answered nonsense)."""


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
    push_refused: list[str] = field(default_factory=list)  # what the peer refused, in words


def sync_peer(node: Node, peer: Peer, transport: httpx.BaseTransport | None = None,
              page_size: int = PAGE) -> Round:
    """Pull everything new from `peer`; raises SyncError when the peer cannot be read (what
    was stored before the failure stays stored, and the cursors say how far)."""
    outcome = Round(peer.name)
    peers = PeerStore(node.engine)
    try:
        with httpx.Client(base_url=peer.url, transport=transport, timeout=30.0, headers={
                "Authorization": f"Bearer {peer.token}", "Accept": TAXII}) as client:
            root = _api_root(client)
            listed = _get(client, f"{root}collections/").get("collections", [])
            for theirs in listed:
                if not theirs.get("can_read"):
                    continue
                outcome.collections += 1
                _pull_collection(node, peer, client, root, theirs, outcome, page_size)
            _push_ledgers(node, peer, client, root, outcome)
    except SyncError as error:
        peers.attempted(peer.name, str(error))
        raise
    peers.attempted(peer.name, None, outcome.behind)
    return outcome


def _get(client: httpx.Client, url: str, **params: Any) -> Any:
    try:
        answer = client.get(url, params=params)
    except httpx.HTTPError as error:
        raise SyncError(f"cannot reach {client.base_url}: {error}") from None
    if answer.status_code == 401:
        raise SyncError(f"{client.base_url} refused this node's token (401): ask the peer for "
                        "a new one and `accord peer add` again")
    if answer.status_code != 200:
        raise SyncError(f"{client.base_url}{url} answered {answer.status_code}")
    try:
        return answer.json() | {"_added_last": answer.headers.get("X-TAXII-Date-Added-Last")}
    except ValueError:
        raise SyncError(f"{client.base_url}{url} did not answer JSON") from None


def _api_root(client: httpx.Client) -> str:
    found = _get(client, "/taxii2/")
    root = found.get("default") or next(iter(found.get("api_roots", [])), None)
    if not isinstance(root, str):
        raise SyncError(f"{client.base_url} announces no TAXII API root")
    return httpx.URL(root).path if "://" in root else root


def _pull_collection(node: Node, peer: Peer, client: httpx.Client, root: str,
                     theirs: dict[str, Any], outcome: Round, page_size: int) -> None:
    cid = str(theirs["id"])
    mirror = _mirror(node, peer, theirs)
    cursor = PeerStore(node.engine).find(peer.name)
    added_after = cursor.cursors.get(cid) if cursor else None
    params: dict[str, Any] = {"limit": page_size}
    if added_after:
        params["added_after"] = added_after
    while True:
        page = _get(client, f"{root}collections/{cid}/objects/", **params)
        objects = page.get("objects", [])
        if objects:
            _store_page(node, peer, mirror, objects, outcome)
        last = page.get("_added_last")
        if last:
            PeerStore(node.engine).advance(peer.name, cid, last, len(objects))
        if not page.get("more") or not page.get("next"):
            break
        params = {"limit": page_size, "next": page["next"]}
        if added_after:
            params["added_after"] = added_after
    retracted, behind = _honour_retractions(node, client, root, cid, mirror)
    outcome.retracted += retracted
    outcome.behind += behind


def _honour_retractions(node: Node, client: httpx.Client, root: str, cid: str,
                        mirror: Collection) -> tuple[int, int]:
    """Remove here what the peer no longer lets us read: objects it deleted, and objects
    whose marking it tightened beyond us (their newest version never reaches us, so the old
    one must go). The peer's manifest lists the ids we may still read; comparing costs one
    page per 1,000 objects."""
    visible: set[str] = set()
    params: dict[str, Any] = {"limit": PAGE}
    while True:
        page = _get(client, f"{root}collections/{cid}/manifest/", **params)
        visible |= {str(entry["id"]) for entry in page.get("objects", [])}
        if not page.get("more") or not page.get("next"):
            break
        params = {"limit": PAGE, "next": page["next"]}
    held: set[str] = set()
    query = ObjectQuery(limit=PAGE)
    while True:
        mine = node.objects.page(mirror.id, query)
        held |= {item.id for item in mine.items}
        if not mine.more:
            break
        query = ObjectQuery(limit=PAGE, after=mine.next_cursor)
    gone = sorted(held - visible)
    # Ledger entries land in the requests collection, not the mirror: not counted as missing.
    missing = {i for i in visible - held if not i.startswith(PREFIX)}
    for object_id in gone:
        node.objects.delete(mirror.id, object_id, ObjectQuery(versions=frozenset({ALL})))
    if gone:
        node.audit.append([Event(now_timestamp(), "sync.retracted", None, None, mirror.id,
                                 tuple(gone), {"peer_collection": cid})])
    return len(gone), len(missing)


PUSH = "push:"  # cursor key prefix: how far our own collection was pushed


def _push_ledgers(node: Node, peer: Peer, client: httpx.Client, root: str,
                  outcome: Round) -> None:
    """Deliver what our parties added to the ledgers the peer's party may see (requests to
    it, our acts on its requests) to the peer's requests collection at once, rather than
    waiting for the peer to pull: the addressee's clock starts when its node stores them."""
    local = Desk(node).collection()
    peers = PeerStore(node.engine)
    current = peers.find(peer.name)
    cursor = current.cursors.get(PUSH + local.id) if current else None
    hosted = hosted_parties(node.engine)
    reader = Reader(peer.party_id, int(local.default_tlp))
    while True:
        page = node.objects.page(local.id, ObjectQuery(
            versions=frozenset({ALL}), added_after=cursor, limit=500, reader=reader))
        ours = [obj for obj in (orjson.loads(item.body) for item in page.items)
                if obj.get("created_by_ref") in hosted]
        if ours:
            status = _post(client, f"{root}collections/requests/objects/", ours)
            outcome.pushed += int(status.get("success_count", 0))
            outcome.push_refused += [f"{f.get('id')}: {f.get('message')}"
                                     for f in status.get("failures", [])]
        if page.items:
            cursor = page.items[-1].date_added
            peers.advance(peer.name, PUSH + local.id, cursor, 0)
        if not page.more:
            return


def _post(client: httpx.Client, url: str, objects: list[dict[str, Any]]) -> Any:
    try:
        answer = client.post(url, content=orjson.dumps({"objects": objects}),
                             headers={"Content-Type": TAXII})
    except httpx.HTTPError as error:
        raise SyncError(f"cannot reach {client.base_url}: {error}") from None
    if answer.status_code == 404 or answer.status_code == 403:
        raise SyncError(f"{client.base_url} has not opened its requests collection to this "
                        "node's party: its administrator runs `accord peer add` for this node")
    if answer.status_code != 202:
        raise SyncError(f"{client.base_url}{url} answered {answer.status_code} to a POST")
    return answer.json()


def _mirror(node: Node, peer: Peer, theirs: dict[str, Any]) -> Collection:
    """Where this peer's collection lands here: a collection of its own, readable by this
    node's party alone (what the peer shared with us is not ours to share further)."""
    alias = f"from-{peer.name}-{theirs.get('alias') or str(theirs['id'])[:8]}".lower()
    for found in node.directory.all_collections():
        if found.alias == alias:
            return found
    made = node.directory.create_collection(
        f"{theirs.get('title') or theirs['id']} (from {peer.name})", alias=alias,
        description=f"Pulled from peer {peer.name} ({peer.url}), collection {theirs['id']}",
        read=[node.party], write=[node.party], default_tlp=Tlp.AMBER)
    node.directory.set_setting(MIRRORS, orjson.dumps([*mirrors(node), made.id]).decode())
    return made


MIRRORS = "mirror_collections"  # node setting: JSON list of the collections peers fill


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


def _store_page(node: Node, peer: Peer, mirror: Collection, objects: list[Any],
                outcome: Round) -> None:
    screened = screen(objects)
    authentic, refused = _authentic(node, screened.valid)
    rejected = screened.rejected + refused
    forged = [r for r in refused if r.violations[0].rule == "forged-authorship"]
    if forged:  # logged: someone tried to speak for a party
        node.audit.append([Event(
            now_timestamp(), "sync.forged", peer.party_id, None, mirror.id,
            tuple(r.id or "" for r in forged),
            {"peer": peer.name, "reasons": [r.message for r in forged]})])
    cooperation = [o for o in authentic if str(o.get("type", "")).startswith(PREFIX)]
    evidence = [o for o in authentic if not str(o.get("type", "")).startswith(PREFIX)]
    for objs, target in ((evidence, mirror), (cooperation, None)):
        if not objs:
            continue
        if target is None:
            desk = Desk(node)
            target = desk.collection()
            desk.admit(target, _participants(objs))
        report = store(node.engine, target, Screened(objs, []), party_id=peer.party_id)
        outcome.stored += len(report.added)
        outcome.unchanged += len(report.unchanged)
        rejected += report.rejected
    outcome.refused += rejected


def _participants(objs: list[dict[str, Any]]) -> set[str]:
    found: set[str] = set()
    for obj in objs:
        if obj.get("type") == "x-accord-request":
            request = from_stix(obj)
            if isinstance(request, Request):
                found |= {request.requester, request.addressee, *request.shared_with}
    return found


TRUSTED_SOURCES = "trusted_sources"  # node setting: JSON list of identity ids


def trusted_sources(node: Node) -> list[str]:
    """Identities whose unsigned objects this node takes from peers (e.g. MITRE's ATT&CK)."""
    return list(orjson.loads(node.directory.setting(TRUSTED_SOURCES) or "[]"))


def _authentic(node: Node, objs: list[dict[str, Any]]
               ) -> tuple[list[dict[str, Any]], list[Rejection]]:
    keys = {party: load_public(key) for party, key in PeerStore(node.engine).party_keys().items()}
    own = node_key(node.directory).public_key()
    hosted = hosted_parties(node.engine)
    trusted = set(trusted_sources(node))
    kept: list[dict[str, Any]] = []
    refused: list[Rejection] = []
    for obj in objs:
        creator = obj.get("created_by_ref")
        why, rule = None, "forged-authorship"
        if creator in keys or creator in hosted:
            found = why_not_authentic(obj, keys.get(creator, own))
            why = None if found is None else f"claims to be created by {creator}, but {found}"
        elif creator is not None and creator not in trusted:
            why, rule = (f"created by {creator}, which no peer speaks for and this node has not "
                         f"trusted (`accord peer trust {creator}` takes its objects unsigned)",
                         "untrusted-source")
        if why is None:
            kept.append(obj)
        else:
            refused.append(Rejection(obj.get("id"), None, [Violation(
                obj.get("id"), "created_by_ref", rule, why)]))
    return kept, refused


def sync_all(node: Node) -> list[Round]:
    """A round with every peer that is due: one that keeps failing is tried again after a
    growing pause (`Peer.next_attempt`), and the failure is noted (`accord peer list`)."""
    rounds = []
    now = now_timestamp()
    for peer in PeerStore(node.engine).all():
        due = peer.next_attempt()
        if due is not None and due > now:
            continue
        try:
            rounds.append(sync_peer(node, peer))
        except SyncError:
            continue
    return rounds
