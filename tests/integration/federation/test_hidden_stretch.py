"""A peer's collection where most rows are hidden from this node's party: an Accord peer ends
each page early where its walk met too many of them (store.query.ObjectQuery.most_walked),
sending pages of nothing that say there is more. A round follows a bounded number of them; the
next round carries on from the peer's last token (kept in the peer's cursors), so the pull
gets through a stretch of any length, round after round, and never walks it twice."""

from __future__ import annotations

from dataclasses import replace

import httpx
import orjson
import pytest
from sqlalchemy import update
from tests.integration.federation.conftest import Federation, indicator
from typer.testing import CliRunner

from accord.cli import app
from accord.cli import federation as cli_federation
from accord.federation import reading, sync
from accord.federation.sync import SyncError, sync_peer
from accord.store.peers import WAYPOINT, PeerStore
from accord.store.query import ALL, ObjectQuery
from accord.store.schema import peers
from accord.trust.markings import ACCORD_MARKING_EXTENSION, MARKING_FOR, Tlp

TAXII = {"Content-Type": "application/taxii+json;version=2.1"}
WALK = 20  # rows a page of the US node walks, made small
EMPTY = 3  # empty pages a round follows in a row (reading.EMPTY_IN_A_ROW), made small


def _seen(n: int) -> dict[str, object]:
    return indicator(n, object_marking_refs=[MARKING_FOR[Tlp.GREEN]])


def _hidden(n: int, to: str) -> dict[str, object]:
    return indicator(n, object_marking_refs=[MARKING_FOR[Tlp.AMBER_STRICT]], extensions={
        ACCORD_MARKING_EXTENSION: {"extension_type": "property-extension",
                                   "recipients": [to]}})


