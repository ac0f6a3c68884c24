"""What a request's page tells each party about its open escalation: who raised it (either
party may), what to do, and what ends it, in the reader's language (web.escalations)."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
from tests.integration.web.test_request_pages import in_chinese, sent, shared

from accord.cooperation.desk import Actor, Desk
from accord.cooperation.model import Escalation
from accord.cooperation.objects import to_stix
from accord.cooperation.receipts import marked
from accord.intake import screen, store

# The request's evidence held, and China granted reading it.
pytestmark = pytest.mark.usefixtures(shared.__name__)


def _said(page: str) -> str:
    return " ".join(unescape(page).split())


def test_an_escalation_the_addressee_raised_is_told_as_its_own_to_each_side(
        world, browser):
    us, china = browser(world.admin_token), browser(world.other_token)
    rid = sent(us, world)
    china.get(f"/ui/requests/{rid}")
    china.post(f"/ui/requests/{rid}/escalate", {"reason": "disputed", "note": "not ours",
                                                "confirmed": "yes"})

    theirs = _said(china.get(f"/ui/requests/{rid}").text)
    assert "Your party escalated this request" in theirs
    assert "end the escalation below" in theirs
    assert "ends by itself when you respond or United States" in theirs
    assert "escalated this request" in theirs and "United States (US-CERT) escalated" \
        not in theirs and "what is overdue" not in theirs

    ours = _said(us.get(f"/ui/requests/{rid}").text)
    assert "China (CNCERT/CC) escalated this request" in ours
    assert "hear what they raise" in ours
    assert "It ends when China (CNCERT/CC) ends it or responds, or when you withdraw" in ours
    assert "Your party escalated" not in ours and "end the escalation below" not in ours


def test_an_escalation_raised_after_the_response_asks_no_response_again(world, browser):
    # This node's desk refuses it; the ledger takes one from a peer's node (a dispute of the
    # answer's quality), and it stays open after the answer.
    us, china = browser(world.admin_token), browser(world.other_token)
    rid = sent(us, world)
    desk = Desk(world.node)
    answered = desk.respond(Actor(world.other), rid, "information-provided", "A hosting firm.")
    assert answered.response is not None
    escalation = Escalation("x-accord-escalation--00000000-0000-4000-8000-0000000000e1", rid,
                            world.own.id, answered.response.time + timedelta(minutes=5),
                            reason="disputed", level=1, note="incomplete")
    store(world.node.engine, desk.collection(),
          screen([marked(to_stix(escalation), world.own.id, answered.request)]),
          party_id=world.own.id)

    theirs = _said(china.get(f"/ui/requests/{rid}").text)
    assert "United States (US-CERT) escalated this request" in theirs
    assert "respond now" not in theirs and "ends by itself when you respond" not in theirs
    # No withdrawal ends it: the desk withdraws no answered request.
    assert "It ends when United States (US-CERT) ends it." in theirs
    assert "withdraw" not in theirs.split("What to do")[1].split("</p>")[0]

    ours = _said(us.get(f"/ui/requests/{rid}").text)
    assert "Your party escalated this request" in ours and "what you raise" in ours
    assert "When it is settled, end the escalation below." in ours


def test_what_to_do_is_said_in_chinese_sentences(world, browser):
    us, china = browser(world.admin_token), in_chinese(browser(world.other_token))
    rid = sent(us, world)
    china.post(f"/ui/requests/{rid}/escalate", {"reason": "disputed", "note": "不是我们的",
                                                "confirmed": "yes"})
    theirs = _said(china.get(f"/ui/requests/{rid}").text)
    assert "您方已将此请求升级" in theirs and "。应做的事" in theirs, theirs
