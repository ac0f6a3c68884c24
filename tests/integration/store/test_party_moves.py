"""A party registered here that a peer's node turns out to stand for takes that node's
identity (`accord peer add --party`): what was its own follows it, whatever it did before."""

from __future__ import annotations

import uuid

import orjson
import pytest
from starlette.testclient import TestClient

from accord.app import create_app
from accord.store.directory import DirectoryError
from accord.store.guidelines import GuidelinesStore
from accord.store.peers import PeerStore
from accord.store.quotas import Quotas, counts_apart
from accord.store.summaries import check as summaries_check
from accord.trust.access import Grant

TAXII = "application/taxii+json;version=2.1"
RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"


def _identity(name: str) -> dict:
    return {"type": "identity", "spec_version": "2.1", "id": f"identity--{uuid.uuid4()}",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "name": name, "identity_class": "organization"}


def _red_note() -> dict:
    return {"type": "note", "spec_version": "2.1", "id": f"note--{uuid.uuid4()}",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "content": "Ours alone.", "object_refs": [f"indicator--{uuid.uuid4()}"],
            "object_marking_refs": [RED]}


def test_a_party_that_posted_takes_a_peers_identity_with_what_it_stored(world):
    node, evidence = world.node, world.evidence
    node.directory.grant(evidence.id, world.other, Grant(True, True))
    client = TestClient(create_app(node), base_url="http://testserver")
    client.headers.update({"Authorization": f"Bearer {world.other_token}", "Accept": TAXII,
                           "Content-Type": TAXII})
    objects = f"/taxii2/accord/collections/{evidence.id}/objects/"
    mine = _red_note()  # RED, no created_by_ref: readable by its poster alone
    seen = {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "pattern": "[ipv4-addr:value = '198.51.100.77']", "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z", "object_marking_refs": [RED]}
    posted = client.post(objects, content=orjson.dumps({"objects": [mine, seen]}))
    assert posted.status_code == 202 and posted.json()["success_count"] == 2
    GuidelinesStore(node.engine).add('[urgency.urgent]\nacknowledge = "PT20S"\n'
                                     'respond = "PT50S"\n', "2020-01-01T00:00:00Z",
                                     pair=(world.own.id, world.other.id))

    def looked_up() -> list[str]:
        r = client.get("/api/v1/lookup", params={"value": "198.51.100.77"},
                       headers={"Accept": "application/json"})
        assert r.status_code == 200, r.text
        return [m["id"] for m in r.json()["results"]]

    assert looked_up() == [seen["id"]]
    quotas = Quotas(node.engine)
    quotas.set_quota(world.other.id, 10**6)
    held = quotas.of([world.other.id])[world.other.id]

    peer = _identity("China's node")
    # The party's TAXII status resource named it: the move used to fail on it.
    moved = node.directory.pin_party(peer, world.other)
    assert moved.id == peer["id"] and moved.name == world.other.name
    assert node.directory.find_party(world.other.id) is None

    # Its token, its status resource and what it posted (RED, for its poster) follow it.
    status = client.get(f"/taxii2/accord/status/{posted.json()['id']}/")
    assert status.status_code == 200 and status.json()["success_count"] == 2
    assert client.get(f"{objects}{mine['id']}/").json()["objects"] == [mine]
    # So do its count and its quota, and what it removes is given back under its new id.
    now = quotas.of([peer["id"], world.other.id])
    assert set(now) == {peer["id"]}
    assert (now[peer["id"]].stored_bytes, now[peer["id"]].versions,
            now[peer["id"]].quota_bytes) == (held.stored_bytes, 2, 10**6)
    # What was derived from its versions and agreements under its old id: its look-up of
    # what it posted RED, the guidelines agreed with it, its requests' summaries.
    assert looked_up() == [seen["id"]]
    pairs = [g.pair for g in GuidelinesStore(node.engine).versions()]
    assert pairs == [frozenset({world.own.id, peer["id"]})]
    assert summaries_check(node.engine) == []
    assert client.delete(f"{objects}{mine['id']}/").status_code == 200
    assert quotas.of([peer["id"]])[peer["id"]].stored_bytes == \
        held.stored_bytes - len(orjson.dumps(mine))
    assert counts_apart(node.engine) == []


def test_a_party_standing_for_one_peer_does_not_take_anothers_identity(world):
    node = world.node
    first = node.directory.pin_party(_identity("China's node"), world.other)
    PeerStore(node.engine).add("china", "http://china.test/", "token", first.id,
                               "A" * 43)
    with pytest.raises(DirectoryError, match="stands for peer 'china' already"):
        node.directory.pin_party(_identity("Another node"), node.directory.party(first.id))
    assert node.directory.party(world.other.name).id == first.id
