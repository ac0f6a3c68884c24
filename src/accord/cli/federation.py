"""Peers and sync, from the command line."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.markup import escape

from accord import clock
from accord.cli.common import (
    DEFAULT_DB,
    AsJson,
    Db,
    Row,
    app,
    cell,
    err,
    fail,
    listing,
    opened,
    record,
    report_arrivals,
    said,
    user_errors,
)
from accord.cli.peer_tls import (
    ClientCert,
    ClientKey,
    Insecure,
    TlsCa,
    TlsFingerprint,
    published_node,
    secured,
)
from accord.cooperation.desk import Desk
from accord.federation.authorship import TRUSTED_SOURCES, trusted_sources
from accord.federation.following import earlier_keys
from accord.federation.signing import fingerprint, load_public, public_bytes
from accord.federation.sync import ROUND_SECONDS, PeerBusy, Round, SyncError, sync_peer
from accord.federation.time_zones import learn_time_zone
from accord.federation.transport import link_of, pin_of
from accord.node import Node
from accord.stix.timestamps import parse_timestamp
from accord.store.peers import LEASE, Peer, PeerStore, PeerTls
from accord.words import how_many

peer_app = typer.Typer(help="Peers: other parties' nodes this node federates with.",
                       no_args_is_help=True)
app.add_typer(peer_app, name="peer")


@peer_app.command("add")
def peer_add(
    name: Annotated[str, typer.Argument(help="A short name for the peer, e.g. china.")],
    url: Annotated[str, typer.Option(help="The peer's base URL, e.g. https://cert.example.cn/")],
    token: Annotated[str, typer.Option(help="The token the peer gave this node's party.")],
    party: Annotated[str | None, typer.Option(
        help="A party registered here that the peer stands for (it takes the peer's identity).")]
    = None,
    expect: Annotated[str | None, typer.Option(
        "--fingerprint", help="Refuse the peer unless its key has this fingerprint.")] = None,
    insecure: Insecure = False,
    tls_fingerprint: TlsFingerprint = None,
    tls_ca: TlsCa = None,
    client_cert: ClientCert = None,
    client_key: ClientKey = None,
    db: Db = DEFAULT_DB,
) -> None:
    """Pin a peer: its TLS certificate (or CA), then its party's identity and public key;
    prints the key's fingerprint."""
    if not url.startswith(("http://", "https://")):
        raise fail(f"--url {url!r}: give the peer's full URL, e.g. https://cert.example.cn/")
    url = url.rstrip("/") + "/"
    tls = secured(name, url, insecure, tls_fingerprint, tls_ca, client_cert, client_key)
    published = published_node(link_of(name, url, tls), token)
    identity, key = published["identity"], published["public_key"]
    seen = fingerprint(public_bytes(load_public(key)))
    if expect is not None and expect != seen:
        raise fail(f"{url} has key {seen}, not {expect}: refusing it (a different node, or "
                   "someone in between)")
    with opened(db) as node, user_errors():
        local = node.directory.party(party) if party else None
        pinned = node.directory.pin_party(identity, local)
        # The keys its current one succeeded: what they signed verifies here too.
        PeerStore(node.engine).add(name, url, token, pinned.id, key, tls,
                                   earlier=earlier_keys(published, pinned.id))
        # The peer delivers its requests and acts here, and reads ours back.
        desk = Desk(node)
        desk.admit(desk.collection(), [pinned.id])
        record(node, "peer.add", peer=name, url=url, party=pinned.id, fingerprint=seen,
               **_tls_detail(tls))
        learn_time_zone(node, pinned.id, published, name)
        err.print(f"Peer [bold]{escape(name)}[/] pinned: {escape(pinned.name)} "
                  f"({pinned.id}); key fingerprint:")
        typer.echo(seen)


