"""The hotline page lists what deriving every ledger listed, reading only the requests it shows:
open escalations up to a cap (then how many more, and where to see them), the requests
escalated most recently whose escalations ended; never another party's."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from tests.integration.cooperation.test_desk import Clock
from tests.integration.store.test_escalation_reads import escalations_made

from accord.cooperation.desk import Actor, Desk
from accord.trust.access import Grant
from accord.web import hotline_page

ROW = re.compile(r'<tr class="(escalated)?">.*?href="/ui/requests/([^"]+)"', re.S)


@pytest.fixture
def made(world):
    # An hour ago: no deadline passes while the pages are read.
    return escalations_made(world, Clock(datetime.now(UTC) - timedelta(hours=1)))


def rows(page: str) -> tuple[list[str], list[str]]:
    """The request of each row, in order: open escalations, closed ones."""
    opened, closed = page.split('<h2>Closed', 1)
    return ([rid for _, rid in ROW.findall(opened)], [rid for _, rid in ROW.findall(closed)])


def as_before(world, party):
    """Each escalation's row as the page made them from every ledger the party may see:
    its request, open or not, newest first."""
    found = [(e.escalation.time, e.escalation.id, v.request.id, e.is_open)
             for v in Desk(world.node).search(Actor(party)) for e in v.escalations]
    found.sort(reverse=True)
    return ([rid for *_, rid, is_open in found if is_open],
            [rid for *_, rid, is_open in found if not is_open])


def test_the_page_lists_every_escalation_as_it_did_from_every_ledger(world, browser, made):
    for token, party in ((world.admin_token, world.own), (world.other_token, world.other)):
        page = browser(token).get("/ui/hotline").text
        assert rows(page) == as_before(world, party)
        assert "more requests have an escalation open" not in page
    opened, closed = rows(browser(world.other_token).get("/ui/hotline").text)
    assert opened == [made["twice"], *reversed(made["open"])]
    assert closed == [made["twice"], made["answered"], made["by_hand"]]


def test_past_the_cap_the_page_says_how_many_more_and_where_to_see_them(
        world, browser, made, monkeypatch):
    monkeypatch.setattr(hotline_page, "MOST_OPEN", 2)
    monkeypatch.setattr(hotline_page, "MOST_CLOSED", 1)
    page = unescape(browser(world.other_token).get("/ui/hotline").text)
    assert "2 more requests have an escalation open: only the 2 escalated most recently are " \
           "listed here." in page
    assert '<a href="/ui/requests?state=escalated">' in page
    assert "The ended escalations of the 1 requests escalated most recently" in page
    opened, closed = rows(page)
    assert opened == [made["twice"], made["open"][2]]
    assert closed == [made["twice"], made["answered"]]  # the open one's ended escalation too


def test_a_party_never_sees_escalations_of_requests_it_does_not_take_part_in(
        world, browser, made):
    russia = browser(world.node.directory.create_token(made["russia"], role="liaison"))
    assert rows(russia.get("/ui/hotline").text) == ([made["theirs"]], [])
    china = browser(world.other_token)
    page = china.get("/ui/hotline").text
    assert made["theirs"] not in page and "Between the United States and Russia" not in page
    # No longer let read the requests collection: no escalation, not even its own.
    world.node.directory.grant(Desk(world.node).collection().id, world.other, Grant(False, True))
    page = china.get("/ui/hotline").text
    assert rows(page) == ([], []) and "No open escalation." in page


def test_an_escalation_the_watcher_raised_says_so_rather_than_name_the_requester(world,
                                                                                 browser):
    from tests.integration.cooperation.test_desk import EVIDENCE
    from tests.integration.web.test_request_pages import in_chinese

    from accord.cooperation.desk import Draft
    from accord.cooperation.escalating import watch

    world.node.objects.add(world.evidence.id, [EVIDENCE], poster_id=world.own.id)
    desk = Desk(world.node)
    view = desk.create(Actor(world.own), Draft(world.other.name, "information", "intrusion",
                                               "urgent", "Who runs the C2 server?",
                                               evidence=(EVIDENCE["id"],)))
    desk.escalate(Actor(world.own), view.request.id, note="Called them, no answer")
    assert watch(Desk(world.node, lambda: view.acknowledge_by + timedelta(minutes=1)))
    automatic = f"automatically, for {world.own.name}"

    hotline = unescape(browser(world.other_token).get("/ui/hotline").text)
    assert hotline.count(automatic) == 1  # the watcher's; the one by hand names its party
    assert f"<td>{world.own.name}</td>" in hotline
    page = unescape(browser(world.admin_token).get(f"/ui/requests/{view.request.id}").text)
    assert page.count(automatic) == 1 and f"by {world.own.name}" in page
    chinese = unescape(in_chinese(browser(world.other_token)).get(
        f"/ui/requests/{view.request.id}").text)
    assert f"由系统自动发起（代表 {world.own.name}）" in chinese
