"""Signing keys from the command line: this node's (show, rotate) and its peers' (the keys
pinned for each, a deliberate re-pin after a peer's key was stolen)."""

from __future__ import annotations

import re
from typing import Annotated

import typer
from rich.markup import escape

from accord.cli.common import (
    DEFAULT_DB,
    AsJson,
    Db,
    app,
    err,
    fail,
    listing,
    opened,
    user_errors,
)
from accord.cli.federation import peer_app
from accord.cli.peer_tls import published_node
from accord.federation.following import repin
from accord.federation.keys import history, rotate
from accord.federation.transport import link_of
from accord.stix.timestamps import is_timestamp, now_timestamp
from accord.store.keyring import KeyChanged, Keyring
from accord.store.peers import PeerStore
from accord.words import how_many

key_app = typer.Typer(help="This node's signing key: its history, and rotating it.",
                      no_args_is_help=True)
app.add_typer(key_app, name="key")

_DAY = re.compile(r"\d{4}-\d\d-\d\d")


def _date(option: str, value: str | None) -> str | None:
    """A date given on the command line as a STIX timestamp (a bare day: its midnight UTC)."""
    if value is None:
        return None
    stamp = f"{value}T00:00:00Z" if _DAY.fullmatch(value) else value
    if not is_timestamp(stamp):
        raise fail(f"{option} {value!r}: give a day (2026-03-01) or a timestamp "
                   "(2026-03-01T09:30:00Z)")
    return stamp


@key_app.command("show")
def key_show(as_json: AsJson = False, db: Db = DEFAULT_DB) -> None:
    """Every signing key this node has had, oldest first: the current one signs; the others
    are kept so that what they signed still verifies (a stolen one, only before its date)."""
    with opened(db) as node:
        listing(({"fingerprint": k.fingerprint, "status": k.status, "created": k.created,
                  "retired": k.retired, "compromised_from": k.compromised_from,
                  "announced": k.announcement is not None, "public_key": k.public_key,
                  "announcement": k.announcement} for k in history(node)),
                ("fingerprint", "status", "created", "retired", "compromised_from",
                 "announced"), as_json=as_json)


@key_app.command("rotate")
def key_rotate(
    compromised_since: Annotated[str | None, typer.Option(
        help="The key was stolen, from this day or time on: no announcement (the thief could "
             "make one too); peers re-pin by the new fingerprint, told over another channel.")]
    = None,
    db: Db = DEFAULT_DB,
) -> None:
    """Sign with a new key from now on; prints its fingerprint. Peers follow at their next
    sync round: the old key announces the new one (published at GET /api/v1/node); the old
    key is kept so that what it signed still verifies."""
    since = _date("--compromised-since", compromised_since)
    with opened(db) as node, user_errors():
        try:
            done = rotate(node, now_timestamp(), since)
        except KeyChanged as changed:
            raise fail(str(changed)) from None
        err.print(f"Signing key rotated: {done.old.fingerprint} → {done.new.fingerprint}.")
        if since is None:
            err.print("Peers follow at their next round (the old key announced the new one).")
        else:
            err.print(
                f"{done.old.fingerprint} is marked stolen from {since}; "
                "what it signed since then is signed anew with the new key "
                f"({how_many(done.resigned, 'object')}). Peers will refuse the new key until "
                "each re-pins it: tell each peer's administrator, over another channel than "
                "this network (the hotline), the new fingerprint and the date, for them to "
                "run:")
            err.print(f"  accord peer rekey NAME --fingerprint {done.new.fingerprint} "
                      f"--revoke-from {since}")
        typer.echo(done.new.fingerprint)


@peer_app.command("keys")
def peer_keys(
    name: Annotated[str, typer.Argument(help="The peer, as `accord peer list` names it.")],
    as_json: AsJson = False,
    db: Db = DEFAULT_DB,
) -> None:
    """Every key of the peer pinned here: added with the peer, followed from an announcement
    at a round, or re-pinned by hand; a revoked one's signatures count only before its date."""
    with opened(db) as node:
        if PeerStore(node.engine).find(name) is None:
            raise fail(f"no peer named {name!r} (see `accord peer list`)")
        listing(({"fingerprint": k.fingerprint, "status": k.status, "pinned": k.pinned,
                  "how": k.how, "retired": k.retired, "revoked_from": k.revoked_from,
                  "public_key": k.public_key, "announcement": k.announcement}
                 for k in Keyring(node.engine).of_peer(name)),
                ("fingerprint", "status", "pinned", "how", "retired", "revoked_from"),
                as_json=as_json)


@peer_app.command("rekey")
def peer_rekey(
    name: Annotated[str, typer.Argument(help="The peer, as `accord peer list` names it.")],
    expect: Annotated[str, typer.Option(
        "--fingerprint", help="The fingerprint of the peer's new key, as its administrator "
                              "told it over another channel.")],
    revoke_from: Annotated[str | None, typer.Option(
        help="The peer's old keys were stolen from this day or time: what they signed dated "
             "then or later is refused, and removed here.")] = None,
    db: Db = DEFAULT_DB,
) -> None:
    """Pin the key a peer shows now, deliberately: after its old key was stolen (no
    announcement can vouch for the new one), once the fingerprints were compared out of band.
    The peer is read again from its start at the next round."""
    since = _date("--revoke-from", revoke_from)
    with opened(db) as node, user_errors():
        peer = PeerStore(node.engine).find(name)
        if peer is None:
            raise fail(f"no peer named {name!r} (see `accord peer list`)")
        try:
            done = repin(node, peer, published_node(link_of(peer.name, peer.url, peer.tls),
                                                      peer.token), expect, since)
        except KeyChanged as changed:
            raise fail(str(changed)) from None
        err.print(f"Peer [bold]{escape(name)}[/] re-pinned: {done.old} → {done.new}.")
        for fingerprint, date in sorted(done.revoked.items()):
            err.print(f"  {fingerprint} revoked from {date}")
        if since is not None:
            err.print(f"{how_many(len(done.removed), 'version')} held here that a revoked key "
                      f"signed since then removed (recorded in the audit trail: peer.rekey).")
