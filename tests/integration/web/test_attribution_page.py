"""The disputed-attribution page: a claim made and denied through the forms, linked from the
object page, and nothing of it shown to a party it is not shared with."""

from __future__ import annotations

import pytest
from tests.opm import APT19, OPM, opm_objects

from accord.intake import Screened, store
from accord.trust.access import Grant


@pytest.fixture
def opm(world):
    store(world.node.engine, world.evidence, Screened(opm_objects(), []),
        party_id=world.own.id, operator=True)
    world.node.directory.grant(world.evidence.id, world.other, Grant(True, False))


CLAIM = {"attributed_to": APT19, "sponsor": "CN", "basis": ["technical-forensics",
                                                           "indictment"],
         "confidence": "80", "summary": "APT19 intruded into OPM."}


def test_a_claim_is_made_and_denied_through_the_page(world, browser, opm):
    us = browser(world.admin_token)
    assert f"/ui/attribution/{OPM}" in us.get(f"/ui/objects/{OPM}").text
    us.get(f"/ui/attribution/{OPM}")
    made = us.post(f"/ui/attribution/{OPM}/claim", CLAIM)
    assert made.status_code == 303, made.text
    page = us.get(made.headers["location"]).text
    assert "APT19 intruded into OPM." in page and "Uncontested" in page
    claim_id = page.split('<option value="x-accord-claim--')[1].split('"')[0]
    claim_id = f"x-accord-claim--{claim_id}"
    cn = browser(world.other_token)
    cn.get(f"/ui/attribution/{OPM}")
    denied = cn.post(f"/ui/attribution/{OPM}/position",
                     {"claim": claim_id, "position": "deny", "text": "Groundless accusations.",
                      "basis": "government-statement"})
    assert denied.status_code == 303, denied.text
    page = us.get(f"/ui/attribution/{OPM}").text
    assert "standing-contested" in page and "China (CNCERT/CC) denies it" in page
    assert "Groundless accusations." in page
    # Read in Chinese, why it stands as it does is said in Chinese, the parties named.
    assert cn.post("/ui/language", {"lang": "zh-Hans", "next": "/ui/"}).status_code == 303
    zh = cn.get(f"/ui/attribution/{OPM}").text
    assert "有争议：United States (US-CERT)主张此归因，但China (CNCERT/CC)予以否认。" in zh
    assert "denies it" not in zh


def test_a_refused_claim_keeps_what_was_typed_and_says_why(world, browser, opm):
    us = browser(world.admin_token)
    us.get(f"/ui/attribution/{OPM}")
    refused = us.post(f"/ui/attribution/{OPM}/claim", {**CLAIM, "basis": []})
    assert refused.status_code == 400
    assert "basis: name at least one of" in refused.text
    assert "APT19 intruded into OPM." in refused.text


def test_a_refusal_is_said_in_the_readers_language(world, browser, opm):
    cn = browser(world.other_token)
    cn.get(f"/ui/attribution/{OPM}")
    assert cn.post("/ui/language", {"lang": "zh-Hans", "next": "/ui/"}).status_code == 303
    refused = cn.post(f"/ui/attribution/{OPM}/claim",
                      {**CLAIM, "attributed_to": "", "sponsor": ""})
    assert refused.status_code == 400
    assert "主张须将活动归因于某方" in refused.text and "--sponsor" not in refused.text
    refused = cn.post(f"/ui/attribution/{OPM}/claim", {**CLAIM, "confidence": "150"})
    assert "置信度 150 不在 0 到 100 之间" in refused.text
    refused = cn.post(f"/ui/attribution/{OPM}/claim",
                      {**CLAIM, "evidence": "report--00000000-0000-4000-8000-000000000000"})
    assert ("证据：没有 ID 为 report--00000000-0000-4000-8000-000000000000 且您可查看的对象"
            in refused.text)
    # In English, the same refusal names the form's fields, not the command line's flags.
    us = browser(world.admin_token)
    us.get(f"/ui/attribution/{OPM}")
    refused = us.post(f"/ui/attribution/{OPM}/claim", {**CLAIM, "attributed_to": "",
                                                       "sponsor": ""})
    assert "give attributed to, sponsoring state or both" in refused.text


def test_a_reader_sees_the_page_but_no_forms(world, browser, opm):
    reader = browser(world.node.directory.create_token(world.own, role="reader"))
    page = reader.get(f"/ui/attribution/{OPM}").text
    assert "Make a claim" not in page and "No claim on this activity" in page
    refused = reader.post(f"/ui/attribution/{OPM}/claim", CLAIM)
    assert refused.status_code == 403


def test_a_party_not_shared_with_sees_no_trace_of_the_claim(world, browser, opm):
    us = browser(world.admin_token)
    us.get(f"/ui/attribution/{OPM}")
    assert us.post(f"/ui/attribution/{OPM}/claim", CLAIM).status_code == 303
    russia = world.node.directory.add_party("Russia (GOV-CERT.RU)")
    ru = browser(world.node.directory.create_token(russia, role="liaison"))
    page = ru.get(f"/ui/attribution/{OPM}").text
    assert "APT19 intruded" not in page and "No party attributes this activity." in page


