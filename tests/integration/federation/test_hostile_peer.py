"""A peer's answers cost this node bounded memory and time: a page too large, a gzip bomb, a
trickle are each refused with a SyncError that says why; pages of nothing that say `more` for
ever are followed a bounded number a round; a round that pulls for too long stops and the next
carries on where it stopped."""

from __future__ import annotations

import gzip
import itertools
import time
from collections.abc import Iterator

import httpx
import orjson
import pytest
from tests.integration.federation.conftest import Federation, indicator

from accord.federation import answers, reading, sync, waypoints
from accord.federation.sync import SyncError, sync_peer
from accord.store.peers import PeerStore
from accord.store.query import ObjectQuery

TAXII = {"Content-Type": "application/taxii+json;version=2.1"}


def _objects_pages(answer):  # type: ignore[no-untyped-def]
    """A hook that answers every page of objects (and only those) with `answer(request)`."""
    def hook(request: httpx.Request) -> httpx.Response | None:
        if request.method == "GET" and request.url.path.endswith("/objects/"):
            return answer(request)
        return None
    return hook


def _refused(f: Federation) -> str:
    with pytest.raises(SyncError) as raised:
        sync_peer(f.china, f.peer, f.transport)
    return str(raised.value)


def test_a_page_larger_than_this_node_reads_is_refused(federation, monkeypatch):
    f: Federation = federation
    monkeypatch.setattr(answers, "MOST_BYTES", 20_000)
    f.share(indicator(1, description="x" * 50_000))
    assert "announced 50,3" in (said := _refused(f)) and "more than the 20,000" in said
    assert f.held() == set()


def test_a_compressed_answer_is_refused_unread(federation):
    # Asked for uncompressed: what a compressed answer would cost is not what arrives (a
    # bomb of 50 KB here would inflate to 50 MB before it could be counted).
    f: Federation = federation
    asked: list[str] = []
    inflated = b'{"more":false,"objects":[' + b" " * 50_000_000 + b"]}"
    bomb = gzip.compress(inflated, compresslevel=9)
    assert len(bomb) < 100_000

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.headers.get("Accept-Encoding", ""))
        return httpx.Response(200, headers={**TAXII, "Content-Encoding": "gzip"}, content=bomb)

    f.hooks.append(_objects_pages(answer))
    assert "answered compressed (gzip)" in _refused(f)
    assert asked == ["identity"]


def test_a_page_too_large_is_asked_again_smaller(federation, monkeypatch):
    # A server that pages by count (another TAXII server, an older Accord node) may send
    # more than this node reads at once: the same page, asked for fewer objects.
    f: Federation = federation
    monkeypatch.setattr(answers, "MOST_BYTES", 12_000)
    f.share(*(indicator(n, description="x" * 4_000) for n in range(1, 6)))
    limits: list[str] = []
    f.hooks.append(_objects_pages(lambda r: limits.append(r.url.params["limit"])))
    outcome = sync_peer(f.china, f.peer, f.transport, page_size=8)
    assert outcome.stored == 5 and f.held() == {indicator(n)["id"] for n in range(1, 6)}
    assert limits[:2] == ["8", "2"] and set(limits[1:]) == {"2"}


def test_a_manifest_without_end_fails_the_round_and_retracts_nothing(federation, monkeypatch):
    f: Federation = federation
    f.share(indicator(1))
    sync_peer(f.china, f.peer, f.transport)
    monkeypatch.setattr(sync, "ROUND_SECONDS", 0.5)
    tokens = iter(range(10**9))

    def manifest(request: httpx.Request) -> httpx.Response | None:
        if not request.url.path.endswith("/manifest/"):
            return None
        return httpx.Response(200, headers=TAXII, content=orjson.dumps({
            "more": True, "next": f"t{next(tokens)}", "objects": [{"id": indicator(2)["id"]}]}))

    f.hooks.append(manifest)
    assert "did not end within" in _refused(f)
    assert f.held() == {indicator(1)["id"]}


def test_a_trickle_is_given_up(federation, monkeypatch):
    f: Federation = federation
    monkeypatch.setattr(answers, "GRACE", 0.2)
    monkeypatch.setattr(answers, "MIN_RATE", 1024)

    def trickle() -> Iterator[bytes]:
        yield b'{"more":false,'
        for _ in range(20):
            time.sleep(0.05)
            yield b" "
        yield b'"objects":[]}'

    f.hooks.append(_objects_pages(lambda _: httpx.Response(200, headers=TAXII,
                                                             content=trickle())))
    assert "too slowly" in _refused(f)


