"""A peer's request shared with a party of this node lets that party read the ledgers
collection here only once the request is stored, only where the operator set nothing for it
(a grant taken back stands), and the grant is audited as the operator's are."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
from tests.integration.federation.conftest import Federation

from accord.cooperation.desk import Desk
from accord.cooperation.model import Request
from accord.cooperation.objects import to_stix
from accord.cooperation.receipts import marked
from accord.federation.sync import sync_peer
from accord.intake import _Signer
from accord.stix.accord_marking import ACCORD_MARKING_EXTENSION
from accord.store.audit_log import AuditLog
from accord.store.audit_search import AuditQuery
from accord.trust.access import Grant


def _sent(f: Federation, third: str, *, reaching_it: bool) -> str:
    """A request of the US party to China's, shared with `third` (a party of China's node),
    its marking reaching `third` or not; the id."""
    request = Request(f"x-accord-request--{uuid.uuid4()}", datetime.now(UTC), f.us.own.id,
                      f.us.other.id, "information", "intrusion", "urgent",
                      "Who runs the C2 server?", shared_with=(third,))
    obj = marked(to_stix(request), f.us.own.id, request)
    if not reaching_it:
        obj["extensions"][ACCORD_MARKING_EXTENSION]["recipients"] = [f.us.other.id]
    f.share(*_Signer(f.us.node.engine)([obj]))
    return request.id


def _pull(f: Federation):  # type: ignore[no-untyped-def]
    f.hooks.append(lambda r: httpx.Response(202, json={"success_count": 0})
                   if r.method == "POST" else None)
    return sync_peer(f.china, f.peer, f.transport)


def test_a_refused_request_lets_no_one_read_the_requests_here(federation):
    f: Federation = federation
    uk = f.china.directory.add_party("United Kingdom (NCSC)")
    rid = _sent(f, uk.id, reaching_it=False)
    outcome = _pull(f)
    assert rid in {r.id for r in outcome.refused}
    requests = Desk(f.china).collection()
    assert f.china.directory.granted(requests.id, uk.id) is None


def test_a_stored_request_admits_its_parties_audited_but_not_one_the_operator_shut_out(
        federation):
    f: Federation = federation
    uk = f.china.directory.add_party("United Kingdom (NCSC)")
    fr = f.china.directory.add_party("France (ANSSI)")
    requests = Desk(f.china).collection()
    f.china.directory.grant(requests.id, fr, Grant(False, False))  # the operator's word
    first, second = _sent(f, uk.id, reaching_it=True), _sent(f, fr.id, reaching_it=True)
    outcome = _pull(f)
    assert not {first, second} & {r.id for r in outcome.refused}
    assert f.china.directory.granted(requests.id, uk.id) == Grant(True, True)
    assert f.china.directory.granted(requests.id, fr.id) == Grant(False, False)
    granted = AuditLog(f.china.engine).query(AuditQuery(action="permission.grant"))
    # The requester's party too: the fixture pinned the peer without `peer add`'s grant.
    assert sorted((r.event.detail["party"], r.event.detail["collection"]) for r in granted) \
        == sorted([(uk.id, requests.id), (f.peer.party_id, requests.id)])
