"""One sync round with a peer: pull, over TAXII 2.1, every object the peer lets this node's
party read, checking authorship, and store it here.

Resumable and idempotent: each of the peer's collections is read with `added_after` from where
the last stored page ended (its `X-TAXII-Date-Added-Last`, unique in the collection), and the
cursor moves in the transaction that stores that page. A node killed at any moment re-reads at
most one page; objects already held (same id and version) are "already stored", never
duplicated. One round per peer at a time (a lease on the peer's row, store.peers): two rounds
would each move the cursor past what the other had yet to store, or retract it.

Authorship: an object whose `created_by_ref` names a party of a peer must carry that party's
node's signature (federation.signing); one naming this node's own parties must carry this
node's. Anything else forged is refused and reported. Objects created by nobody known here
(ATT&CK, say) are taken as they are: they cannot speak for a party.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from accord.attribution.arrivals import screen_arrivals
from accord.attribution.objects import is_attribution_object
from accord.cooperation.desk import Desk
from accord.cooperation.model import Request
from accord.cooperation.objects import PREFIX, from_stix
from accord.cooperation.translations import is_translation
from accord.federation.answers import AnswerRefused, fetch
from accord.federation.authorship import authentic
from accord.federation.following import follow
from accord.federation.mirrors import mirror_for
from accord.federation.reading import (
    TAXII,
    CollectionGone,
    EmptyStretch,
    Followed,
    ManifestStopped,
    PageTooLarge,
    SyncError,
    exchange,
    get_json,
    list_in,
    malformed,
    moves_on,
    next_of,
    object_in,
    read_manifest,
    where,
)
from accord.federation.retraction import honour_manifest, lose_collection
from accord.federation.rotation import KeyChangeRefused
from accord.federation.time_zones import learn_time_zone
from accord.federation.transport import PeerTlsError, peer_link, transport_for
from accord.intake import Rejection, Screened, peers_receipts, screen, store
from accord.node import Node
from accord.stix.timestamps import now_timestamp
from accord.store.directory import Collection
from accord.store.engine import writing
from accord.store.forms import PeerGuidelines
from accord.store.peers import (
    PUSH,
    WAYPOINT,
    LeaseLost,
    Peer,
    PeerStore,
    hosted_parties,
    new_holder,
)
from accord.store.query import ALL, ObjectQuery, Reader
from accord.store.quotas import OverQuota
from accord.trust.audit import Event

PAGE = 1000
GUIDELINES_TIMEOUT = 5.0  # seconds: the guidelines are a courtesy, not worth holding a round
GUIDELINES_MOST_BYTES = 64 * 1024
# How long one round pulls from a peer before leaving the rest to the next: the peers after it
# in sync_all wait meanwhile. Cursors move page by page, so nothing is read twice.
ROUND_SECONDS = 600.0

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
    cut_short: bool = False  # ROUND_SECONDS passed: the next round goes on from the cursors
    push_refused: list[str] = field(default_factory=list)  # what the peer refused, in words
    over_quota: str | None = None  # the peer's party reached its quota here: what was left
    # Collections whose pull met more pages of nothing in a row than a round follows (rows
    # hidden from us, at an Accord node): what was said; the next round carries on.
    unfinished: list[str] = field(default_factory=list)


def sync_peer(node: Node, peer: Peer, transport: httpx.BaseTransport | None = None,
              page_size: int = PAGE) -> Round:
    """Pull everything new from `peer`; raises SyncError when the peer cannot be read (what
    was stored before the failure stays stored, and the cursors say how far), PeerBusy when
    another round holds the peer."""
    peers = PeerStore(node.engine)
    holder = new_holder()
    running = peers.take_lease(peer.name, holder)
    if running is not None:
        raise PeerBusy(f"a round with {peer.name} is running already (held by {running})")
    outcome = Round(peer.name)
    try:
        with httpx.Client(base_url=peer.url, transport=transport or _pinned(peer),
                          timeout=30.0, headers={"Authorization": f"Bearer {peer.token}",
                                                 "Accept": TAXII}) as client:
            _follow_key(node, peer, client)
            _read_guidelines(node, peer, client)
            pulling = _Pulling(node, peer, holder, client, _api_root(client), page_size,
                               time.monotonic() + ROUND_SECONDS)
            readable = _readable(client, f"{pulling.root}collections/")
            for cid, theirs in readable.items():
                if outcome.cut_short:
                    break
                outcome.collections += 1
                try:
                    _pull_collection(pulling, theirs, outcome)
                except CollectionGone as gone:
                    outcome.retracted += _lose(pulling, cid, str(gone))
                except QuotaReached as reached:
                    outcome.over_quota = str(reached)
            # A definitive answer, unlike a failure (which ends the round before this line).
            for cid in sorted(set(_known_mirrors(node, peer)) - set(readable)):
                outcome.retracted += _lose(pulling, cid, "the peer no longer lets us read it")
            _push_ledgers(pulling, outcome)
    except LeaseLost:
        raise PeerBusy(f"the round with {peer.name} stopped: another took the peer over, or "
                       "`accord peer trust` reset its cursors; the next round carries on"
                       ) from None
    except SyncError as error:
        peers.attempted(peer.name, str(error))
        raise
    except DBAPIError:
        raise  # this node's database failing is not the peer's fault: no back-off for it
    except Exception as error:
        # A fault met reading this peer (a shape of answer not foreseen, say) is this peer's
        # round failing, noted and backed off from like any other: the rounds with the peers
        # after it in sync_all still run.
        log.exception("the round with peer %s failed", peer.name)
        failed = f"the round with {peer.name} failed ({type(error).__name__}: {error})"
        peers.attempted(peer.name, failed)
        raise SyncError(failed) from error
    finally:
        peers.release(peer.name, holder)
    # At its quota, or behind a long stretch of what it hides from us, the peer is not
    # failing: said (`accord peer list`), not backed off from.
    said = "; ".join(filter(None, [outcome.over_quota, *outcome.unfinished])) or None
    peers.attempted(peer.name, said, outcome.behind, failed=False)
    return outcome


@dataclass(frozen=True)
class _Pulling:
    """One round under way: with which peer, as which lease holder, over which connection."""

    node: Node
    peer: Peer
    holder: str
    client: httpx.Client
    root: str
    page_size: int
    until: float  # time.monotonic() past which the round stops pulling (ROUND_SECONDS)


def _known_mirrors(node: Node, peer: Peer) -> dict[str, str]:
    found = PeerStore(node.engine).find(peer.name)
    return found.mirrors if found else {}


def _lose(pulling: _Pulling, cid: str, why: str) -> int:
    local = _known_mirrors(pulling.node, pulling.peer).get(cid)
    mirror = next((c for c in pulling.node.directory.all_collections() if c.id == local), None)
    if mirror is None:  # never pulled from (or its mirror was removed here)
        return 0
    return lose_collection(pulling.node, pulling.peer.name, pulling.holder, cid, mirror, why)


def _pinned(peer: Peer) -> httpx.BaseTransport:
    """The connection to the peer, checked against its TLS pin in each handshake."""
    try:
        return transport_for(peer_link(peer))
    except PeerTlsError as error:
        raise SyncError(str(error)) from None


def _readable(client: httpx.Client, url: str) -> dict[str, dict[str, Any]]:
    """The peer's collections this node's party may read, by id. A listing with a collection
    the node cannot name fails the round: read in part, it would retract what was pulled from
    the collections it left out."""
    readable: dict[str, dict[str, Any]] = {}
    for theirs in list_in(client, url, get_json(client, url), "collections"):
        cid = theirs.get("id") if isinstance(theirs, dict) else None
        if not isinstance(cid, str) or not cid:
            raise malformed(client, url, "a collection without an id")
        if theirs.get("can_read") is True:
            readable[cid] = theirs
    return readable


def _follow_key(node: Node, peer: Peer, client: httpx.Client) -> None:
    """The peer's key first: a rotation announced by the key pinned here is followed; any
    other change of key ends the round before anything is pulled or pushed."""
    published = get_json(client, "/api/v1/node")
    try:
        follow(node, peer, published)
    except KeyChangeRefused as refused:
        raise SyncError(str(refused)) from None
    learn_time_zone(node, peer.party_id, published, peer.name)


def _read_guidelines(node: Node, peer: Peer, client: httpx.Client) -> None:
    """The guidelines the peer's node applies to requests from this node's party to its own:
    the deadlines the new-request form shows for it. Best effort, quickly: a peer that does not
    answer keeps what was read before (or none), and the round goes on."""
    try:
        answer = fetch(client, "GET", "/api/v1/guidelines", params={"with": peer.party_id},
                       headers={"Accept": "application/json"}, timeout=GUIDELINES_TIMEOUT,
                       most_bytes=GUIDELINES_MOST_BYTES)
        body = orjson.loads(answer.content) if answer.status_code == 200 else None
    except (httpx.HTTPError, AnswerRefused, orjson.JSONDecodeError):
        return
    if isinstance(body, dict) and isinstance(body.get("urgency"), dict):
        PeerGuidelines(node.engine).put(peer.party_id, body)


def _api_root(client: httpx.Client) -> str:
    found = get_json(client, "/taxii2/")
    roots = found.get("api_roots")
    root = found.get("default") or (roots[0] if isinstance(roots, list) and roots else None)
    if not isinstance(root, str) or not root:
        raise SyncError(f"{client.base_url} announces no TAXII API root")
    return httpx.URL(root).path if "://" in root else root


def _pull_collection(pulling: _Pulling, theirs: dict[str, Any], outcome: Round) -> None:
    node, peer, client, root = pulling.node, pulling.peer, pulling.client, pulling.root
    cid = str(theirs["id"])
    mirror = mirror_for(node, peer, theirs)
    peers = PeerStore(node.engine)
    cursor = peers.find(peer.name)
    cursors = cursor.cursors if cursor else {}
    added_after = cursors.get(cid)
    # Every version, not TAXII's default of the newest alone: a version superseded before a
    # round reached it is still one the peer shares, and what is held here must not depend on
    # when rounds ran (or how long this node was down).
    first: dict[str, Any] = {"limit": pulling.page_size, "match[version]": "all"}
    if added_after:
        first["added_after"] = added_after
    url = f"{root}collections/{cid}/objects/"
    asked = Followed()  # the `next` tokens followed, against a peer that goes in circles
    # Where a past round stopped inside a stretch of pages of nothing (PeerStore.stand_in).
    waypoint = cursors.get(WAYPOINT + cid)
    params = first
    if waypoint:
        params = {**first, "next": waypoint}
        asked.tokens.add(waypoint)
    while True:
        resuming = waypoint is not None and params.get("next") == waypoint
        try:
            page = get_json(client, url, collection=not resuming, **params)
        except PageTooLarge:
            # A server that pages by count (another TAXII server; an Accord node before pages
            # had a byte budget) may send more than this node reads at once: smaller pages.
            if params["limit"] == 1:
                raise
            first["limit"] = max(1, params["limit"] // 4)
            params = {**params, "limit": first["limit"]}
            continue
        except SyncError:
            if not resuming:
                raise
            # The token a past round kept is not taken (the peer forgot it, or rotated its
            # key; a 404 for it says nothing of the collection): from the date_added instead.
            waypoint, params = None, first
            continue
        objects = list_in(client, url, page, "objects")
        if len(objects) > params["limit"]:
            raise malformed(client, url, f"{len(objects)} objects when asked for at most "
                             f"{params['limit']}")
        last = page.get("_added_last")
        following = next_of(client, url, page)
        waypoint = None  # taken: a token equal to it further on is a loop, not a resumption

        def advance(conn: Connection, last: str | None = last, stored: int = len(objects),
                    following: str | None = following) -> None:
            if last:
                peers.advance_in(conn, peer.name, pulling.holder, cid, last, stored)
            else:
                # Nothing to go on from but the peer's token (a page of rows hidden from us,
                # at an Accord node): kept, so the next round does not walk them again.
                peers.stand_in(conn, peer.name, pulling.holder, cid, following, stored)

        _store_page(node, peer, mirror, objects, outcome, advance)
        if following is None:
            break
        try:
            moves_on(client, cid, asked, following, objects)
        except EmptyStretch as stretch:
            # Rows hidden from us, as many as a round follows: the token is kept, and the next
            # round carries on from it (what was not read yet is not missing: no manifest).
            outcome.unfinished.append(f"{stretch} (rows it keeps from this node's party, "
                                      "most likely); the next round carries on from there")
            return
        if time.monotonic() > pulling.until or node.stopping.is_set():
            # What is stored stays, and the cursor says how far: the next round carries on.
            # Not the manifest's retractions: what was not read yet is not missing.
            outcome.cut_short = True
            return
        params = {**first, "next": following}
    try:
        retracted, behind = honour_manifest(
            node, peer.name, pulling.holder, cid, mirror,
            lambda: read_manifest(client, f"{root}collections/{cid}/manifest/", cid,
                                  pulling.until, ROUND_SECONDS, node.stopping))
    except ManifestStopped:
        outcome.cut_short = True  # nothing retracted: the next round reads the manifest again
        return
    outcome.retracted += retracted
    outcome.behind += behind


def _push_ledgers(pulling: _Pulling, outcome: Round) -> None:
    """Deliver what our parties added to the ledgers the peer's party may see (requests to
    it, our acts on its requests) to the peer's requests collection at once, rather than
    waiting for the peer to pull: the addressee's clock starts when its node stores them."""
    node, peer, client, root = pulling.node, pulling.peer, pulling.client, pulling.root
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
            url = f"{root}collections/requests/objects/"
            status = _post(client, url, ours)
            stored, failures = status.get("success_count", 0), list_in(client, url, status,
                                                                          "failures")
            if type(stored) is not int or not 0 <= stored <= len(ours) \
                    or not all(isinstance(f, dict) for f in failures):
                raise malformed(client, url, "a status that is not one of the objects sent")
            outcome.pushed += stored
            outcome.push_refused += [f"{f.get('id')}: {f.get('message')}" for f in failures]
        if page.items:
            cursor = page.items[-1].date_added
            peers.advance(peer.name, pulling.holder, PUSH + local.id, cursor, 0)
        if not page.more:
            return
        if node.stopping.is_set():  # what was pushed is recorded: the next round goes on
            outcome.cut_short = True
            return