def test_a_claim_cited_as_evidence_opens_on_its_subjects_attribution_page(world, browser, opm):
    us = browser(world.admin_token)
    us.get(f"/ui/attribution/{OPM}")
    us.post(f"/ui/attribution/{OPM}/claim", CLAIM)
    page = us.get(f"/ui/attribution/{OPM}").text
    claim_id = page.split('<option value="x-accord-claim--')[1].split('"')[0]
    claim_id = f"x-accord-claim--{claim_id}"
    opened = us.get(f"/ui/objects/{claim_id}", follow_redirects=False)
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/ui/attribution/{OPM}#{claim_id}"


def test_a_subject_buried_under_claims_shows_the_contested_first_and_says_what_is_not_shown(
        world, browser, opm, monkeypatch):
    # A party making thousands of claims on a subject would make its page take seconds and
    # push the denied claim out of sight: the page shows a bounded number, contested first.
    from accord.attribution.record import AttributionRecord, ClaimDraft
    from accord.cooperation.desk import Actor
    from accord.web import attribution_page

    monkeypatch.setattr(attribution_page, "CLAIMS_SHOWN", 3)
    record = AttributionRecord(world.node)
    made = [record.claim(Actor(world.own), ClaimDraft(
        OPM, (APT19,), ("media-report",), 40, f"Claim {n}.")).claim.id for n in range(5)]
    record.respond(Actor(world.other), made[4], "deny", "Not us.")
    page = browser(world.admin_token).get(f"/ui/attribution/{OPM}").text
    shown = sorted((c for c in made if f'id="{c}"' in page),
                   key=lambda c: page.index(f'id="{c}"'))
    assert shown == [made[4], made[0], made[1]]  # the contested one first, then the oldest
    assert ("2 more claims on this activity are not shown here (the contested ones are shown "
            f"first); the API lists every one, a page at a time: /api/v1/claims?subject={OPM}"
            in page)


def test_a_text_past_its_bound_is_said_by_its_label_and_a_long_claim_summary_is_taken(
        world, browser, opm):
    from html import unescape

    us = browser(world.admin_token)
    us.get(f"/ui/attribution/{OPM}")
    long = us.post(f"/ui/attribution/{OPM}/claim", {**CLAIM, "summary": "APT19. " * 150})
    assert long.status_code == 303, unescape(long.text)[-2000:]  # a text, not one line
    claim_id = "x-accord-claim--" + us.get(f"/ui/attribution/{OPM}").text.split(
        '<option value="x-accord-claim--')[1].split('"')[0]
    cn = browser(world.other_token)
    cn.get(f"/ui/attribution/{OPM}")
    assert cn.post("/ui/language", {"lang": "zh-Hans", "next": "/ui/"}).status_code == 303
    refused = cn.post(f"/ui/attribution/{OPM}/position",
                      {"claim": claim_id, "position": "deny", "text": "x" * 20_001,
                       "basis": "government-statement"})
    assert refused.status_code == 400
    assert "立场有 20,001 个字符：最多只能有 20,000 个。" in unescape(refused.text)


def test_a_sponsoring_state_is_a_state(world, browser, opm):
    from html import unescape

    us = browser(world.admin_token)
    us.get(f"/ui/attribution/{OPM}")
    refused = us.post(f"/ui/attribution/{OPM}/claim", {**CLAIM, "sponsor": "XX"})
    assert refused.status_code == 400
    assert "sponsor 'XX': give the state's ISO 3166-1 alpha-2 code" in unescape(refused.text)
    assert us.post(f"/ui/attribution/{OPM}/claim", {**CLAIM, "sponsor": "kp"}
                   ).status_code == 303


def test_a_subject_that_is_no_stix_id_has_no_page_and_takes_no_claim(world, browser, opm):
    us = browser(world.admin_token)
    page = us.get("/ui/attribution/garbage")
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]
    assert "garbage&#39; is not the id of an incident, campaign, intrusion set" in page.text
    assert 'name="attributed_to"' not in page.text  # no form to claim it
    us.get(f"/ui/attribution/{OPM}")  # a form key, as a browser that came from a page holds
    claimed = us.post("/ui/attribution/garbage/claim", CLAIM)
    assert claimed.status_code == 404
    # A STIX id of another type is no subject either (a form there took no claim).
    for other in ("identity--5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", APT19.replace(
            "intrusion-set", "attack-pattern")):
        answered = us.get(f"/ui/attribution/{other}")
        assert answered.status_code == 404 and 'name="attributed_to"' not in answered.text
    us.post("/ui/language", {"lang": "zh-Hans", "next": "/ui/"})
    assert "不是" in us.get("/ui/attribution/garbage").text  # said in the reader's language


def test_an_identity_no_party_is_marked_where_a_claim_names_it(world, browser, opm):
    # A made-up identity named like a party of the node, posted by another party: the page
    # must not let it pass for that party.
    posing = "identity--5c1d7a3e-8f2b-4a6c-9d0e-1f2a3b4c5d6e"
    store(world.node.engine, world.evidence, Screened([{
        "type": "identity", "spec_version": "2.1", "id": posing,
        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
        "name": world.other.name, "identity_class": "organization"}], []),
        party_id=world.own.id, operator=True)
    us = browser(world.admin_token)
    us.get(f"/ui/attribution/{OPM}")
    made = us.post(f"/ui/attribution/{OPM}/claim", {**CLAIM, "attributed_to": posing})
    assert made.status_code == 303, made.text
    page = us.get(made.headers["location"]).text.replace("&#34;", '"')
    assert f"“{world.other.name}” <span class=\"muted small\">(not a party of this node)" in page