def test_more_with_nothing_ends_the_pull_and_the_same_page_again_the_round(federation,
                                                                          monkeypatch):
    f: Federation = federation
    monkeypatch.setattr(reading, "EMPTY_IN_A_ROW", 20)  # (1,000: made small)
    # Empty pages that say there is more are what an Accord node sends where its walk met
    # rows hidden from us: followed, reading.EMPTY_IN_A_ROW of them in a row, not more; the
    # next round carries on from the last token (test_hidden_stretch), so a peer that goes on
    # without end costs each round that many requests, and is said to.
    fresh = itertools.count()
    f.hooks.append(_objects_pages(lambda _: httpx.Response(200, headers=TAXII, content=(
        orjson.dumps({"more": True, "next": f"token-{next(fresh)}", "objects": []})))))
    done = sync_peer(f.china, f.peer, f.transport)
    assert "sent nothing in 21 pages in a row" in done.unfinished[0]
    assert next(fresh) == 21  # every page read until then
    peer = PeerStore(f.china.engine).find(f.peer.name)
    kept = waypoints.read(peer.cursors[f"next:{f.shared.id}"]) if peer else None
    assert kept is not None and kept.token == "token-20"
    assert peer.last_error is not None and "21 pages in a row" in peer.last_error
    again = sync_peer(f.china, f.peer, f.transport)
    assert "sent nothing in 21 pages in a row" in again.unfinished[0]
    assert next(fresh) == 43  # the next round went on from token-20, 21 pages more
    f.hooks[:] = [_objects_pages(lambda _: httpx.Response(200, headers=TAXII, content=(
        orjson.dumps({"more": True, "next": "again", "objects": []}))))]
    assert "points back to a page read" in _refused(f)
    f.hooks[:] = [_objects_pages(lambda _: httpx.Response(200, headers=TAXII, content=(
        orjson.dumps({"more": True, "next": "again", "objects": [indicator(1)]}))))]
    assert "points back to a page read" in _refused(f)


def test_a_round_that_pulls_too_long_stops_and_the_next_carries_on(federation, monkeypatch):
    f: Federation = federation
    f.share(*(indicator(n) for n in (1, 2, 3)))
    monkeypatch.setattr(sync, "ROUND_SECONDS", 0.0)
    first = sync_peer(f.china, f.peer, f.transport, page_size=1)
    assert first.cut_short and first.stored == 1 and first.retracted == 0
    monkeypatch.setattr(sync, "ROUND_SECONDS", 600.0)
    second = sync_peer(f.china, f.peer, f.transport, page_size=1)
    assert not second.cut_short and second.stored == 2
    assert f.held() == {indicator(n)["id"] for n in (1, 2, 3)}


def _answering(path_end: str, body: object, status: int = 200):  # type: ignore[no-untyped-def]
    """A hook that answers GETs of paths ending in `path_end` with `body` as JSON."""
    def hook(request: httpx.Request) -> httpx.Response | None:
        if request.method == "GET" and request.url.path.endswith(path_end):
            return httpx.Response(status, headers=TAXII, content=orjson.dumps(body))
        return None
    return hook


def _other_key() -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from accord.federation.signing import publish
    return publish(Ed25519PrivateKey.generate().public_key())


@pytest.mark.parametrize(("path_end", "body", "said"), [
    ("/collections/", {"collections": 7}, "'collections' that is not a list"),
    ("/collections/", {"collections": [{"title": "no id", "can_read": True}]},
     "a collection without an id"),
    ("/taxii2/", {"api_roots": 7}, "announces no TAXII API root"),
    ("/manifest/", {"more": False, "objects": ["x"]}, "a manifest entry without an id"),
    ("/manifest/", {"more": False, "objects": {"id": "x"}}, "'objects' that is not a list"),
    ("/objects/", {"more": True, "next": 5, "objects": [indicator(1)]},
     "'next' that is not a string"),
    ("/objects/", {"objects": "all of them"}, "'objects' that is not a list"),
    ("/api/v1/node", {"public_key": "OTHER", "keys": 5}, "no announcement signed by"),
])
def test_an_answer_not_shaped_as_taxii_fails_the_round_saying_what(federation, path_end, body,
                                                                    said):
    # Not a KeyError or a TypeError out of sync_peer: the failure is the peer's, noted and
    # backed off from, and the rounds with the other peers run.
    f: Federation = federation
    f.share(indicator(1))
    if body.get("public_key") == "OTHER":
        body = {**body, "public_key": _other_key()}
    f.hooks.append(_answering(path_end, body))
    assert said in (refusal := _refused(f)) and "Error" not in refusal.split(":")[0]
    noted = PeerStore(f.china.engine).find("us")
    assert noted is not None and said in (noted.last_error or "") and noted.failures == 1


