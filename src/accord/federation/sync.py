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
import re
import time
from datetime import timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy.exc import DBAPIError

from accord import clock
from accord.attribution.arrivals import screen_arrivals
from accord.cooperation.desk import Desk
from accord.federation import answers
from accord.federation.answers import AnswerRefused, fetch
from accord.federation.following import follow
from accord.federation.pulling import pull_collection
from accord.federation.reading import (
    TAXII,
    CollectionGone,
    SyncError,
    exchange,
    get_json,
    list_in,
    malformed,
    object_in,
    where,
)
from accord.federation.retraction import lose_collection
from accord.federation.rotation import KeyChangeRefused
from accord.federation.rounds import Lease, PeerBusy, Pulling, QuotaReached, Round
from accord.federation.time_zones import learn_time_zone
from accord.federation.transport import PeerTlsError, peer_link, transport_for
from accord.node import Node
from accord.stix.timestamps import format_timestamp, now_timestamp
from accord.store.forms import PeerGuidelines
from accord.store.peers import (
    MANIFESTS,
    PUSH,
    LeaseLost,
    Peer,
    PeerStore,
    hosted_parties,
    new_holder,
)
from accord.store.query import ALL, ObjectQuery, Reader

PAGE = 1000
GUIDELINES_TIMEOUT = 5.0  # seconds: the guidelines are a courtesy, not worth holding a round
GUIDELINES_MOST_BYTES = 64 * 1024
# How long one round pulls from a peer before leaving the rest to the next: the peers after it
# in sync_all wait meanwhile. Cursors move page by page, so nothing is read twice.
ROUND_SECONDS = 600.0
# How often the continuous sync (`accord serve --retract-every`) reads a peer's manifests, by
# default: what the peer withdrew (deleted, or tightened beyond us) is found only there, and
# each read lists every object of every collection, each audited by the peer as read. At
# every 5-second round, a collection of ATT&CK's size would cost 25 pages and 25,000 audit
# rows a round on the peer, 400 million a day. `accord sync` reads them at every round.
RETRACT_EVERY = 600.0
# Past ROUND_SECONDS and the longest exchange one more page may take (its grace, then its
# most bytes at the slowest rate read), a round still running is stuck: its lease is no
# longer renewed.
STUCK_AFTER = answers.GRACE + answers.MOST_BYTES / answers.MIN_RATE + 60
# A peer whose manifests take long to read is read at most this share of the time: a 10 M
# collection's (about 10,000 pages) every half hour or so, not every ten minutes.
MANIFEST_SHARE = 20
# A peer's collections mirrored here: each is a collection of this node's, listed to its
# officers. A peer shares a few; one listing thousands would fill the node's list with them,
# and make each round visit them all.
MOST_MIRRORED = 100

log = logging.getLogger(__name__)


def sync_peer(node: Node, peer: Peer, transport: httpx.BaseTransport | None = None,
              page_size: int = PAGE, retract_every: float = 0.0) -> Round:
    """Pull everything new from `peer`; raises SyncError when the peer cannot be read (what
    was stored before the failure stays stored, and the cursors say how far), PeerBusy when
    another round holds the peer. The peer's manifests (what it withdrew) are read if this
    round reads them all no sooner than `retract_every` seconds (0: at every round) after
    the last that did."""
    peers = PeerStore(node.engine)
    holder = new_holder()
    running = peers.take_lease(peer.name, holder)
    if running is not None:
        raise PeerBusy(f"a round with {peer.name} is running already (held by {running})")
    outcome = Round(peer.name)
    current = peers.find(peer.name)
    due = current.cursors.get(MANIFESTS) if current else None
    manifests = not retract_every or due is None or due <= now_timestamp()
    # Renewed for as long as a round may run, and the longest exchange after it.
    lease = Lease(peers, peer.name, holder, ROUND_SECONDS + STUCK_AFTER)
    try:
        with lease, httpx.Client(base_url=peer.url, transport=transport or _pinned(peer),
                                 timeout=30.0, headers={"Authorization": f"Bearer {peer.token}",
                                                        "Accept": TAXII}) as client:
            _follow_key(node, peer, client)
            _read_guidelines(node, peer, client)
            pulling = Pulling(node, peer, holder, client, _api_root(client), page_size,
                              time.monotonic() + ROUND_SECONDS, ROUND_SECONDS, manifests,
                              lost=lease.lost)
            readable = _readable(client, f"{pulling.root}collections/")
            for cid, theirs in _pulled(node, peer, readable, outcome).items():
                # A round pulls one page at least, however slow the peer: it gets on.
                if outcome.cut_short or (outcome.collections and pulling.is_over()):
                    outcome.cut_short = True
                    break
                outcome.collections += 1
                try:
                    pull_collection(pulling, theirs, outcome)
                except CollectionGone as gone:
                    outcome.retracted += _lose(pulling, cid, str(gone))
                except QuotaReached as reached:
                    outcome.over_quota = str(reached)
            # A definitive answer, unlike a failure (which ends the round before this line).
            for cid in sorted(set(_known_mirrors(node, peer)) - set(readable)):
                outcome.retracted += _lose(pulling, cid, "the peer no longer lets us read it")
            _push_ledgers(pulling, outcome)
            lease.check()  # a round taken over is not whole, whatever it read
            whole = manifests and not (outcome.cut_short or outcome.unfinished
                                       or outcome.over_quota)
            if whole:
                wait = max(retract_every, MANIFEST_SHARE * sum(pulling.reading_manifests))
                peers.manifests_read(peer.name, holder,
                                     format_timestamp(clock.now() + timedelta(seconds=wait)))
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
    said = "; ".join(filter(None, [outcome.over_quota, *outcome.unfinished, outcome.left_out])
                     ) or None
    # How far behind it is, as its manifests said: unmeasured by a round that read none, or
    # not all.
    peers.attempted(peer.name, said, outcome.behind if whole else None, failed=False)
    return outcome


