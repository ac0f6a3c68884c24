"""Peers as stored rows: where they are, whom they stand for, how far each was read, and
which round holds each (one at a time: see `take_lease`)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, select, update

from accord import clock
from accord.stix.timestamps import format_timestamp, now_timestamp, parse_timestamp
from accord.store.directory import DirectoryError
from accord.store.engine import reading, writing
from accord.store.schema import peers


@dataclass(frozen=True, slots=True)
class PeerTls:
    """How the peer's TLS is checked (federation.pinning): the pin's kind ("certificate" or
    "ca") and PEM, and the client certificate and key files this node presents to it."""

    pin_kind: str
    pin: str
    client_cert: str | None = None
    client_key: str | None = None


@dataclass(frozen=True, slots=True)
class Peer:
    name: str
    url: str
    token: str
    party_id: str
    public_key: str
    added: str
    last_attempt: str | None
    last_success: str | None
    last_error: str | None
    # The peer's collection id -> the last date_added stored from it; WAYPOINT + the id -> the
    # peer's `next` token where a read stood that had no date_added to go on from; PUSH + our
    # collection's id -> how far it was pushed; MANIFESTS -> when its manifests are next read.
    cursors: dict[str, str]
    pulled: int
    failures: int = 0  # rounds failed in a row
    behind: int = 0  # objects the peer offered at the last round's end that are not here
    mirrors: dict[str, str] = field(default_factory=dict)  # peer collection id -> local one
    tls: PeerTls | None = None  # None: no pin (an http:// peer, or one added before pinning)

    def next_attempt(self) -> str | None:
        """When the continuous sync tries a failing peer again: 5 s after the first failure,
        doubling with each, at most an hour (None: at the next interval)."""
        if not self.failures or self.last_attempt is None:
            return None
        wait = timedelta(seconds=min(3600, 5 * 2 ** (self.failures - 1)))
        return format_timestamp(parse_timestamp(self.last_attempt) + wait)


# How long a round holds its peer without renewing (it renews at every page it stores). A
# round killed -9 holds it no longer than this, and not at all once another round on the same
# host sees that its process is gone.
LEASE = timedelta(seconds=60)
# Prefixes of the keys of a peer's cursors beside its collections' ids (Peer.cursors).
PUSH = "push:"
WAYPOINT = "next:"
MANIFESTS = "manifests"  # when the peer's manifests are next read whole (federation.sync)


class LeaseLost(Exception):
    """This round no longer holds the peer (it ran past its lease and another round took over,
    or `peer trust` reset the cursors under it): it must stop; the next round carries on."""


def new_holder() -> str:
    """Who a round is, for the lease: this host, this process, and this round alone."""
    return f"{here()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def here() -> str:
    """This host as a lease holder names it: its name and its namespace of process ids.
    Containers that share the host's name (`--network host`) do not share process ids: a
    live round in one would pass for a gone one in another, and be taken over at each round."""
    try:
        space = os.readlink("/proc/self/ns/pid").partition("[")[2].rstrip("]")
    except OSError:  # not Linux: the host's name alone
        space = ""
    return f"{socket.gethostname()}/{space}" if space else socket.gethostname()


def is_gone(holder: str) -> bool:
    """Whether the round `holder` names certainly ended: its process, on this host (and in
    this namespace of process ids), is gone (killed -9, say). Elsewhere nobody can tell: its
    lease runs out instead."""
    host, _, pid = holder.rpartition(":")[0].rpartition(":")
    if host != here() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # some other user's process: alive
    return False


class PeerStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, name: str, url: str, token: str, party_id: str, public_key: str,
            tls: PeerTls | None = None,
            earlier: Sequence[tuple[str, str, dict[str, Any]]] = ()) -> Peer:
        """Pin a new peer to `public_key` (and its TLS pin, `tls`; None: plain HTTP);
        `earlier`: the keys that one succeeded, each with when it was retired and the
        announcement binding it to its successor (what they signed still verifies)."""
        if self.find(name) is not None:
            raise DirectoryError(f"a peer named {name!r} exists already (see `accord peer list`)")
        added = now_timestamp()
        with writing(self.engine) as conn:
            conn.execute(peers.insert().values(
                name=name, url=url, token=token, party_id=party_id, public_key=public_key,
                added=added, cursors=b"{}", pulled=0, **_tls_columns(tls)))
            # Its keys (store.keyring), pinned with it.
            from accord.federation.signing import key_fingerprint
            from accord.store.keyring import Keyring, PeerKey

            Keyring.add_in(conn, PeerKey(name, key_fingerprint(public_key), public_key, added,
                                         "added", None, None, None))
            for key, retired, announcement in earlier:
                Keyring.add_in(conn, PeerKey(name, key_fingerprint(key), key, added, "history",
                                             retired, None, announcement))
        found = self.find(name)
        assert found is not None
        return found

    def repin(self, name: str, url: str, tls: PeerTls | None) -> Peer:
        """Keep a new pin (and URL, and client certificate) for the peer; what was pulled
        from it and its cursors stay (it is the same node: its key was checked)."""
        with writing(self.engine) as conn:
            done = conn.execute(update(peers).where(peers.c.name == name)
                                .values(url=url, **_tls_columns(tls)))
        found = self.find(name)
        if done.rowcount != 1 or found is None:
            raise DirectoryError(f"no peer named {name!r} (see `accord peer list`)")
        return found

    def find(self, name: str) -> Peer | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(peers).where(peers.c.name == name)).first()
        return None if row is None else _peer(row)

    def all(self) -> list[Peer]:
        with reading(self.engine) as conn:
            return [_peer(r) for r in conn.execute(select(peers).order_by(peers.c.name))]

    def party_keys(self) -> dict[str, str]:
        """Each peer's party id -> its published public key."""
        return {p.party_id: p.public_key for p in self.all()}

    def take_lease(self, name: str, holder: str) -> str | None:
        """Hold the peer for one round (None), unless another round does (then: who). A lease
        run out, or held by a process gone from this host, is taken over."""
        now = clock.now()
        with writing(self.engine) as conn:
            current, expires = conn.execute(
                select(peers.c.lease_holder, peers.c.lease_expires)
                .where(peers.c.name == name).with_for_update()).one()
            if current is not None and current != holder and expires is not None \
                    and parse_timestamp(expires) > now and not is_gone(current):
                return str(current)
            # Conditional on the holder seen: two takers never both succeed.
            seen = peers.c.lease_holder.is_(None) if current is None \
                else peers.c.lease_holder == current
            taken = conn.execute(update(peers).where(peers.c.name == name, seen).values(
                lease_holder=holder, lease_expires=format_timestamp(now + LEASE)))
            return None if taken.rowcount == 1 else str(current)

    def release(self, name: str, holder: str) -> None:
        with writing(self.engine) as conn:
            conn.execute(update(peers).where(peers.c.name == name, peers.c.lease_holder == holder)
                         .values(lease_holder=None, lease_expires=None))

    def renew(self, name: str, holder: str) -> None:
        """Keep holding the peer (raises LeaseLost if this round no longer does)."""
        with writing(self.engine) as conn:
            self.hold_in(conn, name, holder)

    def advance_in(self, conn: Connection, name: str, holder: str, collection_id: str,
                   added_after: str | None, stored: int) -> None:
        """In the transaction that stored the page: the peer's collection was read up to
        `added_after` (None: from its start again). Raises LeaseLost, undoing the page, if
        this round no longer holds the peer."""
        cursors = self.hold_in(conn, name, holder)
        cursors.pop(WAYPOINT + collection_id, None)
        if added_after is None:
            cursors.pop(collection_id, None)
        else:
            cursors[collection_id] = added_after
        self._move(conn, name, cursors, stored)

    def stand_in(self, conn: Connection, name: str, holder: str, collection_id: str,
                 waypoint: str | None, stored: int) -> None:
        """In the transaction that stored the page: the page gave no date_added to go on from
        (it brought nothing this node may read, say); the next round carries on from
        `waypoint` (federation.waypoints; None: from the date). Raises LeaseLost as
        advance_in does."""
        cursors = self.hold_in(conn, name, holder)
        if waypoint is None:
            cursors.pop(WAYPOINT + collection_id, None)
        else:
            cursors[WAYPOINT + collection_id] = waypoint
        self._move(conn, name, cursors, stored)

    def manifests_read(self, name: str, holder: str, due: str) -> None:
        """This round read every manifest of the peer whole: the next is due at `due`."""
        with writing(self.engine) as conn:
            cursors = self.hold_in(conn, name, holder)
            cursors[MANIFESTS] = due
            self._move(conn, name, cursors, 0)

    @staticmethod
    def _move(conn: Connection, name: str, cursors: dict[str, str], stored: int) -> None:
        conn.execute(update(peers).where(peers.c.name == name).values(
            cursors=orjson.dumps(cursors), pulled=peers.c.pulled + stored))

    def advance(self, name: str, holder: str, collection_id: str, added_after: str | None,
                stored: int) -> None:
        with writing(self.engine) as conn:
            self.advance_in(conn, name, holder, collection_id, added_after, stored)

    def hold_in(self, conn: Connection, name: str, holder: str) -> dict[str, str]:
        """Check that `holder` holds the peer and extend its lease; the peer's cursors."""
        row = conn.execute(select(peers.c.cursors, peers.c.lease_holder)
                           .where(peers.c.name == name).with_for_update()).one()
        if row.lease_holder != holder:
            raise LeaseLost(name)
        conn.execute(update(peers).where(peers.c.name == name).values(
            lease_expires=format_timestamp(clock.now() + LEASE)))
        return dict(orjson.loads(row.cursors))

    def add_mirror(self, name: str, collection_id: str, local_id: str) -> None:
        """Remember that the peer's collection lands in the local collection `local_id`."""
        with writing(self.engine) as conn:
            found = conn.execute(select(peers.c.mirrors).where(peers.c.name == name)
                                 .with_for_update()).scalar()
            mirrors = orjson.loads(found or b"{}") | {collection_id: local_id}
            conn.execute(update(peers).where(peers.c.name == name)
                         .values(mirrors=orjson.dumps(mirrors)))

    def reread(self) -> None:
        """Read every peer from the start at the next round (what was refused before may be
        taken now; what is held already stays as it is). A round running meanwhile loses its
        lease, so that it cannot move a cursor past what it refused before."""
        with writing(self.engine) as conn:
            for name in conn.execute(select(peers.c.name).with_for_update()).scalars().all():
                self.restart_in(conn, name)

    @staticmethod
    def restart_in(conn: Connection, name: str, *, soon: bool = False) -> None:
        """Read the peer from its start at the next round (pushes carry on where they were),
        and take the lease from a round running meanwhile. `soon`: at the next interval,
        whatever failed before (e.g. once its key is re-pinned)."""
        cursors = conn.execute(select(peers.c.cursors).where(peers.c.name == name)).scalar()
        kept = {k: v for k, v in orjson.loads(cursors or b"{}").items() if k.startswith(PUSH)}
        conn.execute(update(peers).where(peers.c.name == name).values(
            cursors=orjson.dumps(kept), lease_holder=None, lease_expires=None,
            **({"failures": 0} if soon else {})))

    def attempted(self, name: str, error: str | None, behind: int | None = None, *,
                  failed: bool | None = None) -> None:
        """A round ended: `error` says what went wrong, if anything; `failed` (by default,
        whether there is an error) whether it counts as a failure, after which the peer is
        tried again only after a growing pause."""
        now = now_timestamp()
        values: dict[str, object] = {"last_attempt": now, "last_error": error,
                                     "failures": peers.c.failures + 1}
        if failed is None:
            failed = error is not None
        if not failed:
            values["last_success"] = now
            values["failures"] = 0
        if behind is not None:
            values["behind"] = behind
        with writing(self.engine) as conn:
            conn.execute(update(peers).where(peers.c.name == name).values(**values))


