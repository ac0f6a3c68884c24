"""What a peer withdrew (deleted, or tightened beyond us) is found only in its manifests, read
whole: every object of every collection it shares, each audited by the peer as read. The
continuous sync reads them every `retract_every` seconds, not at every 5-second round (a
collection of ATT&CK's size would cost the peer 25,000 audit rows a round); `accord sync`
reads them at every round. A round that did not read them all leaves them due."""

from __future__ import annotations

from datetime import timedelta

import httpx
import orjson
import pytest
from tests.integration.federation.conftest import Federation, indicator
from typer.testing import CliRunner

from accord import clock
from accord.cli import app
from accord.federation import sync
from accord.federation.sync import sync_peer
from accord.store.peers import MANIFESTS, PeerStore
from accord.store.query import ALL, ObjectQuery

TEN_MINUTES = 600.0
TAXII = "application/taxii+json;version=2.1"


@pytest.fixture
def manifests_read(federation: Federation) -> list[str]:
    """The manifests China's node asks for, in order (their paths)."""
    asked: list[str] = []

    def note(request: httpx.Request) -> None:
        if request.url.path.endswith("/manifest/"):
            asked.append(request.url.path)

    federation.hooks.append(note)  # type: ignore[arg-type]
    return asked


def _later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    monkeypatch.setattr(clock, "_OFFSET", clock._OFFSET + timedelta(seconds=seconds))


def _withdraw(f: Federation, n: int) -> None:
    f.us.node.objects.delete(f.shared.id, str(indicator(n)["id"]),
                             ObjectQuery(versions=frozenset({ALL})))


def _peer(f: Federation):  # type: ignore[no-untyped-def]
    found = PeerStore(f.china.engine).find(f.peer.name)
    assert found is not None
    return found


def test_the_manifests_are_read_again_only_when_due(federation, manifests_read, monkeypatch):
    f: Federation = federation
    f.share(indicator(1), indicator(2))
    first = sync_peer(f.china, f.peer, f.transport, retract_every=TEN_MINUTES)
    assert first.stored == 2 and len(manifests_read) == 1
    _withdraw(f, 1)
    f.share(indicator(3))
    soon = sync_peer(f.china, f.peer, f.transport, retract_every=TEN_MINUTES)
    # New objects still arrive at every round; what was withdrawn waits for the manifests.
    assert (soon.stored, soon.retracted, len(manifests_read)) == (1, 0, 1)
    assert f.held() == {str(indicator(n)["id"]) for n in (1, 2, 3)}
    _later(monkeypatch, TEN_MINUTES + 1)
    due = sync_peer(f.china, f.peer, f.transport, retract_every=TEN_MINUTES)
    assert (due.retracted, len(manifests_read)) == (1, 2)
    assert f.held() == {str(indicator(n)["id"]) for n in (2, 3)}


def test_accord_sync_reads_them_at_every_round(federation, manifests_read):
    f: Federation = federation
    f.share(indicator(1), indicator(2))
    sync_peer(f.china, f.peer, f.transport, retract_every=TEN_MINUTES)
    _withdraw(f, 1)
    again = sync_peer(f.china, f.peer, f.transport)  # retract_every 0: what `accord sync` does
    assert (again.retracted, len(manifests_read)) == (1, 2)


def test_how_far_behind_stays_as_the_last_manifests_said(federation, manifests_read):
    f: Federation = federation
    f.share(indicator(1))

    def one_more(request: httpx.Request) -> httpx.Response | None:
        # The peer lists one object more than it sends: one this node does not hold.
        if not request.url.path.endswith("/manifest/"):
            return None
        return httpx.Response(200, headers={"Content-Type": TAXII}, content=orjson.dumps(
            {"more": False, "objects": [{"id": str(indicator(n)["id"])} for n in (1, 99)]}))

    f.hooks.append(one_more)
    sync_peer(f.china, f.peer, f.transport, retract_every=TEN_MINUTES)
    assert _peer(f).behind == 1
    sync_peer(f.china, f.peer, f.transport, retract_every=TEN_MINUTES)
    assert len(manifests_read) == 1 and _peer(f).behind == 1  # not reset unmeasured


def test_a_round_that_read_not_all_of_them_leaves_them_due(federation, manifests_read,
                                                           monkeypatch):
    f: Federation = federation
    f.share(*(indicator(n) for n in (1, 2, 3)))
    monkeypatch.setattr(sync, "ROUND_SECONDS", 0.0)  # cut short after its first page
    cut = sync_peer(f.china, f.peer, f.transport, page_size=1, retract_every=TEN_MINUTES)
    assert cut.cut_short and manifests_read == [] and MANIFESTS not in _peer(f).cursors
    monkeypatch.setattr(sync, "ROUND_SECONDS", 600.0)
    sync_peer(f.china, f.peer, f.transport, page_size=1, retract_every=TEN_MINUTES)
    assert len(manifests_read) == 1 and MANIFESTS in _peer(f).cursors


def test_a_peer_read_from_its_start_again_has_its_manifests_read_at_once(
        federation, manifests_read):
    f: Federation = federation
    f.share(indicator(1), indicator(2))
    sync_peer(f.china, f.peer, f.transport, retract_every=TEN_MINUTES)
    _withdraw(f, 1)
    PeerStore(f.china.engine).reread()  # as `accord peer trust` does
    again = sync_peer(f.china, f.peer, f.transport, retract_every=TEN_MINUTES)
    assert (again.retracted, len(manifests_read)) == (1, 2)


def test_manifests_slow_to_read_are_read_less_often(federation, manifests_read, monkeypatch):
    f: Federation = federation
    f.share(indicator(1))
    monkeypatch.setattr(sync, "MANIFEST_SHARE", 10**9)  # as if each read took an age
    sync_peer(f.china, f.peer, f.transport, retract_every=1.0)
    _later(monkeypatch, 60)
    sync_peer(f.china, f.peer, f.transport, retract_every=1.0)
    assert len(manifests_read) == 1


def test_serve_refuses_a_retract_interval_it_cannot_read(tmp_path):
    done = CliRunner().invoke(app, ["serve", "--retract-every", "often",
                                    "--db", str(tmp_path / "n.db")])
    assert done.exit_code != 0
    assert "--retract-every" in done.stderr
