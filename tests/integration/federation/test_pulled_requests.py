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


def test_a_version_refused_beside_a_copy_of_one_stored_lets_no_one_in(federation):
    # A peer's page with a request held here already and another version of it (the same
    # id and modified, other parties): the copy came back "already stored", the other was
    # refused, and its parties were let in by the id they shared.
    import orjson

    f: Federation = federation
    uk = f.china.directory.add_party("United Kingdom (NCSC)")
    fr = f.china.directory.add_party("France (ANSSI)")
    rid = _sent(f, uk.id, reaching_it=True)
    _pull(f)
    held = next(o for o in f.us.node.objects.page(f.shared.id, _everything()).items
                if o.id == rid)
    original = orjson.loads(held.body)
    request = Request(rid, datetime.now(UTC), f.us.own.id, f.us.other.id, "information",
                      "intrusion", "urgent", "Who runs the C2 server?", shared_with=(fr.id,))
    variant = marked(to_stix(request), f.us.own.id, request)
    variant["created"], variant["modified"] = original["created"], original["modified"]
    [signed] = _Signer(f.us.node.engine)([variant])

    def page(r: httpx.Request) -> httpx.Response | None:
        if r.method == "GET" and r.url.path.endswith(f"/{f.shared.id}/objects/"):
            return httpx.Response(200, headers={"Content-Type": "application/taxii+json;"
                                                "version=2.1"},
                                  content=orjson.dumps({"more": False,
                                                        "objects": [original, signed]}))
        return None

    f.hooks.append(page)
    outcome = _pull(f)
    assert rid in {r.id for r in outcome.refused}
    assert f.china.directory.granted(Desk(f.china).collection().id, fr.id) is None


def _everything():  # type: ignore[no-untyped-def]
    from accord.store.query import ALL, ObjectQuery

    return ObjectQuery(limit=1000, versions=frozenset({ALL}))


def test_a_party_that_may_only_read_the_requests_is_let_act_but_one_shut_out_is_not(world):
    desk = Desk(world.node)
    requests = desk.collection()
    reader = world.node.directory.add_party("Reader")
    shut = world.node.directory.add_party("Shut out")
    world.node.directory.grant(requests.id, reader, Grant(True, False))
    world.node.directory.grant(requests.id, shut, Grant(False, False))
    desk.admit(requests, [reader.id, shut.id])
    assert world.node.directory.granted(requests.id, reader.id) == Grant(True, True)
    assert world.node.directory.granted(requests.id, shut.id) == Grant(False, False)