def hosted_parties(engine: Engine) -> frozenset[str]:
    """The parties this node speaks for (and signs for): every party it knows but those a
    peer's node stands for."""
    from accord.store.schema import parties

    with engine.connect() as conn:
        known = set(conn.execute(select(parties.c.id)).scalars())
    return frozenset(known - set(PeerStore(engine).party_keys()))


def _peer(row: object) -> Peer:
    r = row  # a Row with the peers columns
    return Peer(r.name, r.url, r.token, r.party_id, r.public_key, r.added,  # type: ignore[attr-defined]
                r.last_attempt, r.last_success, r.last_error,  # type: ignore[attr-defined]
                orjson.loads(r.cursors), r.pulled, r.failures,  # type: ignore[attr-defined]
                r.behind, orjson.loads(r.mirrors or b"{}"),  # type: ignore[attr-defined]
                None if r.tls_pin is None else PeerTls(  # type: ignore[attr-defined]
                    r.tls_pin_kind, r.tls_pin, r.tls_client_cert,  # type: ignore[attr-defined]
                    r.tls_client_key))  # type: ignore[attr-defined]


def _tls_columns(tls: PeerTls | None) -> dict[str, str | None]:
    if tls is None:
        return {"tls_pin_kind": None, "tls_pin": None, "tls_client_cert": None,
                "tls_client_key": None}
    return {"tls_pin_kind": tls.pin_kind, "tls_pin": tls.pin,
            "tls_client_cert": tls.client_cert, "tls_client_key": tls.client_key}
