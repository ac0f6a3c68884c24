"""A pull never loses what the peer shares: not when two rounds with one peer overlap, not when
a source is trusted mid-round, not when a round is killed holding the peer."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys

import httpx
import orjson
from tests.integration.federation.conftest import MITRE, Federation, indicator

from accord.federation.authorship import TRUSTED_SOURCES
from accord.federation.sync import SyncError, sync_peer
from accord.store.peers import PeerStore


def _once(condition, action):  # type: ignore[no-untyped-def]
    """A hook that runs `action` at the first request meeting `condition`, then never again."""
    fired: list[bool] = []

    def hook(request: httpx.Request) -> httpx.Response | None:
        if not fired and condition(request):
            fired.append(True)
            return action(request)
        return None

    return hook


def test_a_round_started_while_another_runs_with_the_same_peer_loses_nothing(federation):
    f: Federation = federation
    f.share(*(indicator(n) for n in (1, 2, 3)))

    def meanwhile(request: httpx.Request) -> httpx.Response | None:
        # The first round has its (older) manifest in hand: the US adds an object, and a
        # second round with the US runs to its end before the first one goes on.
        answer = httpx.Response(200, headers={"Content-Type": "application/taxii+json"},
                                content=orjson.dumps({"more": False, "objects": [
                                    {"id": indicator(n)["id"]} for n in (1, 2, 3)]}))
        f.share(indicator(4))
        with contextlib.suppress(SyncError):  # refused while the first holds the peer: fine
            sync_peer(f.china, f.peer, f.transport)
        return answer

    f.hooks.append(_once(lambda r: "/manifest/" in r.url.path, meanwhile))
    sync_peer(f.china, f.peer, f.transport)
    sync_peer(f.china, f.peer, f.transport)
    assert f.held() == {indicator(n)["id"] for n in (1, 2, 3, 4)}


def test_a_source_trusted_during_a_round_is_read_again_from_the_start(federation):
    f: Federation = federation
    f.share(*(indicator(n, created_by_ref=MITRE) for n in (1, 2, 3, 4)))

    def trust(request: httpx.Request) -> None:
        # What `accord peer trust` does, while the round is between its two pages.
        f.china.directory.set_setting(TRUSTED_SOURCES, orjson.dumps([MITRE]).decode())
        PeerStore(f.china.engine).reread()

    f.hooks.append(_once(lambda r: "/objects/" in r.url.path and "next=" in str(r.url), trust))
    with contextlib.suppress(SyncError):  # the round may stop: its cursor was reset under it
        sync_peer(f.china, f.peer, f.transport, page_size=2)
    sync_peer(f.china, f.peer, f.transport, page_size=2)
    assert f.held() == {indicator(n)["id"] for n in (1, 2, 3, 4)}


def test_a_round_is_refused_while_another_holds_the_peer(federation):
    f: Federation = federation
    f.share(indicator(1))
    refusals: list[str] = []

    def second_round(request: httpx.Request) -> None:
        try:
            sync_peer(f.china, f.peer, f.transport)
        except SyncError as error:
            refusals.append(str(error))

    f.hooks.append(_once(lambda r: "/objects/" in r.url.path, second_round))
    sync_peer(f.china, f.peer, f.transport)
    assert len(refusals) == 1 and "already" in refusals[0]
    assert PeerStore(f.china.engine).find("us").last_error is None  # not counted as a failure
    assert f.held() == {indicator(1)["id"]}


def test_a_killed_round_does_not_keep_the_next_one_waiting(federation):
    f: Federation = federation
    f.share(indicator(1))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process id that is no longer running: a round killed -9 held the peer
    peers = PeerStore(f.china.engine)
    assert peers.take_lease("us", f"{socket.gethostname()}:{gone.pid}:x") is None
    sync_peer(f.china, f.peer, f.transport)
    assert f.held() == {indicator(1)["id"]}