def test_a_page_with_more_objects_than_asked_for_is_refused(federation):
    f: Federation = federation
    f.hooks.append(_answering("/objects/", {"more": False, "objects": [
        indicator(n) for n in (1, 2, 3)]}))
    with pytest.raises(SyncError, match="3 objects when asked for at most 2"):
        sync_peer(f.china, f.peer, f.transport, page_size=2)
    assert f.held() == set()


def test_a_page_of_empty_containers_is_refused_before_it_is_parsed(federation, monkeypatch):
    # Parsed, 16 MiB of `{},` would be 5.6 million dictionaries (2.9 GB): counted first, at
    # the bound a POSTed envelope has, whatever its size in bytes.
    f: Federation = federation
    monkeypatch.setattr(reading, "MOST_CONTAINERS", 1_000)
    parsed: list[int] = []
    real_loads = orjson.loads
    monkeypatch.setattr(reading.orjson, "loads", lambda b: parsed.append(len(b)) or real_loads(b))
    f.hooks.append(_objects_pages(lambda _: httpx.Response(200, headers=TAXII, content=(
        b'{"more":false,"objects":[' + b",".join([b"{}"] * 5_000) + b"]}"))))
    assert "5,002 JSON objects and arrays, more than the 1,000" in _refused(f)
    assert all(size < 5_000 for size in parsed)  # the discovery and listings, not the page


def test_a_peer_sending_the_round_round_in_circles_fails_it(federation, monkeypatch):
    # Next A, then B, then A again: each differs from the token asked with, and the round
    # would go on until ROUND_SECONDS; a failure, backed off from, not a round cut short.
    f: Federation = federation
    tokens = iter(["A", "B", "A", "B"] * 3)
    f.hooks.append(_objects_pages(lambda _: httpx.Response(200, headers=TAXII, content=(
        orjson.dumps({"more": True, "next": next(tokens), "objects": [indicator(1)]})))))
    assert "points back to a page read" in _refused(f)
    noted = PeerStore(f.china.engine).find("us")
    assert noted is not None and noted.failures == 1


def test_a_peer_s_collection_titled_at_length_gets_a_mirror_titled_within_bounds(federation):
    # A title is a name here (at most 200 characters, store.names): the peer's is cut to
    # leave room for where it came from, never refused round after round.
    f: Federation = federation
    f.share(indicator(1))
    long = "T" * 195
    real = f.shared.id

    def listing(request: httpx.Request) -> httpx.Response | None:
        if not request.url.path.endswith("/collections/"):
            return None
        return httpx.Response(200, headers=TAXII, content=orjson.dumps({"collections": [
            {"id": real, "title": long, "can_read": True, "can_write": False,
             "media_types": ["application/stix+json;version=2.1"]}]}))

    f.hooks.append(listing)
    assert sync_peer(f.china, f.peer, f.transport).stored == 1
    mirror = f.china.directory.collection(PeerStore(f.china.engine).find("us").mirrors[real])
    assert len(mirror.title) <= 200 and mirror.title.endswith(" (from us)")