@pytest.fixture
def stretch(federation: Federation, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Two objects China may read, 400 rows it may not between them (20 walks of the US
    node's pages: more than a round follows), one more after them; the ids China may read."""
    f = federation
    own = f.us.own.id
    f.share(_seen(1))
    f.share(*(_hidden(n, own) for n in range(100, 500)))
    f.share(_seen(2), _hidden(600, own), _seen(3))
    f.us.node.info = replace(f.us.node.info, most_walked=WALK)
    monkeypatch.setattr(reading, "EMPTY_IN_A_ROW", EMPTY)
    return [str(_seen(n)["id"]) for n in (1, 2, 3)]


def _waypoint(f: Federation) -> str | None:
    found = PeerStore(f.china.engine).find(f.peer.name)
    assert found is not None
    return found.cursors.get(WAYPOINT + f.shared.id)


def test_a_long_stretch_of_hidden_rows_is_crossed_round_after_round(federation, stretch):
    f: Federation = federation
    rounds, waypoints = [], []
    while len(rounds) < 20:
        rounds.append(sync_peer(f.china, f.peer, f.transport, page_size=100))
        waypoints.append(_waypoint(f))
        if not rounds[-1].unfinished:
            break
    # 400 hidden rows are about 21 walks (each page ends at its walk's last row, the first
    # of the next), and a round follows EMPTY + 1 empty pages: six rounds, or seven.
    assert 5 < len(rounds) <= 7, [r.unfinished for r in rounds]
    assert f.held() == set(stretch)
    first = rounds[0]
    assert first.stored == 1 and first.retracted == 0 and not first.cut_short
    assert "sent nothing in 4 pages in a row" in first.unfinished[0]
    assert "the next round carries on from there" in first.unfinished[0]
    # Each unfinished round kept a new place to carry on from; the last one ended the read.
    assert len(set(waypoints[:-1])) == len(rounds) - 1 and None not in waypoints[:-1]
    assert waypoints[-1] is None
    assert sum(r.stored for r in rounds) == 3
    peer = PeerStore(f.china.engine).find(f.peer.name)
    assert peer is not None and peer.failures == 0  # not a failure: nothing backed off from
    assert peer.last_error is None  # the last round read to the end
    again = sync_peer(f.china, f.peer, f.transport, page_size=100)
    assert (again.stored, again.unfinished) == (0, [])


def test_an_unfinished_round_is_said_but_not_backed_off_from(federation, stretch):
    f: Federation = federation
    sync_peer(f.china, f.peer, f.transport, page_size=100)
    peer = PeerStore(f.china.engine).find(f.peer.name)
    assert peer is not None
    assert peer.failures == 0 and peer.next_attempt() is None
    assert peer.last_error and "pages in a row" in peer.last_error


def test_rounds_cut_short_by_time_inside_a_stretch_still_move_on(federation, stretch,
                                                                 monkeypatch):
    f: Federation = federation
    monkeypatch.setattr(sync, "ROUND_SECONDS", 0.0)  # each round reads one page
    asked: list[str | None] = []

    def note(request: httpx.Request) -> None:
        if request.url.path.endswith("/objects/"):
            asked.append(request.url.params.get("next"))

    f.hooks.append(note)  # type: ignore[arg-type]
    for _ in range(40):
        try:
            sync_peer(f.china, f.peer, f.transport, page_size=100)
        except SyncError as error:  # the pull read to its end; the manifest cannot, in no time
            assert "manifest" in str(error)
            break
    assert f.held() == set(stretch)
    # Never the same page twice: each round asked where the one before stopped.
    tokens = [t for t in asked if t is not None]
    assert len(tokens) == len(set(tokens))
    assert len(asked) <= 400 // WALK + 5


def test_a_token_the_peer_no_longer_takes_is_read_past_from_the_date(federation, stretch):
    f: Federation = federation
    sync_peer(f.china, f.peer, f.transport, page_size=100)
    assert _waypoint(f)
    for answer in (404, 400):
        # The peer forgot the token (another server's tokens expire; an Accord node's key
        # rotated): the read goes on from the date_added, the collection is not lost.
        kept = _waypoint(f)
        assert kept

        def refuse(request: httpx.Request, answer: int = answer, kept: str = kept
                   ) -> httpx.Response | None:
            if request.url.params.get("next") == kept:
                return httpx.Response(answer, headers=TAXII, content=b'{"title": "no"}')
            return None

        f.hooks[:] = [refuse]
        done = sync_peer(f.china, f.peer, f.transport, page_size=100)
        assert done.retracted == 0 and f.held() >= {stretch[0]}
    f.hooks.clear()
    for _ in range(10):
        if not sync_peer(f.china, f.peer, f.transport, page_size=100).unfinished:
            break
    assert f.held() == set(stretch)


def test_a_forged_token_in_the_cursors_is_refused_by_the_peer_and_read_past(federation,
                                                                           stretch):
    f: Federation = federation
    with f.china.engine.begin() as conn:
        conn.execute(update(peers).where(peers.c.name == f.peer.name).values(
            cursors=orjson.dumps({WAYPOINT + f.shared.id: "~not-a-token"})))
    for _ in range(10):
        if not sync_peer(f.china, f.peer, f.transport, page_size=100).unfinished:
            break
    assert f.held() == set(stretch)


def test_a_peer_answering_the_kept_token_with_itself_fails_the_round(federation, stretch):
    f: Federation = federation
    sync_peer(f.china, f.peer, f.transport, page_size=100)
    kept = _waypoint(f)

    def circle(request: httpx.Request) -> httpx.Response | None:
        if request.url.params.get("next") == kept:
            return httpx.Response(200, headers=TAXII, content=orjson.dumps(
                {"more": True, "next": kept, "objects": []}))
        return None

    f.hooks.append(circle)
    with pytest.raises(SyncError, match="points back to a page read"):
        sync_peer(f.china, f.peer, f.transport, page_size=100)


def test_a_manifest_crosses_a_stretch_longer_than_a_pull_follows(federation, stretch,
                                                                monkeypatch):
    f: Federation = federation
    for _ in range(10):
        if not sync_peer(f.china, f.peer, f.transport, page_size=100).unfinished:
            break
    assert f.held() == set(stretch)
    # The first object is gone from the peer: the manifest, read past the same 20 pages of
    # nothing in one round (more than a pull follows), says so, and it goes here too.
    f.us.node.objects.delete(f.shared.id, stretch[0], ObjectQuery(versions=frozenset({ALL})))
    monkeypatch.setattr(reading, "MANIFEST_EMPTY_IN_A_ROW", 10 * EMPTY)
    done = sync_peer(f.china, f.peer, f.transport, page_size=100)
    assert (done.retracted, done.unfinished) == (1, [])
    assert f.held() == set(stretch[1:])


def test_a_manifest_of_nothing_without_end_fails_the_round_retracting_nothing(
        federation, stretch, monkeypatch):
    f: Federation = federation
    for _ in range(10):
        if not sync_peer(f.china, f.peer, f.transport, page_size=100).unfinished:
            break
    monkeypatch.setattr(reading, "MANIFEST_EMPTY_IN_A_ROW", 10)
    fresh = iter(range(10**6))

    def manifest(request: httpx.Request) -> httpx.Response | None:
        if not request.url.path.endswith("/manifest/"):
            return None
        return httpx.Response(200, headers=TAXII, content=orjson.dumps(
            {"more": True, "next": f"m{next(fresh)}", "objects": []}))

    f.hooks.append(manifest)
    with pytest.raises(SyncError, match="sent nothing in 11 pages in a row of its manifest"):
        sync_peer(f.china, f.peer, f.transport, page_size=100)
    assert f.held() == set(stretch)


def test_accord_sync_and_peer_list_say_what_was_left_for_the_next_round(federation, stretch,
                                                                       monkeypatch):
    f: Federation = federation
    monkeypatch.setattr(cli_federation, "_sync_when_free", lambda node, peer, page_size: (
        sync_peer(node, peer, f.transport, page_size=page_size)))
    db = f.china.engine.url.render_as_string(hide_password=False)
    done = CliRunner().invoke(app, ["sync", "--db", db, "--page-size", "100"],
                              catch_exceptions=False)
    assert done.exit_code == 0, done.stderr  # not a failure
    assert "1 stored" in done.stderr
    assert "not all pulled" in done.stderr and "pages in a row" in done.stderr
    assert "the next round carries on from there" in done.stderr
    listed = CliRunner().invoke(app, ["peer", "list", "--json", "--db", db],
                                catch_exceptions=False)
    assert "pages in a row" in listed.stdout
