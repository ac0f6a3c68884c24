"""A request from form to rating through the pages, as two liaison officers would do it."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest

from accord.cooperation.desk import Actor, Desk, Draft
from accord.cooperation.model import Acknowledgement
from accord.cooperation.objects import to_stix
from accord.cooperation.receipts import marked
from accord.intake import screen, store
from accord.trust.access import Grant

EVIDENCE = {
    "type": "indicator", "spec_version": "2.1",
    "id": "indicator--00000000-0000-4000-8000-00000000a001",
    "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
    "name": "Sakula C2", "pattern": "[ipv4-addr:value = '198.51.100.7']",
    "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
}
REQUEST = {"kind": "information", "category": "intrusion", "urgency": "priority",
           "summary": "Who operates 198.51.100.7?", "evidence": EVIDENCE["id"]}


@pytest.fixture
def shared(world):
    world.node.objects.add(world.evidence.id, [EVIDENCE], poster_id=world.own.id)
    world.node.directory.grant(world.evidence.id, world.other, Grant(True, False))


def at_new_request(world, browser, **cookies: str):  # type: ignore[no-untyped-def]
    """An admin officer of the US, with `cookies` (accord_tz, accord_lang), on the new-request
    form, the evidence it attaches held."""
    world.node.objects.add(world.evidence.id, [EVIDENCE], poster_id=world.own.id)
    officer = browser(world.admin_token)
    for name, value in cookies.items():
        officer.client.cookies.set(name, value)
    officer.get("/ui/requests/new")
    return officer


def request_id(response) -> str:
    return re.search(r"/ui/requests/(x-accord-request--[0-9a-f-]+)",
                     response.headers["location"]).group(1)


def sent(us, world) -> str:
    """The id of a request `us` sends China through the form, and its page opened."""
    us.get("/ui/requests/new")
    rid = request_id(us.post("/ui/requests/new", {**REQUEST, "to": world.other.id}))
    us.get(f"/ui/requests/{rid}")
    return rid


def in_chinese(reader):
    reader.get("/ui/")
    reader.post("/ui/language", {"lang": "zh-Hans", "next": "/ui/"})
    return reader


def test_a_request_goes_from_the_form_to_the_rating(world, browser, shared):
    us = browser(world.admin_token)
    us.get("/ui/requests/new")
    incomplete = us.post("/ui/requests/new", {**REQUEST, "to": world.other.id, "evidence": ""})
    assert incomplete.status_code == 400
    assert "A request of the kind “Information” must carry: Evidence (guidelines version 0)" in \
        unescape(incomplete.text)
    assert 'value="Who operates 198.51.100.7?"' in incomplete.text  # nothing typed is lost
    sent = us.post("/ui/requests/new", {**REQUEST, "to": world.other.id})
    assert sent.status_code == 303, sent.text
    rid = request_id(sent)
    page = us.get(sent.headers["location"])
    assert "Request sent" in page.text and "Sakula C2" in page.text
    assert "Deadline to respond" in page.text and "/acknowledge" not in page.text

    cn = browser(world.other_token)
    dashboard = cn.get("/ui/")
    assert "Who operates 198.51.100.7?" in dashboard.text and "Acknowledge" in dashboard.text
    theirs = cn.get(f"/ui/requests/{rid}")
    assert f"/ui/requests/{rid}/acknowledge" in theirs.text
    assert "The guidelines (version 0) give 2 d to acknowledge" in theirs.text
    assert cn.post(f"/ui/requests/{rid}/acknowledge", {"note": "on it"}).status_code == 303
    twice = cn.post(f"/ui/requests/{rid}/acknowledge", {"note": "again"})
    assert twice.status_code == 409 and "already acknowledged" in twice.text
    assert cn.post(f"/ui/requests/{rid}/report", {"text": "tracing"}).status_code == 303
    no_reason = cn.post(f"/ui/requests/{rid}/respond", {"outcome": "declined"})
    assert no_reason.status_code == 400 and "must give a reason" in no_reason.text
    assert "--reason" not in no_reason.text
    found = {**EVIDENCE, "id": "indicator--00000000-0000-4000-8000-00000000a002",
             "name": "Tianjin hosting range", "pattern": "[ipv4-addr:value = '203.0.113.0/24']"}
    world.node.objects.add(world.evidence.id, [found], poster_id=world.own.id)
    answered = cn.post(f"/ui/requests/{rid}/respond",
                       {"outcome": "information-provided", "text": "A hosting firm in Tianjin",
                        "evidence": f"{EVIDENCE['id']}\n{found['id']}\n"})
    assert answered.status_code == 303, answered.text

    back = us.get("/ui/")
    assert "Rate the response" in back.text
    bad = us.post(f"/ui/requests/{rid}/rate", {"score": "nine"})
    assert bad.status_code == 400 and "from 1 (useless) to 5" in bad.text
    assert us.post(f"/ui/requests/{rid}/rate", {"score": "4", "comment": "useful"}
                   ).status_code == 303
    final = us.get(f"/ui/requests/{rid}?done=rate")
    assert "Rating sent." in final.text and "Closed" in final.text
    for step in ("Request sent", "Received by the addressee", "Acknowledged", "Status report",
                 "Response", "Rated", "A hosting firm in Tianjin", "useful"):
        assert step in final.text, step
    returned = final.text.split("Returned evidence")[1].split("</dd>")[0]
    assert "Sakula C2" in returned and "Tianjin hosting range" in returned


def test_only_the_addressee_answers_and_a_reader_only_reads(world, browser, shared):
    us = browser(world.admin_token)
    us.get("/ui/requests/new")
    rid = request_id(us.post("/ui/requests/new", {**REQUEST, "to": world.other.id}))
    wrong_side = us.post(f"/ui/requests/{rid}/acknowledge", {})
    assert wrong_side.status_code == 400 and "only the addressed party" in wrong_side.text

    reader = browser(world.node.directory.create_token(world.other, role="reader",
                                                       name="Analyst Li"))
    page = reader.get(f"/ui/requests/{rid}")
    assert page.status_code == 200 and "reader role" in page.text
    assert "/acknowledge\"" not in page.text
    refused = reader.post(f"/ui/requests/{rid}/acknowledge", {})
    assert refused.status_code == 403 and "liaison role" in refused.text
    assert "Acknowledged" not in us.get(f"/ui/requests/{rid}").text


def test_a_request_another_party_may_not_see_is_not_found(world, browser, shared):
    us = browser(world.admin_token)
    us.get("/ui/requests/new")
    rid = request_id(us.post("/ui/requests/new", {**REQUEST, "to": world.other.id}))
    russia = world.node.directory.add_party("Russia")
    ru = browser(world.node.directory.create_token(russia, role="liaison"))
    hidden = ru.get(f"/ui/requests/{rid}")
    missing = ru.get("/ui/requests/x-accord-request--00000000-0000-4000-8000-000000000000")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text.replace(rid, "ID") == missing.text.replace(
        "x-accord-request--00000000-0000-4000-8000-000000000000", "ID")
    assert "Who operates" not in ru.get("/ui/").text + ru.get("/ui/hotline").text


def test_the_form_is_checked_against_the_guidelines_as_you_type(world, browser, shared):
    us = browser(world.admin_token)
    us.get("/ui/requests/new")
    checked = us.post("/ui/requests/check", {"to": world.other.id, "kind": "prosecution",
                                             "category": "fraud", "urgency": "urgent",
                                             "summary": "BEC ring"})
    assert checked.status_code == 200
    assert checked.json()["missing"] == ["Affected victims", "Impact", "Legal basis",
                                         "Evidence"]
    assert checked.json()["guidelines"]["deadlines"]["urgent"] == {"acknowledge": "1 d",
                                                                   "respond": "3 d"}
    odd = us.post("/ui/requests/check", {"to": "nobody", "kind": "information",
                                         "activity_start": "yesterday"})
    problems = odd.json()["problems"]
    assert any("addressed to" in p for p in problems)
    assert any("'yesterday' is not a date" in p for p in problems)


def test_evidence_named_in_the_form_is_read_on_the_record(world, browser, shared):
    from accord.store.audit_log import AuditQuery

    cn = browser(world.other_token)
    page = cn.get("/ui/requests/new", params={"evidence": EVIDENCE["id"]})
    assert "Sakula C2" in page.text
    world.node.reads.flush()
    records = world.node.audit.query(AuditQuery(party_id=world.other.id,
                                                action="objects.read", limit=5))
    assert any(EVIDENCE["id"] in r.event.object_ids for r in records)


def test_evidence_is_found_by_value_name_or_id_among_what_i_may_read(world, browser, shared):
    us = browser(world.admin_token)
    for query in ("198.51.100.7", "Sakula", EVIDENCE["id"]):
        found = us.get("/ui/evidence", params={"q": query}).json()["results"]
        assert [r["id"] for r in found] == [EVIDENCE["id"]], query
    russia = world.node.directory.add_party("Russia")
    ru = browser(world.node.directory.create_token(russia, role="liaison"))
    for query in ("198.51.100.7", "Sakula", EVIDENCE["id"]):
        assert ru.get("/ui/evidence", params={"q": query}).json()["results"] == []


def test_the_review_page_shows_the_report_and_offers_every_format(world, browser, shared):
    us = browser(world.admin_token)
    us.get("/ui/requests/new")
    us.post("/ui/requests/new", {**REQUEST, "to": world.other.id})
    page = us.get("/ui/review")
    assert page.status_code == 200 and "From United States (US-CERT) to China" in page.text
    assert "<svg" in page.text
    for fmt, media in (("csv", "text/csv"), ("json", "application/json"),
                       ("html", "text/html"), ("md", "text/markdown")):
        link = re.search(rf'href="(/ui/review/download\?format={fmt}[^"]*)"', page.text)
        assert link, fmt
        got = us.get(link.group(1).replace("&amp;", "&"))
        assert got.status_code == 200 and got.headers["content-type"].startswith(media)
        assert "attachment" in got.headers["content-disposition"]
    wrong = us.get("/ui/review", params={"from": "2026-13-01"})
    assert wrong.status_code == 400 and "is not a date" in wrong.text
    for path in ("/ui/review", "/ui/review/download"):
        far = us.get(path, params={"to": "9999-12-31", "format": "csv"})
        assert far.status_code == 400 and "beyond the calendar" in far.text, path


def test_the_requests_page_filters_and_the_dashboard_keeps_what_still_runs(world, browser,
                                                                           shared):
    us = browser(world.admin_token)
    us.get("/ui/requests/new")
    running = request_id(us.post("/ui/requests/new", {**REQUEST, "to": world.other.id}))
    us.get("/ui/requests/new")
    done = request_id(us.post("/ui/requests/new", {**REQUEST, "to": world.other.id,
                                                   "summary": "Withdrawn one"}))
    us.get(f"/ui/requests/{done}")
    assert us.post(f"/ui/requests/{done}/withdraw", {"reason": "solved",
                                                             "confirmed": "yes"}).status_code == 303
    dashboard = us.get("/ui/").text
    assert f"/ui/requests/{running}" in dashboard and f"/ui/requests/{done}" not in dashboard
    every = us.get("/ui/requests", params={"direction": "sent"}).text
    assert f"/ui/requests/{running}" in every and f"/ui/requests/{done}" in every
    withdrawn = us.get("/ui/requests", params={"state": "withdrawn"}).text
    assert f"/ui/requests/{done}" in withdrawn and f"/ui/requests/{running}" not in withdrawn
    assert "No request matches" in us.get("/ui/requests", params={"direction": "received"}).text
    odd = us.get("/ui/requests", params={"state": "<nonsense>", "party": "x"})
    # A filter the list does not offer is said (escaped), not dropped with everything listed.
    assert odd.status_code == 400 and "&lt;nonsense&gt;" in odd.text
    assert "<nonsense>" not in odd.text


def test_the_hotline_page_lists_escalations_and_whether_the_hotlines_heard(world, browser,
                                                                           shared):
    from accord.cooperation.hotline import Hotline

    Hotline(world.node.engine).set_contact(world.other.id, "https://hotline.cn.example/hook")
    us = browser(world.admin_token)
    us.get("/ui/requests/new")
    rid = request_id(us.post("/ui/requests/new", {**REQUEST, "to": world.other.id}))
    form = unescape(us.get(f"/ui/requests/{rid}").text)
    # Before: what escalating will do, as the desk will do it.
    assert "the request goes to level 1 of the escalation ladder (liaison officers)" in form
    assert "The hotline contacts of China (CNCERT/CC) are notified." in form
    escalated = us.post(f"/ui/requests/{rid}/escalate", {"reason": "disputed",
                                                         "note": "no answer",
                                                         "confirmed": "yes"})
    assert escalated.status_code == 303
    # After: the notice, the timeline and the hotline page say the same thing.
    told = "China (CNCERT/CC)'s hotline is being notified."
    where = "level 1 of the escalation ladder (liaison officers)"
    request_page = unescape(us.get(escalated.headers["location"]).text)
    assert f"Escalated to {where}. {told}" in request_page
    assert f"escalated to {where}" in request_page.split('id="timeline"')[1]
    assert "contact China (CNCERT/CC)'s liaison officers directly" in request_page
    page = us.get("/ui/hotline").text
    opened = unescape(page.split("Closed")[0])
    assert "Who operates 198.51.100.7?" in opened
    assert f'title="disputed">Disputed</span> · {where}' in opened
    assert told in opened and "Escalated to the hotline" not in request_page
    assert "hotline.cn.example" not in page  # the other party's webhook is not shown
    # The dashboard says what to do about it, not "Follow the escalation".
    assert "Contact China (CNCERT/CC)&#39;s liaison officers (escalation level 1)" in us.get(
        "/ui/").text


def test_a_hotline_that_cannot_be_reached_is_said_so_with_what_to_do(world, browser, shared):
    # "is being notified (4 attempts so far)", while every attempt had failed: the officer
    # waited where a telephone call was due.
    from datetime import UTC, datetime, timedelta

    import httpx

    from accord.cooperation.hotline import Hotline

    Hotline(world.node.engine).set_contact(world.other.id, "https://hotline.cn.example/hook")
    us = browser(world.admin_token)
    us.get("/ui/requests/new")
    rid = request_id(us.post("/ui/requests/new", {**REQUEST, "to": world.other.id}))
    us.post(f"/ui/requests/{rid}/escalate", {"reason": "disputed", "note": "no answer",
                                             "confirmed": "yes"})

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=request)

    Hotline(world.node.engine, httpx.MockTransport(refused)).deliver_due(
        datetime.now(UTC) + timedelta(seconds=5))  # one attempt: the next is 10 s after it
    for page in (us.get(f"/ui/requests/{rid}").text, us.get("/ui/hotline").text):
        said = unescape(page)
        assert "China (CNCERT/CC)'s hotline has not been reached: 1 attempt failed; the " \
            "next at" in said and "Until it is, reach China (CNCERT/CC) by telephone." in said
        assert "being notified" not in said and "Connection refused" not in said


def test_an_escalation_without_hotline_contacts_says_none_was_notified(world, browser, shared):
    us = browser(world.admin_token)
    us.get("/ui/requests/new")
    rid = request_id(us.post("/ui/requests/new", {**REQUEST, "to": world.other.id}))
    form = unescape(us.get(f"/ui/requests/{rid}").text)
    assert "Neither party has a hotline contact set on this node, so no hotline is notified." \
        in form
    escalated = us.post(f"/ui/requests/{rid}/escalate", {"reason": "manual", "note": "stalled",
                                                          "confirmed": "yes"})
    none = "No hotline was notified: neither party has a hotline contact set on this node"
    assert none in unescape(us.get(escalated.headers["location"]).text)
    assert none in unescape(us.get("/ui/hotline").text)
    # The addressee is told what to do: acknowledge and respond.
    theirs = unescape(browser(world.other_token).get(f"/ui/requests/{rid}").text)
    assert "United States" in theirs and "What to do: acknowledge it, then respond now" in theirs


def test_a_backdated_acknowledgement_is_marked_on_the_timeline(world, browser, shared):
    desk = Desk(world.node)
    view = desk.create(Actor(world.own), Draft(world.other.name, **{
        k: v for k, v in REQUEST.items() if k != "evidence"}, evidence=(EVIDENCE["id"],)))
    request = view.request
    ack = Acknowledgement("x-accord-acknowledgement--00000000-0000-4000-8000-00000000a0c1",
                          request.id, world.other.id, view.received - timedelta(hours=3))
    store(world.node.engine, desk.collection(),
          screen([marked(to_stix(ack), world.other.id, request)]), party_id=world.other.id)
    for token in (world.admin_token, world.other_token):
        page = browser(token).get(f"/ui/requests/{request.id}").text
        assert "Backdated:" in page and "more than 5 min before it reached" in page


def test_a_withdrawn_request_counts_nothing_down_and_its_escalation_says_how_it_ended(
        world, browser, shared):
    us = browser(world.admin_token)
    rid = sent(us, world)
    assert "data-due=" in us.get(f"/ui/requests/{rid}").text  # running: counted down
    assert us.post(f"/ui/requests/{rid}/escalate", {"reason": "disputed", "note": "no answer",
                                                    "confirmed": "yes"}).status_code == 303
    us.get(f"/ui/requests/{rid}")
    assert us.post(f"/ui/requests/{rid}/withdraw", {"reason": "solved",
                                                    "confirmed": "yes"}).status_code == 303
    page = us.get(f"/ui/requests/{rid}").text
    assert "data-due=" not in page  # neither in the header nor in the timeline
    hotline = unescape(us.get("/ui/hotline").text)
    assert "(by the withdrawal)" in hotline and "(withdrawn)" not in hotline
    us.post("/ui/language", {"lang": "zh-Hans", "next": "/ui/"})
    assert "(因撤回而结束)" in us.get("/ui/hotline").text


def test_the_desk_s_refusals_are_said_in_the_reader_s_language(world, browser, shared):
    us = browser(world.admin_token)
    rid = sent(us, world)
    cn = in_chinese(browser(world.other_token))
    cn.get(f"/ui/requests/{rid}")
    assert cn.post(f"/ui/requests/{rid}/acknowledge", {"note": ""}).status_code == 303
    cn.get(f"/ui/requests/{rid}")
    again = cn.post(f"/ui/requests/{rid}/acknowledge", {"note": ""})
    assert again.status_code == 409
    assert f"{rid} 已于 " in again.text and "确认收到：本次确认未发送" in again.text
    assert "already" not in again.text
    cn.get(f"/ui/requests/{rid}")
    refused = cn.post(f"/ui/requests/{rid}/respond", {"outcome": "declined", "text": "",
                                                      "reason": ""})
    assert refused.status_code == 400
    assert "答复结果为“已拒绝”时必须说明理由" in unescape(refused.text)  # the outcome in words
    # An act's own words in the sentence: in English for an English reader, in Chinese else.
    us.get(f"/ui/requests/{rid}")
    theirs = us.post(f"/ui/requests/{rid}/report", {"text": "looking"})
    assert "only the addressed party may report on a request" in unescape(theirs.text)
    us.post("/ui/language", {"lang": "zh-Hans", "next": "/ui/"})
    us.get(f"/ui/requests/{rid}")
    theirs = us.post(f"/ui/requests/{rid}/report", {"text": "looking"})
    assert "只有被请求方可以对请求执行“提交进展报告”" in unescape(theirs.text)


def test_a_request_missing_content_is_refused_in_the_reader_s_words(world, browser, shared):
    cn = in_chinese(browser(world.other_token))
    cn.get("/ui/requests/new")
    refused = cn.post("/ui/requests/new", {**REQUEST, "to": world.own.id, "evidence": ""})
    assert refused.status_code == 400
    text = unescape(refused.text)
    assert "“信息”类请求必须包含：证据（指南第 0 版）" in text, text[text.find("notice"):][:300]


def test_the_language_switch_on_a_page_shown_for_a_form_goes_back_to_the_form_s_page(
        world, browser, shared):
    us = browser(world.admin_token)
    rid = sent(us, world)
    asked = us.post(f"/ui/requests/{rid}/withdraw", {"reason": ""})  # refused: no reason
    assert asked.status_code == 400
    back = re.search(r'name="next" value="([^"]*)"', asked.text).group(1)
    assert back == f"/ui/requests/{rid}"
    switched = us.post("/ui/language", {"lang": "zh-Hans", "next": back})
    assert us.get(switched.headers["location"]).status_code == 200
    us.get("/ui/requests/new")
    checked = us.post("/ui/requests/new", {**REQUEST, "to": world.other.id, "evidence": ""})
    assert re.search(r'name="next" value="([^"]*)"', checked.text).group(1) == \
        "/ui/requests/new"


def _indicators(count: int) -> list[dict]:
    return [dict(EVIDENCE, id=f"indicator--00000000-0000-4000-8000-{n:012d}",
                 name=f"Evidence {n}") for n in range(1, count + 1)]


def test_a_request_with_much_evidence_lists_the_first_and_counts_the_rest(world, browser):
    # Each listed id is looked up for its name: a request that came over TAXII may carry a
    # million of them, and every view of it must not look them all up.
    many = _indicators(130)
    world.node.objects.add(world.evidence.id, many, poster_id=world.own.id)
    world.node.directory.grant(world.evidence.id, world.other, Grant(True, False))
    view = Desk(world.node).create(Actor(world.own), Draft(world.other.name, **{
        k: v for k, v in REQUEST.items() if k != "evidence"},
        evidence=tuple(o["id"] for o in many)))
    for token in (world.admin_token, world.other_token):
        page = unescape(browser(token).get(f"/ui/requests/{view.request.id}").text)
        listed = page.split('<ul class="plain" id="evidence">', 1)[1].split("</ul>", 1)[0]
        assert "Evidence 1<" in listed and "Evidence 100<" in listed
        assert "Evidence 101<" not in listed and "not readable" not in listed
        assert "and 30 more, not listed here" in listed



def test_a_party_this_node_does_not_know_is_said_so_with_its_id(world, browser):
    # A request from a peer's node may be shared with a third party of that node, never
    # pinned here: its page says so, rather than showing an id where a name belongs.
    from datetime import UTC, datetime

    from accord.cooperation.model import Request

    stranger = "identity--7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    made = Request("x-accord-request--3c2b1a0f-9e8d-4c7b-a6f5-e4d3c2b1a0f9",
                   datetime(2026, 3, 1, tzinfo=UTC), world.other.id, world.own.id,
                   "information", "intrusion", "routine", "Who else saw this?",
                   shared_with=(stranger,))
    desk = Desk(world.node)
    desk.admit(desk.collection(), [world.own.id, world.other.id])
    [outcome] = world.node.objects.add(desk.collection().id, [
        marked(to_stix(made), world.other.id, made)])
    assert outcome.stored
    reader = browser(world.admin_token)
    for label, words in (("Also shared with", "a party this node does not know"),
                         ("同时共享给", "本节点未知的一方")):
        if label != "Also shared with":
            in_chinese(reader)
        page = reader.get(f"/ui/requests/{made.id}")
        assert page.status_code == 200
        shared_row = re.search(r"<dd>(.*?)</dd>", page.text.split(label)[1]).group(1)
        assert words in shared_row and stranger in shared_row
        assert f"<dd>{world.other.name}</dd>" in unescape(page.text)


def test_the_addressee_is_told_what_a_request_lacks_of_what_its_node_requires(world, browser):
    # From a peer's node (or over TAXII) a request may come without what this node's
    # guidelines require of its kind: it is stored, not lost, and its addressee is told.
    from datetime import UTC, datetime

    from accord.cooperation.model import Request

    made = Request("x-accord-request--4d3c2b1a-0f9e-4d8c-b7a6-f5e4d3c2b1a0",
                   datetime(2026, 3, 1, tzinfo=UTC), world.other.id, world.own.id,
                   "information", "intrusion", "routine", "Who is behind this?")
    desk = Desk(world.node)
    desk.admit(desk.collection(), [world.own.id, world.other.id])
    [outcome] = world.node.objects.add(desk.collection().id, [
        marked(to_stix(made), world.other.id, made)])
    assert outcome.stored
    said = ("This request lacks what this node's guidelines (version 0) require of its kind: "
            "Evidence. You may decline it, saying so.")
    assert said in unescape(browser(world.admin_token).get(f"/ui/requests/{made.id}").text)
    # Its requester is not told what the other node requires of it there.
    theirs = browser(world.other_token).get(f"/ui/requests/{made.id}")
    assert theirs.status_code == 200 and "Who is behind this?" in theirs.text
    assert "This request lacks" not in unescape(theirs.text)


def test_a_textarea_s_line_breaks_count_as_one_character_as_its_maxlength_counts_them(
        world, browser, shared):
    # A browser sends "\r\n" for each line break; HTML's maxlength counts one character.
    us = browser(world.admin_token)
    us.get("/ui/requests/new")
    text = "\r\n".join(["x" * 99] * 200)  # 19,999 characters as the textarea counts them
    made = us.post("/ui/requests/new", {**REQUEST, "to": world.other.id, "description": text})
    assert made.status_code == 303, unescape(made.text)[-3000:]


def test_a_response_that_crossed_the_withdrawal_is_shown_and_counts_for_nothing(world, browser):
    # Sent from the other node before the withdrawal reached it: its officer was told "sent",
    # and both sides see what it said.
    from datetime import UTC, datetime, timedelta

    from accord.cooperation.model import Request, Response, Withdrawal

    made = Request("x-accord-request--5e4d3c2b-1a0f-4e9d-8c7b-a6f5e4d3c2b1",
                   datetime(2026, 3, 1, tzinfo=UTC), world.own.id, world.other.id,
                   "information", "intrusion", "routine", "Who runs it?")
    gone = Withdrawal("x-accord-withdrawal--5e4d3c2b-1a0f-4e9d-8c7b-a6f5e4d3c2b2", made.id,
                      world.own.id, made.created + timedelta(hours=1), reason="Solved.")
    late = Response("x-accord-response--5e4d3c2b-1a0f-4e9d-8c7b-a6f5e4d3c2b3", made.id,
                    world.other.id, made.created + timedelta(hours=2),
                    outcome="information-provided", text="A hosting firm in Tianjin.")
    desk = Desk(world.node)
    desk.admit(desk.collection(), [world.own.id, world.other.id])
    outcomes = world.node.objects.add(desk.collection().id, [
        marked(to_stix(made), world.own.id, made), marked(to_stix(gone), world.own.id, made),
        marked(to_stix(late), world.other.id, made)])
    assert all(o.stored for o in outcomes)
    view = desk.view(Actor(world.own), made.id)
    assert view.state == "withdrawn" and view.response is None
    for token in (world.admin_token, world.other_token):
        page = unescape(browser(token).get(f"/ui/requests/{made.id}").text)
        late_part = page.split("After the withdrawal", 1)[1]
        assert "A hosting firm in Tianjin." in late_part and "Information provided" in late_part


def test_an_officer_answering_after_a_colleague_is_told_when_and_keeps_what_they_typed(
        world, browser, shared):
    # Two of China's officers open the same request; the first responds. The second's
    # answer was refused with the request's raw id alone, and the form (and the answer typed
    # into it) was gone from the page that said so.
    us = browser(world.admin_token)
    rid = sent(us, world)
    first = browser(world.other_token)
    colleague = world.node.directory.create_token(world.other, role="liaison")
    second = in_chinese(browser(colleague))
    first.get(f"/ui/requests/{rid}")
    second.get(f"/ui/requests/{rid}")
    assert first.post(f"/ui/requests/{rid}/respond", {
        "outcome": "declined", "reason": "Not ours to answer."}).status_code == 303
    late = second.post(f"/ui/requests/{rid}/respond", {
        "outcome": "information-provided", "text": "服务器由天津一家转售商托管。\n日志已保全。",
        "evidence": EVIDENCE["id"]})
    page = unescape(late.text)
    assert late.status_code == 409
    error = re.search(r'id="act-error">([^<]*)<', page).group(1)
    assert "已于" in error and "答复（已拒绝）" in error and "本次答复未发送" in error
    unsent = page[page.index('id="unsent"'):]
    assert "未发送：您输入的内容" in unsent
    assert ">服务器由天津一家转售商托管。\n日志已保全。</textarea>" in unsent
    assert f">{EVIDENCE['id']}</textarea>" in unsent
    assert f"/ui/requests/{rid}/respond" not in page  # no form to send it in again
    view = Desk(world.node).view(Actor(world.other), rid)
    assert view.response is not None and view.response.outcome == "declined"


def test_a_refused_act_keeps_what_was_typed_in_its_form(world, browser, shared):
    us = browser(world.admin_token)
    rid = sent(us, world)
    cn = browser(world.other_token)
    cn.get(f"/ui/requests/{rid}")
    overlong = cn.post(f"/ui/requests/{rid}/report", {"text": "x" * 20_001})
    assert overlong.status_code == 400 and ">" + "x" * 20_001 + "</textarea>" in overlong.text
    cn.post(f"/ui/requests/{rid}/respond", {"outcome": "declined", "reason": "Not ours."})
    us.get(f"/ui/requests/{rid}")
    comment = "Quick, but why? " * 1_300  # past the comment's 20,000 characters
    rated = us.post(f"/ui/requests/{rid}/rate", {"score": "3", "comment": comment})
    assert rated.status_code == 400
    assert f">{comment}</textarea>" in rated.text
    assert 'value="3" required checked>' in rated.text
    assert rated.text.count("required checked>") == 1