def test_a_peer_cannot_take_over_another_peers_mirror_by_its_alias(federation):
    # Peer "us" calls a new collection "x-shared": from-us-x-shared is the mirror of peer
    # "us-x"'s collection "shared". It gets one of its own; us-x's keeps what it holds.
    f: Federation = federation
    f.share(indicator(1))
    PeerStore(f.china.engine).add("us-x", f.peer.url, f.peer.token, f.peer.party_id,
                                  f.peer.public_key)
    sync_peer(f.china, PeerStore(f.china.engine).find("us-x"), f.transport)
    victim = f.china.directory.collection("from-us-x-shared")
    before = PeerStore(f.china.engine).find("us-x").mirrors
    hostile = "99999999-0000-4000-8000-000000000000"  # TAXII collection ids are bare UUIDs

    def listing(request: httpx.Request) -> httpx.Response | None:
        if not request.url.path.endswith("/collections/"):
            return None
        return httpx.Response(200, headers=TAXII, content=orjson.dumps({"collections": [
            {"id": hostile, "title": "Evil", "alias": "x-shared", "can_read": True,
             "can_write": False, "media_types": ["application/stix+json;version=2.1"]}]}))

    f.hooks.append(listing)
    f.hooks.append(_answering(f"/{hostile}/objects/", {"more": False, "objects": []}))
    f.hooks.append(_answering(f"/{hostile}/manifest/", {"more": False, "objects": []}))
    sync_peer(f.china, f.peer, f.transport)
    made = PeerStore(f.china.engine).find("us").mirrors[hostile]
    assert made != victim.id
    assert f.china.directory.collection(made).alias == "from-us-99999999"
    assert PeerStore(f.china.engine).find("us-x").mirrors == before
    held = f.china.objects.page(victim.id, ObjectQuery(limit=10))
    assert [item.id for item in held.items] == [indicator(1)["id"]]


def test_one_peer_failing_in_an_unforeseen_way_does_not_stop_the_others(federation,
                                                                       monkeypatch):
    f: Federation = federation
    f.share(indicator(1))
    store = PeerStore(f.china.engine)
    store.add("a-broken", f.peer.url, f.peer.token, f.peer.party_id, f.peer.public_key)
    monkeypatch.setattr(sync, "_pinned", lambda peer: f.transport)
    real = sync.learn_time_zone

    def learn(node, party, published, name):  # type: ignore[no-untyped-def]
        if name == "a-broken":
            raise KeyError("time_zone")
        return real(node, party, published, name)

    monkeypatch.setattr(sync, "learn_time_zone", learn)
    rounds = sync.sync_all(f.china)
    assert [r.peer for r in rounds] == ["us"] and rounds[0].stored == 1
    broken = store.find("a-broken")
    assert broken is not None and broken.failures == 1
    assert "KeyError" in (broken.last_error or "")


def test_a_round_under_way_when_the_server_stops_ends_at_its_next_page(federation):
    # The process waits for its threads: a round pulling a large collection would hold a
    # stopping server (and whoever waits for it) until the round was done.
    f: Federation = federation
    f.share(*(indicator(n) for n in (1, 2, 3)))
    f.china.stopping.set()
    first = sync_peer(f.china, f.peer, f.transport, page_size=1)
    assert first.cut_short and first.stored == 1
    assert sync.sync_all(f.china) == []  # and no round with the next peer begins
    f.china.stopping.clear()
    assert sync_peer(f.china, f.peer, f.transport, page_size=1).stored == 2


def test_a_manifest_under_way_when_the_server_stops_ends_at_its_next_page(federation):
    # A manifest of millions of entries is read a page at a time too; read in part, it
    # retracts nothing (what was not read yet is not missing).
    f: Federation = federation
    f.share(indicator(1), indicator(2))
    assert sync_peer(f.china, f.peer, f.transport).stored == 2
    pages = 0

    def manifest(request: httpx.Request) -> httpx.Response | None:
        nonlocal pages
        if not request.url.path.endswith("/manifest/"):
            return None
        pages += 1
        f.china.stopping.set()
        more = pages < 3  # a round that does not stop reads three pages, and retracts
        return httpx.Response(200, headers=TAXII, content=orjson.dumps(
            {"more": more, **({"next": f"page-{pages}"} if more else {}), "objects": [
                {"id": indicator(1)["id"], "date_added": "2020-01-01T00:00:00.000Z",
                 "version": "2020-01-01T00:00:00.000Z"}]}))

    f.hooks.append(manifest)
    try:
        cut = sync_peer(f.china, f.peer, f.transport)
    finally:
        f.china.stopping.clear()
    assert cut.cut_short and cut.retracted == 0 and pages == 1
    mirror = PeerStore(f.china.engine).find("us").mirrors
    held = {item.id for cid in mirror.values()
            for item in f.china.objects.page(cid, ObjectQuery(limit=10)).items}
    assert {indicator(1)["id"], indicator(2)["id"]} <= held
    noted = PeerStore(f.china.engine).find("us")
    assert noted is not None and noted.failures == 0


