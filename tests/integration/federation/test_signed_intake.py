"""What a party hosted here creates is stored signed with the node's key; what cannot be
signed is refused in words, never a server error."""

from __future__ import annotations

import orjson
import pytest
from tests.integration.federation.conftest import Federation

from accord.federation.keys import node_key
from accord.federation.signing import SIGNATURE_EXTENSION, why_not_authentic

TAXII = "application/taxii+json;version=2.1"


def indicator(world, n, **more):
    return {"type": "indicator", "spec_version": "2.1",
            "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
            "created_by_ref": world.own.id,
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
            "pattern": "[ipv4-addr:value = '203.0.113.9']", "pattern_type": "stix",
            "valid_from": "2020-01-01T00:00:00Z", **more}


def post(client, world, objects):
    r = client.post(f"/taxii2/accord/collections/{world.evidence.id}/objects/",
                    content=orjson.dumps({"objects": objects}),
                    headers={"Content-Type": TAXII})
    assert r.status_code == 202, r.text
    return r.json()


def test_objects_of_hosted_parties_are_stored_signed_and_a_repost_is_unchanged(client, world):
    assert post(client, world, [indicator(world, 1)])["success_count"] == 1
    stored = client.get(f"/taxii2/accord/collections/{world.evidence.id}/objects/"
                        f"{indicator(world, 1)['id']}/").json()["objects"][0]
    assert SIGNATURE_EXTENSION in stored["extensions"]
    assert why_not_authentic(stored, node_key(world.node.directory).public_key()) is None
    again = post(client, world, [indicator(world, 1)])
    assert again["success_count"] == 1 and again["successes"][0]["message"] == "already stored"


def test_an_object_that_cannot_be_signed_is_refused_with_the_reason(client, world):
    status = post(client, world, [indicator(world, 2, x_count=2**60), indicator(world, 3)])
    assert status["success_count"] == 1 and status["failure_count"] == 1
    assert "cannot be signed" in status["failures"][0]["message"]


def test_a_peer_s_party_acts_through_its_own_node_not_this_one(federation):
    # A token of the US party on China's node (say, issued before the nodes met): what it
    # would write here carries no signature of the US node's, so the US node refuses it as
    # forged at the next sync while China's counted it. Refused here, saying why.
    from tests.integration.cooperation.test_desk import EVIDENCE

    from accord.attribution.reading import AttributionError
    from accord.attribution.record import AttributionRecord, DesignationDraft
    from accord.cooperation.desk import Actor, CooperationError, Desk, Draft

    f: Federation = federation
    china = f.china
    theirs = china.directory.party(f.peer.party_id)  # the US party, its node a peer
    own = china.directory.own_party()
    assert own is not None
    china.objects.add(china.directory.collection("evidence").id, [EVIDENCE],
                      poster_id=own.id)
    with pytest.raises(CooperationError, match="acts through its own node"):
        Desk(china).create(Actor(theirs), Draft(own.id, "information", "intrusion", "urgent",
                                                "Who runs the C2 server?",
                                                evidence=(EVIDENCE["id"],)))
    with pytest.raises(AttributionError, match="acts through its own node"):
        AttributionRecord(china).designate(Actor(theirs), DesignationDraft(
            "Wang Dong", "individual", "E.O. 13694"))
