"""A peer's objects count against its party's quota on this node: past it, the round stops
with the page unstored and the cursor where it was, so nothing is lost once room is made."""

from __future__ import annotations

import pytest
from tests.integration.federation.conftest import Federation, indicator

from accord.federation.sync import SyncError, sync_peer
from accord.store.quotas import Quotas


def test_a_peer_over_its_quota_stops_the_round_and_the_next_pulls_what_it_left(federation):
    f: Federation = federation
    quotas = Quotas(f.china.engine)
    f.share(indicator(1))
    assert sync_peer(f.china, f.peer, f.transport).stored == 1
    held = quotas.of([f.peer.party_id])[f.peer.party_id]
    assert held.versions == 1
    quotas.set_quota(f.peer.party_id, held.stored_bytes + 10)
    f.share(indicator(2), indicator(3))
    with pytest.raises(SyncError) as stopped:
        sync_peer(f.china, f.peer, f.transport)
    assert f"{f.peer.name}: over quota:" in str(stopped.value)
    assert f.held() == {indicator(1)["id"]}
    quotas.set_quota(f.peer.party_id, None)
    assert sync_peer(f.china, f.peer, f.transport).stored == 2
    assert f.held() == {indicator(n)["id"] for n in (1, 2, 3)}
