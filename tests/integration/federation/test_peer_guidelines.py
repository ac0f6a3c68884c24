"""A round reads the guidelines the peer's node applies to requests from this node's party
(issue 13, defect 4): the new-request form shows the addressee's deadlines, not this node's.
A peer that does not answer them leaves what was read before, and the round goes on."""

from __future__ import annotations

import httpx
from tests.integration.federation.conftest import Federation, indicator

from accord.federation.sync import sync_peer
from accord.store.forms import PeerGuidelines
from accord.store.guidelines import GuidelinesStore


def test_a_round_reads_the_deadlines_the_peer_applies(federation):
    f: Federation = federation
    GuidelinesStore(f.us.node.engine).add('[urgency.urgent]\nacknowledge = "PT20S"\n'
                                          'respond = "PT50S"\n', "2020-01-01T00:00:00Z")
    sync_peer(f.china, f.peer, f.transport)
    body, _fetched = PeerGuidelines(f.china.engine).get(f.peer.party_id)
    assert body["version"] == 1
    assert body["urgency"]["urgent"] == {"acknowledge": "PT20S", "respond": "PT50S"}


def test_a_peer_that_does_not_answer_its_guidelines_keeps_the_last_and_the_round_goes_on(
        federation):
    f: Federation = federation
    sync_peer(f.china, f.peer, f.transport)
    first = PeerGuidelines(f.china.engine).get(f.peer.party_id)
    assert first is not None and first[0]["version"] == 0

    def refuse(request: httpx.Request) -> httpx.Response | None:
        if request.url.path == "/api/v1/guidelines":
            raise httpx.ReadTimeout("slow peer", request=request)
        return None

    f.hooks.append(refuse)
    f.share(indicator(1))
    outcome = sync_peer(f.china, f.peer, f.transport)
    assert outcome.stored == 1
    assert PeerGuidelines(f.china.engine).get(f.peer.party_id) == first
