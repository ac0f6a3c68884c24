"""A receipt pulled from a peer counts only in the name of the party it receipts for, as over
TAXII: a peer cannot time its own party's act by delivering the act's receipt itself."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from tests.integration.cooperation.test_desk import EVIDENCE
from tests.integration.federation.conftest import Federation, indicator

from accord.cooperation.arrivals import act_receipt_id
from accord.cooperation.desk import Actor, Desk, Draft
from accord.cooperation.model import ActReceipt
from accord.cooperation.objects import to_stix
from accord.federation.sync import sync_peer
from accord.intake import _Signer


def test_a_pulled_act_receipt_in_the_acting_side_s_name_is_refused(federation):
    f: Federation = federation
    china, us = f.china, f.us
    desk = Desk(china)
    requester = china.directory.own_party()
    assert requester is not None
    china.objects.add(china.directory.collection("evidence").id, [EVIDENCE],
                      poster_id=requester.id)
    view = desk.create(Actor(requester), Draft(f.peer.party_id, "information", "intrusion",
                                               "urgent", "Who runs the C2 server?",
                                               evidence=(EVIDENCE["id"],)))
    request = view.request
    # The US party's acknowledgement is received by China's party: its receipt is China's
    # node's to make. The US node signs one in its own party's name, under that receipt's id.
    ack_id = f"x-accord-acknowledgement--{uuid.uuid4()}"
    early = request.created - timedelta(days=2)
    forged = to_stix(ActReceipt(act_receipt_id(ack_id), request.id, us.own.id, early,
                                act_id=ack_id, received=early))
    f.share(*_Signer(us.node.engine)([forged]))

    # What China's node pushes of its own ledgers is not what is tested: taken as stored.
    f.hooks.append(lambda r: httpx.Response(202, json={"success_count": 1})
                   if r.method == "POST" else None)
    outcome = sync_peer(china, f.peer, f.transport)

    refused = {r.id: r.violations[0] for r in outcome.refused}
    assert refused[forged["id"]].rule == "receipt-maker"
    assert requester.id in refused[forged["id"]].message
    ledger = desk.ledgers(None, [request.id])[0]
    assert forged["id"] not in {e.id for e in ledger.entries}


def test_a_request_shared_with_a_party_unknown_here_does_not_stop_the_pull(federation):
    # The US shares its request with a third party registered on its node alone: China's
    # node cannot let that party read its requests collection (it does not know it), and
    # failed every round there, for good, pulling nothing more.
    f: Federation = federation
    us = f.us
    third = us.node.directory.add_party("United Kingdom (NCSC)")
    us.node.objects.add(us.evidence.id, [EVIDENCE], poster_id=us.own.id)
    Desk(us.node).create(Actor(us.own), Draft(us.other.name, "information", "intrusion",
                                              "urgent", "Who runs the C2 server?",
                                              evidence=(EVIDENCE["id"],),
                                              shared_with=(third.name,)))
    f.share(indicator(7))
    f.hooks.append(lambda r: httpx.Response(202, json={"success_count": 0})
                   if r.method == "POST" else None)
    outcome = sync_peer(f.china, f.peer, f.transport)
    assert outcome.stored >= 1 and str(indicator(7)["id"]) in f.held()
    assert china_knows_nothing_of(f, third.id)


def china_knows_nothing_of(f: Federation, party_id: str) -> bool:
    return f.china.directory.find_party(party_id) is None


def _request_to_the_us(f: Federation):  # type: ignore[no-untyped-def]
    requester = f.china.directory.own_party()
    assert requester is not None
    f.china.objects.add(f.china.directory.collection("evidence").id, [EVIDENCE],
                        poster_id=requester.id)
    return Desk(f.china).create(Actor(requester), Draft(
        f.peer.party_id, "information", "intrusion", "urgent", "Who runs the C2 server?",
        evidence=(EVIDENCE["id"],))).request


def _pulled(f: Federation, *objects) -> dict[str, object]:  # type: ignore[no-untyped-def]
    f.share(*_Signer(f.us.node.engine)(list(objects)))
    f.hooks.append(lambda r: httpx.Response(202, json={"success_count": 1})
                   if r.method == "POST" else None)
    outcome = sync_peer(f.china, f.peer, f.transport)
    return {r.id: r.violations[0] for r in outcome.refused}


def test_an_escalation_in_the_watchers_name_or_stamped_ahead_is_refused(federation):
    # The addressee stored escalations under the ids the watcher gives its own: the node then
    # refused the watcher's at every tick. A lateness escalation stamped ahead of the clock
    # counted as lateness before the deadline came.
    from datetime import UTC, datetime

    from accord.cooperation.model import Escalation, escalation_id

    f: Federation = federation
    request = _request_to_the_us(f)
    now = datetime.now(UTC)
    squatted = to_stix(Escalation(escalation_id(request.id, "acknowledgement-overdue"),
                                  request.id, f.us.own.id, now, reason="manual"))
    ahead = to_stix(Escalation(f"x-accord-escalation--{uuid.uuid4()}", request.id,
                               f.us.own.id, now + timedelta(hours=2),
                               reason="response-overdue"))
    refused = _pulled(f, squatted, ahead)
    assert "the deadline watcher's escalation" in str(refused[squatted["id"]].message)
    assert "ahead of this node's clock" in str(refused[ahead["id"]].message)
