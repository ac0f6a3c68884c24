"""Two nodes in one process: the US node (the `world` node, served through Starlette's test
client) shares a collection with China's node, which pulls it with `sync_peer` over a
transport that tests may interrupt, delay or make fail at any request."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient
from tests.conftest import fresh_pg_schema
from tests.integration.conftest import World

from accord.app import create_app
from accord.node import Node, initialise, open_node
from accord.store.directory import Collection
from accord.store.peers import Peer, PeerStore

MITRE = "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"
# Called with each request China's node makes; may answer in the US node's stead (a
# Response), act meanwhile (return None: the US node answers), or raise (a network failure).
Hook = Callable[[httpx.Request], httpx.Response | None]


def indicator(n: int, **more: object) -> dict[str, object]:
    return {"type": "indicator", "spec_version": "2.1",
            "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
            "pattern": f"[ipv4-addr:value = '203.0.113.{n % 250}']", "pattern_type": "stix",
            "valid_from": "2020-01-01T00:00:00Z", **more}


@dataclass
class Federation:
    us: World
    shared: Collection  # the US collection China's party may read
    china: Node
    peer: Peer  # China's record of the US node
    hooks: list[Hook] = field(default_factory=list)
    transport: httpx.BaseTransport | None = None

    def share(self, *objects: dict[str, object]) -> None:
        self.us.node.objects.add(self.shared.id, list(objects), poster_id=self.us.own.id)

    def mirror(self) -> Collection:
        return self.china.directory.collection(f"from-us-{self.shared.alias}")

    def held(self) -> set[str]:
        page = self.china.objects.page(self.mirror().id, _everything())
        return {item.id for item in page.items}


def _everything():  # type: ignore[no-untyped-def]
    from accord.store.query import ObjectQuery

    return ObjectQuery(limit=100_000)


@pytest.fixture
def china(db_url: str, tmp_path: Path) -> Iterator[Node]:
    if db_url.startswith("postgresql"):
        with fresh_pg_schema("cn") as url:
            opened = open_node(url)
            yield opened
            opened.engine.dispose()
    else:
        opened = open_node(str(tmp_path / "cn.db"))
        yield opened
        opened.engine.dispose()


@pytest.fixture
def federation(world: World, china: Node) -> Iterator[Federation]:
    initialise(china, "China (CNCERT/CC)")
    shared = world.node.directory.create_collection(
        "Shared with China", alias="shared", read=[world.other], write=[world.own])
    with TestClient(create_app(world.node), base_url="http://us.test") as us:
        published = us.get("/api/v1/node",
                           headers={"Authorization": f"Bearer {world.other_token}"}).json()
        pinned = china.directory.pin_party(published["identity"], None)
        peer = PeerStore(china.engine).add("us", "http://us.test/", world.other_token,
                                           pinned.id, published["public_key"])
        made = Federation(world, shared, china, peer)

        def forward(request: httpx.Request) -> httpx.Response:
            for hook in list(made.hooks):
                answer = hook(request)
                if answer is not None:
                    return answer
            got = us.request(request.method, request.url.raw_path.decode(),
                             headers=dict(request.headers), content=request.content)
            return httpx.Response(got.status_code, headers=got.headers, content=got.content)

        made.transport = httpx.MockTransport(forward)
        yield made
