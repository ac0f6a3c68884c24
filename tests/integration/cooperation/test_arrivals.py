"""An addressee that forges its acknowledgement's `created` into the past gains nothing: the
requester's node stamps when the act reached it, the review times it by that stamp and says
it was backdated."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.integration.cooperation.test_desk import EVIDENCE, T0

from accord.cooperation.arrivals import act_receipt_id
from accord.cooperation.desk import Actor, Desk, Draft
from accord.cooperation.model import Acknowledgement, ActReceipt
from accord.cooperation.objects import to_stix
from accord.cooperation.receipts import marked
from accord.cooperation.report import render
from accord.cooperation.reviewing import review_ledgers
from accord.intake import screen, store

ACK_ID = "x-accord-acknowledgement--00000000-0000-4000-8000-0000000000ac"


def test_a_forged_early_acknowledgement_is_timed_by_its_receipt_and_shown_backdated(world):
    now = [T0]
    desk = Desk(world.node, lambda: now[0])
    us, cn = Actor(world.own), Actor(world.other)
    world.node.objects.add(world.evidence.id, [EVIDENCE], poster_id=world.own.id)
    request = desk.create(us, Draft(world.other.name, "information", "intrusion", "urgent",
                                    "Who runs the C2 server?", evidence=(EVIDENCE["id"],)))
    assert request.acknowledge_by == T0 + timedelta(hours=24)

    # A day and a half later, China posts (as over TAXII) an acknowledgement dated an hour in.
    now[0] = T0 + timedelta(hours=36)
    forged = marked(to_stix(Acknowledgement(ACK_ID, request.request.id, world.other.id,
                                            T0 + timedelta(hours=1))),
                    world.other.id, request.request)
    report = store(world.node.engine, desk.collection(), screen([forged]),
                   party_id=world.other.id, clock=lambda: now[0])
    assert [o.id for o in report.added] == [ACK_ID]

    view = desk.view(us, request.request.id)
    receipt = next(e for e in desk.ledgers(None, [request.request.id])[0].entries
                   if isinstance(e, ActReceipt))
    assert receipt.id == act_receipt_id(ACK_ID) and receipt.party == world.own.id
    assert view.acknowledged_at == receipt.received >= T0 + timedelta(hours=36)
    assert view.acknowledged_on_time is False and view.backdated == (ACK_ID,)
    assert desk.view(cn, request.request.id) == view  # the addressee sees the same

    figures = json.loads(render(review_ledgers(
        desk, T0 - timedelta(days=1), T0 + timedelta(days=1), names={}), "json"))
    (direction,) = figures["directions"].values()
    assert direction["acknowledged_on_time"] == 0 and direction["backdated_acts"] == 1
    assert direction["median_hours_to_acknowledge"] >= 36
