"""Losing read access to a whole collection on a peer retracts what was pulled from it, at the
next round, audited; a failure that says nothing about access (network, 5xx) retracts nothing."""

from __future__ import annotations

import httpx
import pytest
from tests.integration.federation.conftest import Federation, indicator

from accord.federation.sync import SyncError, sync_peer
from accord.store.audit_log import AuditQuery
from accord.trust.access import Grant


def _pulled(f: Federation) -> set[str]:
    f.share(indicator(1), indicator(2))
    sync_peer(f.china, f.peer, f.transport)
    assert f.held() == {indicator(1)["id"], indicator(2)["id"]}
    return f.held()


def _retractions(f: Federation) -> list[tuple[str, ...]]:
    found = f.china.audit.query(AuditQuery(action="sync.retracted"))
    return [r.event.object_ids for r in found]


@pytest.mark.parametrize("lost", [Grant(can_read=False, can_write=False),
                                  Grant(can_read=False, can_write=True)],
                         ids=["unlisted", "write-only"])
def test_a_collection_no_longer_readable_loses_its_copies_at_the_next_round(federation, lost):
    f: Federation = federation
    pulled = _pulled(f)
    f.us.node.directory.grant(f.shared.id, f.us.other, lost)
    done = sync_peer(f.china, f.peer, f.transport)
    assert done.retracted == 2 and f.held() == set()
    assert [set(ids) for ids in _retractions(f)] == [pulled]
    # Access given back: the collection is read again from its start.
    f.us.node.directory.grant(f.shared.id, f.us.other, Grant(can_read=True, can_write=False))
    sync_peer(f.china, f.peer, f.transport)
    assert f.held() == pulled


@pytest.mark.parametrize("status", [403, 404])
def test_a_collection_the_peer_refuses_to_show_loses_its_copies(federation, status):
    f: Federation = federation
    pulled = _pulled(f)
    f.hooks.append(lambda r: httpx.Response(status, json={"title": "no"})
                   if f"/collections/{f.shared.id}/" in r.url.path else None)
    sync_peer(f.china, f.peer, f.transport)
    assert f.held() == set() and [set(ids) for ids in _retractions(f)] == [pulled]


def _fails(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def _times_out(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


@pytest.mark.parametrize("where", ["collections/", "objects/", "manifest/"])
@pytest.mark.parametrize("failure", [lambda r: httpx.Response(503), lambda r: httpx.Response(500),
                                     _fails, _times_out],
                         ids=["503", "500", "unreachable", "timeout"])
def test_a_transient_failure_retracts_nothing(federation, where, failure):
    f: Federation = federation
    pulled = _pulled(f)
    f.hooks.append(lambda r: failure(r) if r.url.path.endswith(where) else None)
    with pytest.raises(SyncError):
        sync_peer(f.china, f.peer, f.transport)
    assert f.held() == pulled and _retractions(f) == []
