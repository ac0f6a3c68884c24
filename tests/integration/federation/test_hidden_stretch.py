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
from accord.federation import reading, sync, waypoints
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
    """The token China's node keeps to carry on from in the shared collection."""
    found = PeerStore(f.china.engine).find(f.peer.name)
    assert found is not None
    kept = waypoints.read(found.cursors.get(WAYPOINT + f.shared.id))
    return None if kept is None else kept.token


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
        # In no time, no round reads the manifest: it waits for a round with time for it.
        assert sync_peer(f.china, f.peer, f.transport, page_size=100).cut_short
        if f.held() == set(stretch):
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
            cursors=orjson.dumps({WAYPOINT + f.shared.id: waypoints.kept(
                waypoints.Waypoint("~not-a-token", None))})))
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


def test_a_stretch_at_the_end_is_not_walked_again_by_later_rounds(federation, monkeypatch):
    f: Federation = federation
    f.share(_seen(1))
    f.share(*(_hidden(n, f.us.own.id) for n in range(100, 500)))  # nothing after them
    f.us.node.info = replace(f.us.node.info, most_walked=WALK)
    monkeypatch.setattr(reading, "EMPTY_IN_A_ROW", EMPTY)
    asked: list[str | None] = []

    def note(request: httpx.Request) -> None:
        if request.url.path.endswith("/objects/"):
            asked.append(request.url.params.get("next"))

    f.hooks.append(note)  # type: ignore[arg-type]
    unfinished = [bool(sync_peer(f.china, f.peer, f.transport, page_size=100).unfinished)
                  for _ in range(20)]
    # Crossed once (about 21 pages, over six rounds), then a page a round: where the read
    # ended is where the next one starts.
    assert len(asked) <= 21 + 6 + 20, len(asked)
    assert unfinished[6:] == [False] * 14, unfinished
    f.share(_seen(2))
    sync_peer(f.china, f.peer, f.transport, page_size=100)
    assert f.held() == {str(_seen(n)["id"]) for n in (1, 2)}


def _offset_peer(f: Federation, hidden: set[str]):  # type: ignore[no-untyped-def]
    """The US node's collection served as another TAXII server might: `next` an offset into
    the read from `added_after`, the rows hidden from China left out of each page after it
    is cut (pages of nothing that say `more`)."""
    held = f.us.node.objects.page(f.shared.id, ObjectQuery(versions=frozenset({ALL}),
                                                           limit=100_000)).items

    def serve(request: httpx.Request) -> httpx.Response | None:
        if request.method != "GET" or not request.url.path.endswith("/objects/"):
            return None
        asked = request.url.params
        after = asked.get("added_after")
        rows = [i for i in held if after is None or i.date_added > after]
        start, limit = int(asked.get("next", "0")), int(asked.get("limit", "100"))
        shown = [i for i in rows[start:start + limit] if i.id not in hidden]
        more = start + limit < len(rows)
        body: dict[str, object] = {"more": more,
                                   "objects": [orjson.loads(i.body) for i in shown]}
        if more:
            body["next"] = str(start + limit)
        headers = dict(TAXII)
        if shown:
            headers["X-TAXII-Date-Added-Last"] = shown[-1].date_added
        return httpx.Response(200, headers=headers, content=orjson.dumps(body))

    return serve


def test_a_kept_token_is_sent_back_in_the_read_it_came_from(federation, monkeypatch):
    f: Federation = federation
    f.share(*(indicator(n) for n in range(1, 11)))
    ids = [str(indicator(n)["id"]) for n in range(1, 11)]
    hidden = set(ids[2:6])  # 1 2, then four China may not read, then 7 8 9 10
    f.hooks.append(_offset_peer(f, hidden))
    monkeypatch.setattr(reading, "EMPTY_IN_A_ROW", 1)
    assert sync_peer(f.china, f.peer, f.transport, page_size=2).unfinished
    # The date cursor moved (to 2) after the token was issued (for the read from the start):
    # sent with the newer date, an offset would skip 7 and 8 for good.
    for _ in range(5):
        sync_peer(f.china, f.peer, f.transport, page_size=2)
    assert f.held() == set(ids) - hidden


def test_a_kept_token_failing_once_is_read_past_not_taken_for_a_loop(federation,
                                                                     monkeypatch):
    f: Federation = federation
    f.share(*(indicator(n) for n in range(1, 7)))
    ids = [str(indicator(n)["id"]) for n in range(1, 7)]
    serve = _offset_peer(f, set(ids[:4]))
    f.hooks[:] = [serve]
    monkeypatch.setattr(sync, "ROUND_SECONDS", 0.0)  # the round reads one page
    assert sync_peer(f.china, f.peer, f.transport, page_size=2).cut_short
    assert _waypoint(f) == "2"
    monkeypatch.setattr(sync, "ROUND_SECONDS", 600.0)
    once = [True]

    def busy(request: httpx.Request) -> httpx.Response | None:
        if request.url.params.get("next") == "2" and once:
            once.clear()  # a 503 once: the read goes on from the date, and is given "2" again
            return httpx.Response(503, headers=TAXII, content=b'{"title": "busy"}')
        return None

    f.hooks[:] = [busy, serve]
    sync_peer(f.china, f.peer, f.transport, page_size=2)
    assert f.held() == set(ids[4:])


def test_a_token_too_long_to_send_back_is_refused_and_never_kept(federation):
    f: Federation = federation
    f.share(indicator(1))
    once = [True]

    def long_token(request: httpx.Request) -> httpx.Response | None:
        if once and request.method == "GET" and request.url.path.endswith("/objects/"):
            once.clear()
            return httpx.Response(200, headers=TAXII, content=orjson.dumps(
                {"more": True, "next": "t" * 70_000, "objects": []}))
        return None

    f.hooks.append(long_token)
    with pytest.raises(SyncError, match="a 'next' of 70,000 characters"):
        sync_peer(f.china, f.peer, f.transport)
    assert _waypoint(f) is None
    sync_peer(f.china, f.peer, f.transport)  # the peer answers as it should again
    assert f.held() == {str(indicator(1)["id"])}


@pytest.mark.parametrize("cid", ["next:abc", "push:abc", "manifests", "../../x", "a b"])
def test_a_collection_id_that_is_not_a_taxii_identifier_fails_the_round(federation, cid):
    f: Federation = federation

    def listing(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/collections/"):
            return httpx.Response(200, headers=TAXII, content=orjson.dumps(
                {"collections": [{"id": cid, "title": "x", "can_read": True}]}))
        return None

    f.hooks.append(listing)
    with pytest.raises(SyncError, match="a TAXII identifier is a UUID"):
        sync_peer(f.china, f.peer, f.transport)