def _post(client: httpx.Client, url: str, objects: list[dict[str, Any]]) -> Any:
    answer = exchange(client, "POST", url, content=orjson.dumps({"objects": objects}),
                       headers={"Content-Type": TAXII})
    if answer.status_code == 404 or answer.status_code == 403:
        raise SyncError(f"{client.base_url} has not opened its requests collection to this "
                        "node's party: its administrator runs `accord peer add` for this node")
    if answer.status_code != 202:
        raise SyncError(f"{where(client, url)} answered {answer.status_code} to a POST")
    return object_in(client, url, answer)


def _store_page(node: Node, peer: Peer, mirror: Collection, objects: list[Any],
                outcome: Round, advance: Callable[[Connection], None]) -> None:
    """Store one page; `advance` (the cursor) runs in the transaction of its last part."""
    screened = screen(objects)
    kept, refused = authentic(node, screened.valid)
    # As over TAXII: a receipt counts only in the name of the party it receipts for.
    checked = peers_receipts(node.engine, Screened(kept, []))
    kept = checked.valid
    rejected = screened.rejected + refused + checked.rejected
    forged = [r for r in refused if r.violations[0].rule == "forged-authorship"]
    if forged:  # logged: someone tried to speak for a party
        node.audit.append([Event(
            now_timestamp(), "sync.forged", peer.party_id, None, mirror.id,
            tuple(r.id or "" for r in forged),
            {"peer": peer.name, "reasons": [r.message for r in forged]})])
    # Ledgers (with their translations) and the attribution record (claims, positions on
    # them, designations) live in the cooperation collection, whichever collection of the
    # peer's they came through.
    cooperation = [o for o in kept if _is_cooperation(o)]
    evidence = [o for o in kept if not _is_cooperation(o)]
    parts = [(objs, target) for objs, target in ((evidence, mirror), (cooperation, None))
             if objs]
    if not parts:
        with writing(node.engine) as conn:
            advance(conn)
    over: OverQuota | None = None
    for n, (objs, target) in enumerate(parts, 1):
        if target is None:
            desk = Desk(node)
            target = desk.collection()
            desk.admit(target, _participants(objs))
        try:
            # The cursor moves with the page's last part, and only if no part was refused.
            report = store(node.engine, target, Screened(objs, []), party_id=peer.party_id,
                           also=advance if n == len(parts) and over is None else None,
                           over_quota_fails=True)
        except OverQuota as refused:
            # That part not stored, the cursor where it was: once the quota is raised (or room
            # made), a round pulls the page again and nothing is lost. The page's ledger
            # entries are stored all the same (within the quota's headroom for acts).
            over = refused
            continue
        outcome.stored += len(report.added)
        outcome.unchanged += len(report.unchanged)
        rejected += report.rejected
    outcome.refused += rejected
    if over is not None:
        raise QuotaReached(f"{peer.name}: {over}")


def _is_cooperation(obj: dict[str, Any]) -> bool:
    return str(obj.get("type", "")).startswith(PREFIX) or is_attribution_object(obj) \
        or is_translation(obj)


def _participants(objs: list[dict[str, Any]]) -> set[str]:
    found: set[str] = set()
    for obj in objs:
        if obj.get("type") == "x-accord-request":
            request = from_stix(obj)
            if isinstance(request, Request):
                found |= {request.requester, request.addressee, *request.shared_with}
    return found


def sync_all(node: Node) -> list[Round]:
    """A round with every peer that is due: one that keeps failing is tried again after a
    growing pause (`Peer.next_attempt`), and the failure is noted (`accord peer list`)."""
    rounds = []
    now = now_timestamp()
    for peer in PeerStore(node.engine).all():
        if node.stopping.is_set():  # the server stops: the next start carries on
            break
        due = peer.next_attempt()
        if due is not None and due > now:
            continue
        try:
            rounds.append(sync_peer(node, peer))
        except SyncError:
            continue
    if any(r.stored for r in rounds):
        screen_arrivals(node, max_batches=4)  # what peers sent, like what was posted here
    return rounds