@peer_app.command("repin")
def peer_repin(
    name: Annotated[str, typer.Argument(help="The peer, as `accord peer list` names it.")],
    url: Annotated[str | None, typer.Option(
        help="A new base URL for the peer (default: the one it has).")] = None,
    insecure: Insecure = False,
    tls_fingerprint: TlsFingerprint = None,
    tls_ca: TlsCa = None,
    client_cert: ClientCert = None,
    client_key: ClientKey = None,
    db: Db = DEFAULT_DB,
) -> None:
    """Pin the peer's TLS certificate anew, deliberately (it changed it, or moved to https://):
    by its fingerprint, compared out of band, or a CA; the node behind it must still have the
    peer's pinned key. Prints the new fingerprint."""
    with opened(db) as node:
        store = PeerStore(node.engine)
        peer = store.find(name)
        if peer is None:
            raise fail(f"no peer named {name!r} (see `accord peer list`)")
        if url is not None and not url.startswith(("http://", "https://")):
            raise fail(f"--url {url!r}: give the peer's full URL, e.g. https://cert.example.cn/")
        where = (url or peer.url).rstrip("/") + "/"
        if client_cert is None and client_key is None and peer.tls is not None \
                and peer.tls.client_cert is not None and peer.tls.client_key is not None \
                and where.startswith("https://"):  # kept unless replaced
            client_cert, client_key = Path(peer.tls.client_cert), Path(peer.tls.client_key)
        tls = secured(name, where, insecure, tls_fingerprint, tls_ca, client_cert, client_key,
                      first_use=False)
        key = published_node(link_of(name, where, tls), peer.token)["public_key"]
        if key != peer.public_key:
            was = fingerprint(public_bytes(load_public(peer.public_key)))
            now = fingerprint(public_bytes(load_public(key)))
            raise fail(f"{where} is a node with key {now}, not the pinned {was}: refusing to "
                       "re-pin (a different node, or someone in between)")
        store.repin(name, where, tls)
        record(node, "peer.repin", peer=name, url=where,
               was=_tls_detail(peer.tls if peer.url.startswith("https://") else None),
               **_tls_detail(tls))
        if tls is None:
            err.print(f"Peer [bold]{escape(name)}[/] is now reached over plain HTTP.")
            return
        shown = pin_of(tls)
        err.print(f"Peer [bold]{escape(name)}[/] re-pinned: {escape(shown.describe())}")
        typer.echo(shown.fingerprint)


def _tls_detail(tls: PeerTls | None) -> dict[str, object]:
    """What the audit trail keeps of a peer's TLS: insecure, or the pin and client cert."""
    if tls is None:
        return {"insecure": True}
    pin = pin_of(tls)
    return {"tls_pin": pin.kind, "tls_fingerprint": pin.fingerprint,
            "client_cert": tls.client_cert}


@peer_app.command("list")
def peer_list(
    as_json: AsJson = False,
    db: Db = DEFAULT_DB,
) -> None:
    """Each peer and its state: last success, last error, how much was pulled."""
    columns = ("name", "party", "url", "tls", "last_success", "lag_seconds", "lag_objects",
               "pulled", "last_error")

    def cells(row: Row) -> list[str]:
        synced = row["lag_seconds"] is not None
        shown = {"last_success": row["last_success"] or "never",
                 "lag_seconds": f"{row['lag_seconds']:.0f} s" if synced else "never synced",
                 "lag_objects": row["lag_objects"] if synced else None,
                 "last_error": (row["last_error"] or "")
                 + (f" ({row['failures']} failed rounds; next try {row['next_attempt']})"
                    if row["failures"] else ""),
                 "tls": _tls_cell(row)}
        # The TLS cell is this node's own markup (its peer's name escaped in it): shown as
        # such, where what a peer chose is escaped.
        return [str(shown["tls"]) if c == "tls" else cell(shown.get(c, row[c])) for c in columns]

    with opened(db) as node:
        names = node.directory.names()
        listing(({"name": p.name, "url": p.url, "party": names.get(p.party_id, p.party_id),
                  "party_id": p.party_id,
                  "fingerprint": fingerprint(public_bytes(load_public(p.public_key))),
                  "last_attempt": p.last_attempt, "last_success": p.last_success,
                  "last_error": p.last_error, "failures": p.failures,
                  "next_attempt": p.next_attempt(), "lag_seconds": _lag(p.last_success),
                  "lag_objects": p.behind, "pulled": p.pulled, "cursors": p.cursors,
                  **_tls_state(p)}
                 for p in PeerStore(node.engine).all()),
                columns, as_json=as_json, cells=cells)


def _tls_state(peer: Peer) -> dict[str, object]:
    """How the peer's connection is secured: `tls` is "insecure" (plain http://), "certificate"
    or "ca" (the pin), or "unpinned" (an https:// peer added before pinning: not synced)."""
    if peer.url.startswith("http://"):
        return {"tls": "insecure", "insecure": True, "tls_fingerprint": None,
                "client_cert": None}
    if peer.tls is None:
        return {"tls": "unpinned", "insecure": False, "tls_fingerprint": None,
                "client_cert": None}
    return {"tls": peer.tls.pin_kind, "insecure": False,
            "tls_fingerprint": pin_of(peer.tls).fingerprint, "client_cert": peer.tls.client_cert}


def _tls_cell(row: Row) -> str:
    if row["tls"] == "insecure":
        return "[bold red]INSECURE (http)[/]"
    if row["tls"] == "unpinned":
        return f"[bold red]not pinned: accord peer repin {escape(row['name'])}[/]"
    # Enough of the fingerprint to tell pins apart; `--json` has all of it.
    shown = f"{row['tls']} {row['tls_fingerprint'][:22]}…"
    return shown + (" + client cert" if row["client_cert"] else "")


