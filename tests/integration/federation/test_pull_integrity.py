"""A pull never loses what the peer shares: not when two rounds with one peer overlap, not when
a source is trusted mid-round, not when a round is killed holding the peer, nor when one waits
longer than its lease; and a round another took the peer from stores no part of a page."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta

import httpx
import orjson
from sqlalchemy import update
from tests.integration.federation.conftest import MITRE, Federation, indicator
from tests.integration.federation.test_pulled_requests import _sent

from accord import clock
from accord.cooperation.desk import Desk
from accord.federation import rounds
from accord.federation.authorship import TRUSTED_SOURCES
from accord.federation.rounds import PeerBusy
from accord.federation.sync import SyncError, sync_peer
from accord.stix.timestamps import format_timestamp
from accord.store.engine import writing
from accord.store.peers import PeerStore, here, is_gone
from accord.store.schema import peers


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


def _second_round_meanwhile(f: Federation, before: Callable[[], None] = lambda: None
                            ) -> list[str]:
    """Run a round in which, as its first page is asked for, `before()` and then a second
    round with the same peer run; what that second round was refused."""
    refusals: list[str] = []

    def second_round(request: httpx.Request) -> None:
        before()
        try:
            sync_peer(f.china, f.peer, f.transport)
        except SyncError as error:
            refusals.append(str(error))

    f.hooks.append(_once(lambda r: "/objects/" in r.url.path, second_round))
    sync_peer(f.china, f.peer, f.transport)
    return refusals


def test_a_round_is_refused_while_another_holds_the_peer(federation):
    f: Federation = federation
    f.share(indicator(1))
    refusals = _second_round_meanwhile(f)
    assert len(refusals) == 1 and "already" in refusals[0]
    assert PeerStore(f.china.engine).find("us").last_error is None  # not counted as a failure
    assert f.held() == {indicator(1)["id"]}


def test_a_killed_round_does_not_keep_the_next_one_waiting(federation):
    f: Federation = federation
    f.share(indicator(1))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process id that is no longer running: a round killed -9 held the peer
    peers = PeerStore(f.china.engine)
    assert peers.take_lease("us", f"{here()}:{gone.pid}:x") is None
    sync_peer(f.china, f.peer, f.transport)
    assert f.held() == {indicator(1)["id"]}


def test_a_round_waiting_on_the_peer_longer_than_its_lease_keeps_the_peer(federation,
                                                                           monkeypatch):
    f: Federation = federation
    f.share(indicator(1))
    monkeypatch.setattr(rounds, "RENEW_EVERY", 0.05)

    def slow() -> None:
        # The page takes more than the lease to come (a slow peer, a large page): the round's
        # renewals meanwhile keep another round, on this host or another, from taking over.
        monkeypatch.setattr(clock, "_OFFSET", clock._OFFSET + timedelta(seconds=61))
        time.sleep(0.5)

    refusals = _second_round_meanwhile(f, slow)
    assert len(refusals) == 1 and "already" in refusals[0]
    assert f.held() == {indicator(1)["id"]}


def test_a_round_another_took_the_peer_from_stores_no_part_of_the_page(federation):
    f: Federation = federation
    third = f.china.directory.add_party("United Kingdom (NCSC)")
    f.share(indicator(1))
    rid = _sent(f, third.id, reaching_it=True)  # the page: evidence and a request's ledger
    f.hooks.append(lambda r: httpx.Response(202, json={"success_count": 0})
                   if r.method == "POST" else None)

    def holder(name: str | None) -> None:
        with writing(f.china.engine) as conn:
            conn.execute(update(peers).where(peers.c.name == "us").values(
                lease_holder=name, lease_expires=None if name is None else format_timestamp(
                    clock.now() + timedelta(minutes=5))))

    # While the page comes, a round on another host takes the peer over (this one had run
    # past its lease, say).
    f.hooks.append(_once(lambda r: "/objects/" in r.url.path,
                         lambda r: holder("another-host:1:round")))
    try:
        sync_peer(f.china, f.peer, f.transport)
    except PeerBusy as busy:
        assert "another took the peer over" in str(busy)
    else:
        raise AssertionError("the round went on without its lease")
    requests = Desk(f.china).collection().id
    assert not f.china.objects.count(f.mirror().id)
    assert not f.china.objects.exists(requests, rid)
    holder(None)  # that round ended: the next one here pulls the page whole
    sync_peer(f.china, f.peer, f.transport)
    assert f.held() == {indicator(1)["id"]}
    assert f.china.objects.exists(requests, rid)


def test_a_round_on_a_host_of_the_same_name_but_other_process_ids_is_not_taken_for_gone():
    """Containers sharing the host's name (`--network host`) do not share process ids: a
    process id missing here says nothing of a round there."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert is_gone(f"{here()}:{gone.pid}:x")
    assert not is_gone(f"{here()}:{os.getpid()}:x")  # this very process: alive
    assert not is_gone(f"{here()}9:{gone.pid}:x")  # the same name, another namespace
    assert not is_gone(f"another-host:{gone.pid}:x")
