"""A node on each backend, initialised, with a second party that has its own token."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from starlette.testclient import TestClient

from accord.app import create_app
from accord.node import Node, initialise, open_node
from accord.store.directory import Collection, Party


@dataclass
class World:
    node: Node
    own: Party
    admin_token: str
    evidence: Collection
    other: Party
    other_token: str


@pytest.fixture
def node(db_url: str) -> Iterator[Node]:
    opened = open_node(db_url)
    try:
        yield opened
    finally:
        opened.engine.dispose()


@pytest.fixture
def world(node: Node) -> World:
    own, admin_token = initialise(node, "United States (US-CERT)")
    evidence = node.directory.collection("evidence")
    other = node.directory.add_party("China (CNCERT/CC)")
    other_token = node.directory.create_token(other, role="liaison")
    return World(node, own, admin_token, evidence, other, other_token)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.node), base_url="http://testserver") as test_client:
        test_client.headers.update({"Authorization": f"Bearer {world.admin_token}",
                                    "Accept": "application/taxii+json;version=2.1"})
        yield test_client