def _listing_of(ids: list[str]):  # type: ignore[no-untyped-def]
    """Hooks for a peer listing collections `ids` (plus its real one), each empty."""
    def listing(request: httpx.Request) -> httpx.Response | None:
        if request.method != "GET" or not request.url.path.endswith("/collections/"):
            return None
        return httpx.Response(200, headers=TAXII, content=orjson.dumps({"collections": [
            {"id": cid, "title": f"Noise {n}", "can_read": True, "can_write": False,
             "media_types": ["application/stix+json;version=2.1"]}
            for n, cid in enumerate(ids)]}))
    hooks = [listing]
    for cid in ids:
        hooks.append(_answering(f"/{cid}/objects/", {"more": False, "objects": []}))
        hooks.append(_answering(f"/{cid}/manifest/", {"more": False, "objects": []}))
    return hooks


def test_a_round_stops_between_collections_once_its_time_is_up(federation, monkeypatch):
    # A peer answering each collection just within its timeout held the round for as many
    # collections as it listed: the time was checked only between pages of one collection.
    f: Federation = federation
    ids = [f"0000000{n}-0000-4000-8000-000000000000" for n in range(1, 5)]
    f.hooks.extend(_listing_of(ids))
    asked: list[str] = []

    def slow(request: httpx.Request) -> None:
        if request.url.path.endswith("/objects/"):
            asked.append(request.url.path)
            time.sleep(0.2)

    f.hooks.insert(0, slow)  # type: ignore[arg-type]
    monkeypatch.setattr(sync, "ROUND_SECONDS", 0.3)
    outcome = sync_peer(f.china, f.peer, f.transport)
    assert outcome.cut_short and len(asked) == 2 and outcome.collections == 2
    assert outcome.retracted == 0


def test_a_peer_listing_more_collections_than_are_mirrored_has_the_rest_said(
        federation, monkeypatch):
    f: Federation = federation
    f.share(indicator(1))
    assert sync_peer(f.china, f.peer, f.transport).stored == 1  # its real one, mirrored
    real = next(iter(PeerStore(f.china.engine).find("us").mirrors))
    monkeypatch.setattr(sync, "MOST_MIRRORED", 2)
    noise = [f"0000000{n}-0000-4000-8000-000000000000" for n in range(1, 4)]

    def listing(request: httpx.Request) -> httpx.Response | None:
        if request.method != "GET" or not request.url.path.endswith("/collections/"):
            return None
        return httpx.Response(200, headers=TAXII, content=orjson.dumps({"collections": [
            {"id": cid, "title": "Noise", "can_read": True, "can_write": False,
             "media_types": ["application/stix+json;version=2.1"]} for cid in [*noise, real]]}))

    f.hooks.extend(_listing_of(noise)[1:])
    f.hooks.insert(0, listing)
    before = len(f.china.directory.all_collections())
    outcome = sync_peer(f.china, f.peer, f.transport)
    assert outcome.collections == 2 and outcome.retracted == 0
    assert outcome.left_out is not None and "4 collections, more than the 2" in outcome.left_out
    # The one mirrored already is pulled first, and keeps what it holds.
    assert set(PeerStore(f.china.engine).find("us").mirrors) == {real, noise[0]}
    assert len(f.china.directory.all_collections()) == before + 1
    assert f.held() == {indicator(1)["id"]}
    assert PeerStore(f.china.engine).find("us").last_error == outcome.left_out


def test_a_page_s_date_that_is_no_timestamp_is_not_kept_as_the_cursor(federation):
    # Kept as the cursor, a 60,000-character header went back as added_after at every round.
    f: Federation = federation
    f.share(indicator(1))
    from starlette.testclient import TestClient

    from accord.app import create_app

    with TestClient(create_app(f.us.node), base_url="http://us.test") as us:
        def junk_date(request: httpx.Request) -> httpx.Response | None:
            if request.method != "GET" or not request.url.path.endswith("/objects/"):
                return None
            got = us.request("GET", request.url.raw_path.decode(), headers=dict(request.headers))
            headers = {**got.headers, "X-TAXII-Date-Added-Last": "9" * 60_000}
            return httpx.Response(got.status_code, headers=headers, content=got.content)

        f.hooks.append(junk_date)
        outcome = sync_peer(f.china, f.peer, f.transport)
    assert outcome.stored == 1
    cursors = PeerStore(f.china.engine).find("us").cursors
    assert all(len(value) < 1000 for value in cursors.values()), cursors