def _lag(last_success: str | None) -> float | None:
    """How long ago the last complete round ended: how far behind the peer we may be."""
    if last_success is None:
        return None
    return round((clock.now() - parse_timestamp(last_success)).total_seconds(), 1)


@peer_app.command("trust")
def peer_trust(
    identity: Annotated[str, typer.Argument(help="The identity id of a source, e.g. MITRE's "
                                                 "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5.")],
    remove: Annotated[bool, typer.Option("--remove", help="Trust it no more.")] = False,
    db: Db = DEFAULT_DB,
) -> None:
    """Take a source's objects from peers unsigned (no party of a peer speaks for it: ATT&CK,
    say); the next sync re-reads every peer for them. Objects claiming a party's authorship
    always need that party's signature."""
    if not identity.startswith("identity--"):
        raise fail(f"{identity!r} is not an identity id (identity--…)")
    with opened(db) as node:
        if node.directory.find_party(identity) is not None:
            raise fail(f"{identity} is a party here: its objects are checked by signature")
        trusted = [t for t in trusted_sources(node) if t != identity]
        if not remove:
            trusted.append(identity)
        node.directory.set_setting(TRUSTED_SOURCES, orjson.dumps(sorted(trusted)).decode())
        if not remove:  # what peers offered before and was refused comes at the next round
            PeerStore(node.engine).reread()
        record(node, "peer.trust", identity=identity, trusted=not remove)
        err.print(f"Trusted unsigned sources: {len(trusted)}")
        for each in sorted(trusted):
            typer.echo(each)


@app.command()
def sync(
    peer: Annotated[str | None, typer.Option(help="Only this peer (default: every peer).")]
    = None,
    page_size: Annotated[int, typer.Option(min=1, max=1000,
                                           help="Objects per TAXII page pulled.")] = 1000,
    db: Db = DEFAULT_DB,
) -> None:
    """One sync round: pull what each peer lets this node read. Exit 0 when every round
    completed."""
    with opened(db) as node:
        store = PeerStore(node.engine)
        chosen = store.all() if peer is None else [store.find(peer)]
        if chosen == [None]:
            raise fail(f"no peer named {peer!r} (see `accord peer list`)")
        failed = False
        for each in chosen:
            assert each is not None
            if each.url.startswith("http://"):
                err.print(f"[bold red]{escape(each.name)}: INSECURE (http://):[/] the token and "
                          "all that is federated travel in clear")
            try:
                done = _sync_when_free(node, each, page_size)
            except SyncError as error:
                err.print(f"[bold red]{said(each.name)}:[/] {said(str(error))}")
                failed = True
                continue
            err.print(f"{said(each.name)}: {done.stored} stored, {done.unchanged} already "
                      f"here, {len(done.refused)} refused, "
                      f"from {how_many(done.collections, 'collection')}, {done.retracted} "
                      "retracted; "
                      f"{how_many(done.pushed, 'ledger entry', 'ledger entries')} delivered, "
                      f"{len(done.push_refused)} refused by the peer")
            if done.cut_short:
                err.print(f"  stopped after {ROUND_SECONDS / 60:.0f} minutes of pulling: the "
                          "next round carries on from there")
            for unfinished in done.unfinished:
                err.print(f"  [bold yellow]not all pulled[/]: {said(unfinished)}")
            if done.left_out:
                err.print(f"  [bold yellow]not all pulled[/]: {said(done.left_out)}")
            if done.over_quota:
                err.print(f"  [bold yellow]not all pulled[/]: {said(done.over_quota)} "
                          f"(`accord party quota`; once there is room the next round carries "
                          "on where this one stopped)")
            for refusal_text in done.push_refused:
                err.print(f"  the peer refused {said(refusal_text)}")
            for refusal in done.refused:
                err.print(f"  refused {said(refusal.id or '?')}: {said(refusal.message)}")
        report_arrivals(node)
    if failed:
        raise typer.Exit(1)


def _sync_when_free(node: Node, peer: Peer, page_size: int) -> Round:
    """One round with `peer`, after the one already running (under `accord serve`, say) ends;
    a round killed -9 holds the peer until its lease runs out, or not at all on this host."""
    deadline = time.monotonic() + LEASE.total_seconds() + 5
    told = False
    while True:
        try:
            return sync_peer(node, peer, page_size=page_size)
        except PeerBusy as busy:
            if time.monotonic() > deadline:
                raise
            if not told:
                err.print(f"{escape(peer.name)}: {escape(str(busy))}; waiting for it to end")
                told = True
            time.sleep(0.5)