def _pulled(node: Node, peer: Peer, readable: dict[str, dict[str, Any]], outcome: Round
            ) -> dict[str, dict[str, Any]]:
    """The peer's collections a round pulls: each makes a collection here, so at most
    MOST_MIRRORED of them, those mirrored already first. The others are said in the round's
    outcome, and kept from no retraction: the peer still lets us read them."""
    if len(readable) <= MOST_MIRRORED:
        return readable
    known = _known_mirrors(node, peer)
    order = {cid: n for n, cid in enumerate(readable)}
    chosen = sorted(readable, key=lambda cid: (cid not in known, order[cid]))
    outcome.left_out = (
        f"{peer.name} lets this node read {len(readable):,} collections, more than the "
        f"{MOST_MIRRORED:,} of a peer's that are mirrored here: the other "
        f"{len(readable) - MOST_MIRRORED:,} are not pulled")
    return {cid: readable[cid] for cid in chosen[:MOST_MIRRORED]}


def _known_mirrors(node: Node, peer: Peer) -> dict[str, str]:
    found = PeerStore(node.engine).find(peer.name)
    return found.mirrors if found else {}


def _lose(pulling: Pulling, cid: str, why: str) -> int:
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


_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,199}")


def _readable(client: httpx.Client, url: str) -> dict[str, dict[str, Any]]:
    """The peer's collections this node's party may read, by id. A listing with a collection
    the node cannot name fails the round: read in part, it would retract what was pulled from
    the collections it left out."""
    readable: dict[str, dict[str, Any]] = {}
    for theirs in list_in(client, url, get_json(client, url), "collections"):
        cid = theirs.get("id") if isinstance(theirs, dict) else None
        if not isinstance(cid, str) or not cid:
            raise malformed(client, url, "a collection without an id")
        if not _IDENTIFIER.fullmatch(cid) or cid == MANIFESTS:
            # Named in this node's URLs and as a key of the peer's cursors, beside their own.
            shown = cid if len(cid) <= 80 else cid[:80] + "…"
            raise malformed(client, url, f"a collection id {shown!r} (a TAXII identifier is a "
                                         "UUID: letters, digits and '-')")
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


def _push_ledgers(pulling: Pulling, outcome: Round) -> None:
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


def sync_all(node: Node, retract_every: float = RETRACT_EVERY) -> list[Round]:
    """A round with every peer that is due: one that keeps failing is tried again after a
    growing pause (`Peer.next_attempt`), and the failure is noted (`accord peer list`).
    Each peer's manifests are read every `retract_every` seconds (sync_peer)."""
    rounds = []
    now = now_timestamp()
    for peer in PeerStore(node.engine).all():
        if node.stopping.is_set():  # the server stops: the next start carries on
            break
        due = peer.next_attempt()
        if due is not None and due > now:
            continue
        try:
            rounds.append(sync_peer(node, peer, retract_every=retract_every))
        except SyncError:
            continue
    if any(r.stored for r in rounds):
        screen_arrivals(node, max_batches=4)  # what peers sent, like what was posted here
    return rounds
