"""A peer's answers cost this node bounded memory and time: a page too large, a gzip bomb, a
trickle, a page that says `more` for ever are each refused with a SyncError that says why; a
round that pulls for too long stops and the next carries on where it stopped."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator

import httpx
import orjson
import pytest
from tests.integration.federation.conftest import Federation, indicator

from accord.federation import answers, sync
from accord.federation.sync import SyncError, sync_peer

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


def test_more_with_nothing_or_the_same_page_again_ends_the_round(federation):
    f: Federation = federation
    f.hooks.append(_objects_pages(lambda _: httpx.Response(200, headers=TAXII, content=(
        orjson.dumps({"more": True, "next": "again", "objects": []})))))
    assert "sent nothing" in _refused(f)
    f.hooks[:] = [_objects_pages(lambda _: httpx.Response(200, headers=TAXII, content=(
        orjson.dumps({"more": True, "next": "again", "objects": [indicator(1)]}))))]
    assert "points back to the same page" in _refused(f)


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
