"""A request shared with a third party, as that party's pages show it: read, named as shared
with it (both sides named), and nothing offered that only a side may do."""

from __future__ import annotations

from html import unescape

import pytest
from tests.integration.web.test_request_pages import EVIDENCE, REQUEST, shared

from accord.cooperation.desk import Actor, Desk, Draft

pytestmark = pytest.mark.usefixtures(shared.__name__)


def test_a_party_a_request_is_shared_with_reads_it_as_shared_and_may_not_escalate(world,
                                                                                   browser):
    third = world.node.directory.add_party("Japan (JPCERT/CC)")
    token = world.node.directory.create_token(third, role="liaison", name="Sato")
    draft = Draft(world.other.name, **{k: v for k, v in REQUEST.items() if k != "evidence"},
                  evidence=(EVIDENCE["id"],), shared_with=(third.name,))
    view = Desk(world.node).create(Actor(world.own), draft)
    rid = view.request.id
    japan = browser(token)
    page = unescape(japan.get(f"/ui/requests/{rid}").text)
    assert f'action="/ui/requests/{rid}/escalate"' not in page
    listed = unescape(japan.get("/ui/requests").text)
    pair = f"{world.own.name} → {world.other.name}"
    assert pair in listed and "shared with us" in listed and "from us" not in listed
    csv = japan.get("/ui/requests.csv").text
    assert "shared with us" in csv and ",sent," not in csv


def test_a_party_a_request_is_shared_with_is_told_nothing_to_do_about_its_escalation(world,
                                                                                    browser):
    third = world.node.directory.add_party("Japan (JPCERT/CC)")
    token = world.node.directory.create_token(third, role="liaison", name="Sato")
    desk = Desk(world.node)
    draft = Draft(world.other.name, **{k: v for k, v in REQUEST.items() if k != "evidence"},
                  evidence=(EVIDENCE["id"],), shared_with=(third.name,))
    rid = desk.create(Actor(world.own), draft).request.id
    desk.escalate(Actor(world.own), rid, "disputed", "no contact")
    page = unescape(browser(token).get(f"/ui/requests/{rid}").text)
    assert 'id="what-to-do"' not in page and "escalated this request" not in page
    assert "Contact China" not in unescape(browser(token).get("/ui/").text)
