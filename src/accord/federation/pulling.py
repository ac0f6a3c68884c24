"""One of a peer's collections pulled in a round: its pages read from where the last round
stood (the date of the last page stored, or the peer's token where there was no date:
federation.waypoints), each page stored with the cursor's move in its transaction, then its
manifest honoured (federation.retraction) when the round reads them."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from accord import clock
from accord.attribution.objects import is_attribution_object
from accord.cooperation.admission import escalation_refusals, peers_receipts
from accord.cooperation.desk import Desk
from accord.cooperation.objects import PREFIX
from accord.cooperation.translations import is_translation
from accord.federation import waypoints
from accord.federation.authorship import authentic
from accord.federation.mirrors import mirror_for
from accord.federation.reading import (
    EmptyStretch,
    Followed,
    ManifestStopped,
    PageTooLarge,
    SyncError,
    get_json,
    list_in,
    malformed,
    moves_on,
    next_of,
    read_manifest,
)
from accord.federation.retraction import honour_manifest
from accord.federation.rounds import Pulling, QuotaReached, Round
from accord.intake import Screened, screen, store
from accord.node import Node
from accord.stix.timestamps import now_timestamp
from accord.store.directory import Collection
from accord.store.engine import writing
from accord.store.peers import WAYPOINT, Peer, PeerStore
from accord.store.quotas import OverQuota
from accord.store.summary_reads import parties_of
from accord.trust.audit import Event

log = logging.getLogger(__name__)


def pull_collection(pulling: Pulling, theirs: dict[str, Any], outcome: Round) -> None:
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
    dated: dict[str, Any] = {"limit": pulling.page_size, "match[version]": "all"}
    if added_after:
        dated["added_after"] = added_after
    url = f"{root}collections/{cid}/objects/"
    asked = Followed()  # the `next` tokens followed, against a peer that goes in circles

    def hold(conn: Connection) -> None:
        peers.hold_in(conn, peer.name, pulling.holder)

    # Where a past round stood with no date to go on from (federation.waypoints): resumed in
    # the read its token came from, until the first page is in.
    waypoint = waypoints.read(cursors.get(WAYPOINT + cid))
    first, params = dated, dated
    if waypoint is not None:
        first = {**{k: v for k, v in dated.items() if k != "added_after"},
                 **({"added_after": waypoint.added_after} if waypoint.added_after else {})}
        params = {**first, "next": waypoint.token}
        asked.tokens.add(waypoint.token)
    while True:
        try:
            # A 403 or 404 for a kept token says nothing of the collection.
            page = get_json(client, url, collection=waypoint is None, **params)
        except PageTooLarge:
            # A server that pages by count (another TAXII server; an Accord node before pages
            # had a byte budget) may send more than this node reads at once: smaller pages.
            if params["limit"] == 1:
                raise
            first["limit"] = max(1, params["limit"] // 4)
            params = {**params, "limit": first["limit"]}
            continue
        except SyncError as refused:
            if waypoint is None:
                raise
            # The token a past round kept is not taken (the peer forgot it, or rotated its
            # key): from the date instead.
            log.info("%s: its collection %s is read from its date again, not from where the "
                     "last round stood (%s)", peer.name, cid, refused)
            asked.tokens.discard(waypoint.token)
            waypoint, first = None, {**dated, "limit": first["limit"]}
            params = first
            continue
        objects = list_in(client, url, page, "objects")
        if len(objects) > params["limit"]:
            raise malformed(client, url, f"{len(objects)} objects when asked for at most "
                             f"{params['limit']}")
        last = page.get("_added_last")
        following = next_of(client, url, page)
        waypoint = None  # taken: a token equal to it further on is a loop, not a resumption
        # No date to go on from (a page of rows hidden from us, at an Accord node): the token
        # to carry on from is kept, so the next round does not walk them again; at the end of
        # the read, the token that asked for this last page.
        standing = following or params.get("next")
        here = waypoints.Waypoint(standing, first.get("added_after")) if standing else None

        def advance(conn: Connection, last: str | None = last, stored: int = len(objects),
                    here: waypoints.Waypoint | None = here) -> None:
            if last:
                peers.advance_in(conn, peer.name, pulling.holder, cid, last, stored)
            else:
                peers.stand_in(conn, peer.name, pulling.holder, cid, waypoints.kept(here),
                               stored)

        _store_page(node, peer, mirror, objects, outcome, advance, hold)
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
        if pulling.is_over():
            # What is stored stays, and the cursor says how far: the next round carries on.
            # Not the manifest's retractions: what was not read yet is not missing.
            outcome.cut_short = True
            return
        params = {**first, "next": following}
    if not pulling.manifests:
        return
    if pulling.is_over():
        outcome.cut_short = True  # the manifest waits for the next round
        return
    started = time.monotonic()
    try:
        retracted, behind = honour_manifest(
            node, peer.name, pulling.holder, cid, mirror,
            lambda: read_manifest(client, f"{root}collections/{cid}/manifest/", cid,
                                  pulling.until, pulling.round_seconds,
                                  pulling.is_stopped))
    except ManifestStopped:
        outcome.cut_short = True  # nothing retracted: the next round reads the manifest again
        return
    pulling.reading_manifests.append(time.monotonic() - started)
    outcome.retracted += retracted
    outcome.behind += behind


def _store_page(node: Node, peer: Peer, mirror: Collection, objects: list[Any],
                outcome: Round, advance: Callable[[Connection], None],
                hold: Callable[[Connection], None]) -> None:
    """Store one page; `advance` (the cursor) runs in the transaction of its last part, and
    `hold` (the round still holds the peer, else LeaseLost) in each part's before it: a round
    that lost the peer stores nothing more (a part stored before it lost it stays, and the
    round that took over pulls the page again)."""
    screened = screen(objects)
    kept, refused = authentic(node, screened.valid)
    # As over TAXII: a receipt counts only in the name of the party it receipts for.
    checked = peers_receipts(node.engine, Screened(kept, []))
    # As over TAXII: no escalation in the watcher's name, none for lateness stamped ahead.
    checked = escalation_refusals(node.engine, checked, clock.now())
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
    for n, (objs, part_target) in enumerate(parts, 1):
        desk = Desk(node) if part_target is None else None
        target = desk.collection() if desk is not None else part_target
        assert target is not None
        try:
            # The cursor moves with the page's last part, and only if no part was refused.
            report = store(node.engine, target, Screened(objs, []), party_id=peer.party_id,
                           also=advance if n == len(parts) and over is None else hold,
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
        if desk is not None:
            # The parties of the requests stored (not of those refused) may read the ledgers
            # collection here, where the operator set nothing else for them.
            # As stored here: a version refused beside a copy of the one stored (the same id
            # and version, other parties) lets no one in.
            desk.admit(target, parties_of(node.engine, [
                o.id for o in report.added + report.unchanged
                if o.id.startswith("x-accord-request--")]))
    outcome.refused += rejected
    if over is not None:
        raise QuotaReached(f"{peer.name}: {over}")


def _is_cooperation(obj: dict[str, Any]) -> bool:
    return str(obj.get("type", "")).startswith(PREFIX) or is_attribution_object(obj) \
        or is_translation(obj)
