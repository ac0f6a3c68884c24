"""Forms safe to send (issue 13, defects 1-4): a form sent twice makes one request and a
likely copy asks first; a form sent after the session ended comes back after signing in;
escalating and withdrawing need words and a confirmation; the urgencies show the deadlines of
the addressee's node."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from tests.integration.web.test_request_pages import EVIDENCE, REQUEST

from accord.cooperation.desk import Actor, Desk, Draft
from accord.store.audit_log import AuditQuery
from accord.store.forms import KeptForms, PeerGuidelines
from accord.store.peers import PeerStore
from accord.store.web_tables import kept_forms
from accord.trust.access import Grant

KEY = re.compile(r'name="form_key" value="([^"]+)"')


@pytest.fixture
def shared(world):
    world.node.objects.add(world.evidence.id, [EVIDENCE], poster_id=world.own.id)
    world.node.directory.grant(world.evidence.id, world.other, Grant(True, False))


def request_id(response) -> str:
    return re.search(r"/ui/requests/(x-accord-request--[0-9a-f-]+)",
                     response.headers["location"]).group(1)


def sent_requests(browser_) -> int:
    return browser_.get("/ui/requests").text.count("Who operates 198.51.100.7?")


def test_the_same_form_sent_twice_makes_one_request(world, browser, shared):
    us = browser(world.admin_token)
    key = KEY.search(us.get("/ui/requests/new").text).group(1)
    form = {**REQUEST, "to": world.other.id, "form_key": key}
    first = us.post("/ui/requests/new", form)
    again = us.post("/ui/requests/new", form)
    assert first.status_code == again.status_code == 303
    assert request_id(again) == request_id(first)
    assert "done=already-sent" in again.headers["location"]
    shown = us.get(again.headers["location"]).text
    assert "This form was sent before: this is the request it made." in shown
    assert sent_requests(us) == 1
    other_key = KEY.search(us.get("/ui/requests/new").text).group(1)
    assert other_key != key  # each form its own key


def test_a_refused_form_keeps_its_key_and_may_be_sent_once_corrected(world, browser, shared):
    us = browser(world.admin_token)
    key = KEY.search(us.get("/ui/requests/new").text).group(1)
    refused = us.post("/ui/requests/new", {**REQUEST, "to": world.other.id, "form_key": key,
                                           "evidence": ""})
    assert refused.status_code == 400 and f'value="{key}"' in refused.text
    sent = us.post("/ui/requests/new", {**REQUEST, "to": world.other.id, "form_key": key})
    assert sent.status_code == 303 and "done=created" in sent.headers["location"]


def test_a_likely_copy_asks_before_it_is_sent(world, browser, shared):
    us = browser(world.admin_token)
    us.get("/ui/requests/new")
    first = request_id(us.post("/ui/requests/new", {**REQUEST, "to": world.other.id}))
    us.get("/ui/requests/new")
    copy = us.post("/ui/requests/new", {**REQUEST, "to": world.other.id,
                                        "summary": "  who operates 198.51.100.7? "})
    assert copy.status_code == 409
    assert f'href="/ui/requests/{first}"' in copy.text
    assert "with the same summary, description and evidence" in copy.text
    assert 'value="send-anyway"' in copy.text and sent_requests(us) == 1
    anyway = us.post("/ui/requests/new", {**REQUEST, "to": world.other.id,
                                          "duplicate": "send-anyway"})
    assert anyway.status_code == 303 and request_id(anyway) != first
    different = us.post("/ui/requests/new", {**REQUEST, "to": world.other.id,
                                             "description": "A second intrusion"})
    assert different.status_code == 303  # other words: not a copy


def test_a_form_sent_after_the_session_ended_comes_back_after_signing_in(world, browser,
                                                                          shared):
    us = browser(world.admin_token)
    us.get("/ui/requests/new")
    us.post("/ui/sign-out", {})  # as from another tab: the session ends on the node
    late = us.post("/ui/requests/new", {**REQUEST, "to": world.other.id,
                                        "description": "Typed before the session ended"},
                   headers={"origin": "http://testserver"})
    assert late.status_code == 303
    assert late.headers["location"] == "/ui/sign-in?next=/ui/requests/new%3Fkept%3D1&why=kept"
    with world.node.engine.connect() as conn:  # sealed: the node cannot read it alone
        [sealed] = conn.execute(select(kept_forms.c.sealed)).scalars()
    assert b"Typed before" not in bytes(sealed)
    asked = us.get(late.headers["location"]).text
    assert "Your session ended" in asked and "What you typed is kept" in asked
    signed = us.post("/ui/sign-in", {"token": world.admin_token, "next": "/ui/requests/new?kept=1",
                                     "why": "kept"})
    assert signed.headers["location"] == "/ui/requests/new?kept=1"
    back = us.get("/ui/requests/new?kept=1").text
    assert "What you typed before your session ended is back" in back
    assert "Typed before the session ended" in back and 'value="Who operates' in back
    assert "Typed before the session ended" not in us.get("/ui/requests/new?kept=1").text  # once
    assert sent_requests(us) == 0  # nothing was sent without a session
    world.node.reads.flush()
    actions = [r.event.action for r in world.node.audit.query(AuditQuery(limit=50))]
    assert "ui.form-kept" in actions and "ui.form-restored" in actions


def test_a_form_posted_from_another_site_without_a_session_is_not_kept(world, browser):
    stranger = browser(None)
    late = stranger.post("/ui/requests/new", {**REQUEST, "to": world.other.id},
                         headers={"origin": "https://evil.example"})
    assert late.status_code == 303 and "kept" not in late.headers["location"]
    assert KeptForms(world.node.engine).take("anything") is None
    with world.node.engine.connect() as conn:
        assert conn.execute(select(kept_forms)).first() is None


def test_an_expired_session_says_why_on_the_sign_in_page(world, browser):
    us = browser(world.admin_token)
    us.get("/ui/")
    assert us.post("/ui/sign-out", {}).status_code == 303
    us.client.cookies.set("accord_session", "stale", path="/ui/")
    went = us.get("/ui/requests", follow_redirects=False)
    assert went.headers["location"] == "/ui/sign-in?next=/ui/requests&why=ended"
    assert "Your session ended" in us.get(went.headers["location"]).text


def test_escalating_needs_a_note_and_a_confirmation(world, browser, shared):
    us = browser(world.admin_token)
    us.get("/ui/requests/new")
    rid = request_id(us.post("/ui/requests/new", {**REQUEST, "to": world.other.id}))
    us.get(f"/ui/requests/{rid}")
    empty = us.post(f"/ui/requests/{rid}/escalate", {"reason": "disputed", "note": " "})
    assert empty.status_code == 400
    assert "Say in the note why you escalate" in empty.text
    assert '<option value="disputed" title="disputed" selected>' in empty.text
    asked = us.post(f"/ui/requests/{rid}/escalate", {"reason": "disputed", "note": "no answer"})
    assert asked.status_code == 200 and "Yes, escalate" in asked.text
    assert ">no answer</textarea>" in asked.text and 'name="confirmed" value="yes"' in asked.text
    assert "Escalated" not in us.get(f"/ui/requests/{rid}").text.split('id="timeline"')[1]
    done = us.post(f"/ui/requests/{rid}/escalate", {"reason": "disputed", "note": "no answer",
                                                   "confirmed": "yes"})
    assert done.status_code == 303 and "done=escalate" in done.headers["location"]


def test_an_act_s_form_sent_twice_acts_once(world, browser, shared):
    # A double click, or Back and Send again, on the escalation's confirmation escalated
    # twice: level 1, then level 2, to the hotline.
    us = browser(world.admin_token)
    us.get("/ui/requests/new")
    rid = request_id(us.post("/ui/requests/new", {**REQUEST, "to": world.other.id}))
    key = KEY.search(us.get(f"/ui/requests/{rid}").text).group(1)
    asked = us.post(f"/ui/requests/{rid}/escalate", {"reason": "disputed", "note": "no answer",
                                                    "form_key": key})
    assert f'name="form_key" value="{key}"' in asked.text  # kept through the confirmation
    confirmed = {"reason": "disputed", "note": "no answer", "confirmed": "yes",
                 "form_key": key}
    first = us.post(f"/ui/requests/{rid}/escalate", confirmed)
    again = us.post(f"/ui/requests/{rid}/escalate", confirmed)
    assert "done=escalate" in first.headers["location"]
    assert "done=act-already-sent" in again.headers["location"]
    assert "Nothing was done again." in us.get(again.headers["location"]).text
    view = Desk(world.node).view(Actor(world.own), rid)
    assert len(view.escalations) == 1
    # Another act, or other words, from the same page is another send.
    us.post(f"/ui/requests/{rid}/escalate", {**confirmed, "note": "still no answer"})
    assert len(Desk(world.node).view(Actor(world.own), rid).escalations) == 2


def test_withdrawing_needs_a_reason_and_a_confirmation(world, browser, shared):
    us = browser(world.admin_token)
    us.get("/ui/requests/new")
    rid = request_id(us.post("/ui/requests/new", {**REQUEST, "to": world.other.id}))
    us.get(f"/ui/requests/{rid}")
    empty = us.post(f"/ui/requests/{rid}/withdraw", {"reason": ""})
    assert empty.status_code == 400 and "Say why you withdraw the request" in empty.text
    asked = us.post(f"/ui/requests/{rid}/withdraw", {"reason": "solved at home"})
    assert asked.status_code == 200 and "Yes, withdraw" in asked.text
    assert 'value="solved at home"' in asked.text
    done = us.post(f"/ui/requests/{rid}/withdraw", {"reason": "solved at home",
                                                   "confirmed": "yes"})
    assert done.status_code == 303 and "done=withdraw" in done.headers["location"]


def test_the_urgencies_show_the_deadlines_of_the_addressee_node(world, browser):
    us = browser(world.admin_token)
    here = unescape(us.get("/ui/requests/new", params={"to": world.other.id}).text)
    assert "acknowledge within 1 d, respond within 3 d" in here  # urgent, by this node's
    assert "set by this node's guidelines (version 0)" in here
    peer = world.node.directory.add_party("Russia")
    key = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    PeerStore(world.node.engine).add("russia", "https://ru.example", "t", peer.id,
                                     base64.urlsafe_b64encode(key).decode().rstrip("="))
    unknown = unescape(us.get("/ui/requests/new", params={"to": peer.id}).text)
    assert "set by the guidelines of Russia's node; they are unknown here" in unknown
    assert "deadlines unknown" in unknown and "acknowledge within 1 d" not in unknown
    PeerGuidelines(world.node.engine).put(peer.id, {"version": 4, "urgency": {
        "urgent": {"acknowledge": "PT20S", "respond": "PT1M"},
        "priority": {"acknowledge": "P1D", "respond": "P5D"},
        "routine": {"acknowledge": "P2D", "respond": "P9D"}}})
    theirs = unescape(us.get("/ui/requests/new", params={"to": peer.id}).text)
    assert "acknowledge within 20 s, respond within 1 min" in theirs
    assert "set by the guidelines of Russia's node (version 4" in theirs
    checked = us.post("/ui/requests/check", {"to": peer.id, "kind": "information"}).json()
    assert checked["their"]["labels"]["urgent"] == "acknowledge within 20 s, respond within 1 min"


def test_a_note_typed_on_a_request_when_the_session_ended_comes_back_in_its_form(world, browser,
                                                                                   shared):
    us = browser(world.admin_token)
    us.get("/ui/requests/new")
    rid = request_id(us.post("/ui/requests/new", {**REQUEST, "to": world.other.id}))
    us.get(f"/ui/requests/{rid}")
    us.post("/ui/sign-out", {})
    late = us.post(f"/ui/requests/{rid}/escalate", {"reason": "disputed",
                                                     "note": "Typed after the end"},
                   headers={"origin": "http://testserver"})
    assert late.headers["location"] == (f"/ui/sign-in?next=/ui/requests/{rid}%3Fkept%3D1"
                                        "&why=kept")
    us.sign_in(world.admin_token, f"/ui/requests/{rid}?kept=1")
    back = us.get(f"/ui/requests/{rid}?kept=1").text
    assert "is back in its form below" in back
    assert ">Typed after the end</textarea>" in back
    assert '<option value="disputed" title="disputed" selected>' in back
    assert "Yes, escalate" not in back  # nothing is done: it is to be sent, and confirmed


def test_a_form_not_kept_sends_back_to_the_page_it_was_on_after_signing_in(world, browser):
    us = browser(world.admin_token)
    us.get("/ui/")
    assert us.post("/ui/sign-out", {}).status_code == 303
    late = us.post("/ui/admin/party", {"name": "Russia"},
                   headers={"origin": "http://testserver",
                            "referer": "http://testserver/ui/admin?tab=parties"})
    assert late.headers["location"] == "/ui/sign-in?next=/ui/admin%3Ftab%3Dparties&why=ended"
    elsewhere = us.post("/ui/admin/party", {"name": "Russia"},
                        headers={"referer": "https://evil.example/ui/admin"})
    assert elsewhere.headers["location"] == "/ui/sign-in?next=/ui/&why=ended"



def test_a_copy_is_sought_only_among_what_was_sent_that_addressee_within_a_day(world, browser,
                                                                             shared):
    russia = world.node.directory.add_party("Russia")
    world.node.directory.grant(world.evidence.id, russia, Grant(True, False))
    world.node.directory.grant(world.evidence.id, world.other, Grant(True, False))

    def sent(sender, addressee, hours_ago, summary=REQUEST["summary"]):
        at = datetime.now(UTC) - timedelta(hours=hours_ago)
        return Desk(world.node, lambda: at).create(Actor(sender), Draft(
            addressee.id, REQUEST["kind"], REQUEST["category"], REQUEST["urgency"], summary,
            evidence=(EVIDENCE["id"],))).request.id

    sent(world.own, world.other, 25)  # too long ago
    sent(world.own, russia, 1)  # to another party
    sent(world.other, world.own, 1)  # by another party
    us = browser(world.admin_token)
    us.get("/ui/requests/new")
    assert us.post("/ui/requests/new", {**REQUEST, "to": world.other.id}).status_code == 303
    recent = sent(world.own, world.other, 23, "Who else operates 198.51.100.7?")  # within a day
    us.get("/ui/requests/new")
    copy = us.post("/ui/requests/new", {**REQUEST, "to": world.other.id,
                                        "summary": "Who else operates 198.51.100.7?"})
    assert copy.status_code == 409 and f'href="/ui/requests/{recent}"' in copy.text


def test_what_the_addressee_node_requires_is_asked_for_before_the_request_is_sent(
        world, browser, shared):
    # The addressee's node fixes what a request must carry; a request without it would reach
    # an addressee whose guidelines it does not meet. Its published requirements are marked in
    # the form, asked for as the officer types, and checked when the form is sent.
    us = browser(world.admin_token)
    peer = world.node.directory.add_party("Russia")
    key = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    PeerStore(world.node.engine).add("russia", "https://ru.example", "t", peer.id,
                                     base64.urlsafe_b64encode(key).decode().rstrip("="))
    PeerGuidelines(world.node.engine).put(peer.id, {
        "version": 6, "required": {"information": ["evidence", "impact", "made-up"],
                                   "mitigation": "impact"}})
    form = unescape(us.get("/ui/requests/new", params={"to": peer.id}).text)
    assert re.search(r'<tr data-kind="information"><th scope="row">[^<]+</th><td>Summary, '
                     r'Impact, Evidence</td></tr>', form)
    assert re.search(r'<tr data-kind="mitigation"><th scope="row">[^<]+</th><td>Summary, '
                     r'Activity window \(start\), Evidence</td></tr>', form)
    # Whose requirements they are is said: this node's alone no longer.
    assert ('<span id="g-source">This node\'s guidelines (version 0) and what the node of '
            'Russia requires of a request to it.</span>') in form
    checked = us.post("/ui/requests/check", {**REQUEST, "to": peer.id}).json()
    assert checked["missing"] == ["Impact"]
    assert "what the node of Russia requires" in checked["guidelines"]["source"]
    alone = us.post("/ui/requests/check", {**REQUEST, "to": world.other.id}).json()
    assert alone["guidelines"]["source"] == \
        "This node's guidelines (version 0) for requests to the chosen party."
    assert checked["guidelines"]["fields"]["information"] == ["summary", "impact", "evidence"]
    refused = us.post("/ui/requests/new", {**REQUEST, "to": peer.id})
    assert refused.status_code == 400
    assert ("A request of the kind “Information” to Russia must carry: Impact (the guidelines "
            "of its node, version 6)") in unescape(refused.text)
    assert sent_requests(us) == 0
    # A requirement that is not a list ("mitigation" above) is none; a version that is not a
    # number is not repeated.
    PeerGuidelines(world.node.engine).put(peer.id, {
        "version": "<b>9</b>", "required": {"information": ["impact"]}})
    refused = us.post("/ui/requests/new", {**REQUEST, "to": peer.id})
    assert "(the guidelines of its node, version ?)" in unescape(refused.text)
    sent = us.post("/ui/requests/new", {**REQUEST, "to": peer.id, "impact": "Records lost"})
    assert sent.status_code == 303, unescape(sent.text)


def test_evidence_of_ours_the_addressee_may_not_read_is_said_before_the_request_is_sent(
        world, browser):
    # A liaison attached a TLP:RED object of its own to a request to China: China's page said
    # only "(not readable)", the requester's after sending.
    world.node.objects.add(world.evidence.id, [EVIDENCE], poster_id=world.own.id)
    us = browser(world.admin_token)
    us.get("/ui/requests/new")
    checked = us.post("/ui/requests/check", {**REQUEST, "to": world.other.id}).json()
    assert checked["warnings"] == [
        f"China (CNCERT/CC) may not read 1 of the evidence objects you attached "
        f"({EVIDENCE['id']}): share them with it (grant it the collection, or mark them so it "
        "may read them) or it cannot act on them."]
    world.node.directory.grant(world.evidence.id, world.other, Grant(True, False))
    assert us.post("/ui/requests/check",
                   {**REQUEST, "to": world.other.id}).json()["warnings"] == []
