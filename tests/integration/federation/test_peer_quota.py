"""A peer's objects count against its party's quota on this node: past it, the round stops
pulling that collection at the page refused, keeping its cursor, and goes on with the rest;
nothing is lost once room is made."""

from __future__ import annotations

from tests.integration.federation.conftest import Federation, indicator

from accord.federation.sync import sync_peer
from accord.store.peers import PeerStore
from accord.store.quotas import Quotas


def test_a_peer_at_its_quota_is_pulled_again_where_it_stopped_once_there_is_room(federation):
    f: Federation = federation
    quotas = Quotas(f.china.engine)
    f.share(indicator(1))
    assert sync_peer(f.china, f.peer, f.transport).stored == 1
    held = quotas.of([f.peer.party_id])[f.peer.party_id]
    assert held.versions == 1
    quotas.set_quota(f.peer.party_id, held.stored_bytes + 10)
    f.share(indicator(2), indicator(3))
    stopped = sync_peer(f.china, f.peer, f.transport)
    assert stopped.stored == 0 and stopped.over_quota is not None
    assert f"{f.peer.name}: over quota:" in stopped.over_quota
    assert f.held() == {indicator(1)["id"]}
    # Said, not counted as a failure: the peer is not backed off from.
    noted = PeerStore(f.china.engine).find(f.peer.name)
    assert noted is not None and noted.failures == 0
    assert noted.last_error == stopped.over_quota
    quotas.set_quota(f.peer.party_id, None)
    done = sync_peer(f.china, f.peer, f.transport)
    assert done.stored == 2 and done.over_quota is None
    assert f.held() == {indicator(n)["id"] for n in (1, 2, 3)}
    assert PeerStore(f.china.engine).find(f.peer.name).last_error is None
