"""Times in the reader's time zone: the browser's as the first guess, then the person's own
choice (kept with the person, audited); deadlines also in each party's zone; form dates read in
the zone the form names."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.integration.web.test_request_pages import EVIDENCE

from accord.store.audit_log import AuditQuery
from accord.trust.access import Grant


def preferences(world):  # type: ignore[no-untyped-def]
    world.node.reads.flush()
    return [r.event.detail for r in world.node.audit.query(
        AuditQuery(action="person.preferences"))]


def test_the_browser_s_zone_is_the_first_guess(world, browser):
    officer = browser(world.other_token)
    assert "times in UTC" in officer.get("/ui/").text
    officer.client.cookies.set("accord_tz", "America/New_York")
    page = officer.get("/ui/preferences").text
    assert re.search(r"times in America/New_York \(UTC−[45]\)", page)
    assert "This is your browser's time zone" in page
    officer.client.cookies.set("accord_tz", "Not/AZone")  # what a script could put there
    assert "times in UTC" in officer.get("/ui/").text


def test_a_person_s_zone_is_kept_with_the_person_and_audited(world, browser):
    officer = browser(world.other_token)
    officer.client.cookies.set("accord_tz", "America/New_York")
    officer.get("/ui/preferences")
    wrong = officer.post("/ui/preferences", {"time_zone": "Beijing"})
    assert wrong.status_code == 400
    assert "“Beijing” is not a time zone: give an IANA name such as Asia/Shanghai" in wrong.text
    kept = officer.post("/ui/preferences", {"time_zone": "Asia/Shanghai"})
    assert kept.status_code == 303 and kept.headers["location"] == "/ui/preferences?saved=1"
    assert "Kept: times are now shown in Asia/Shanghai (UTC+8)." in officer.get(
        "/ui/preferences?saved=1").text
    # Another browser of the same person, reporting another zone, shows the choice.
    elsewhere = browser(world.other_token)
    elsewhere.client.cookies.set("accord_tz", "Europe/Paris")
    assert "times in Asia/Shanghai (UTC+8)" in elsewhere.get("/ui/").text
    # A common zone in one click; an empty choice goes back to the browser's.
    elsewhere.post("/ui/preferences", {"common": "Asia/Tokyo", "time_zone": ""})
    assert "times in Asia/Tokyo (UTC+9)" in officer.get("/ui/").text
    elsewhere.post("/ui/preferences", {"time_zone": ""})
    assert "times in Europe/Paris" in elsewhere.get("/ui/").text
    assert [d.get("time_zone") for d in preferences(world)] == ["", "Asia/Tokyo",
                                                                "Asia/Shanghai"]
    officer.get("/ui/")
    officer.post("/ui/language", {"lang": "zh-Hans", "next": "/ui/"})
    assert preferences(world)[0] == {"via": "ui", "locale": "zh-Hans"}


def test_a_zone_choice_needs_the_page_s_anti_forgery_token(world, browser):
    officer = browser(world.other_token)
    officer.get("/ui/preferences")
    refused = officer.post("/ui/preferences", {"time_zone": "Asia/Shanghai"}, csrf="forged")
    assert refused.status_code == 403
    assert "times in UTC" in officer.get("/ui/").text


def test_a_deadline_is_shown_for_both_parties_in_the_reader_s_words(world, browser):
    world.node.objects.add(world.evidence.id, [EVIDENCE], poster_id=world.own.id)
    world.node.directory.grant(world.evidence.id, world.other, Grant(True, False))
    world.node.directory.set_time_zone(world.own.id, "America/New_York")
    world.node.directory.set_time_zone(world.other.id, "Asia/Shanghai")
    us = browser(world.admin_token)
    us.client.cookies.set("accord_tz", "America/New_York")
    us.get("/ui/requests/new")
    form = us.get("/ui/requests/new").text
    # The zone alone: a July date typed in December is read at UTC−4, not today's UTC−5.
    assert "Activity seen from (America/New_York)" in form
    sent = us.post("/ui/requests/new", {
        "to": world.other.id, "kind": "information", "category": "intrusion",
        "urgency": "priority", "summary": "Who operates 198.51.100.7?",
        "evidence": EVIDENCE["id"], "activity_start": "2026-01-01T08:00"})
    assert sent.status_code == 303, sent.text
    page = us.get(sent.headers["location"]).text
    # 08:00 in New York in January is 13:00 UTC; shown back in the reader's zone.
    assert ('<time datetime="2026-01-01T13:00:00Z" title="2026-01-01 13:00:00 UTC">'
            "Thu 1 Jan 2026 08:00 EST (UTC−5)</time>") in page
    # Each side's time may say it falls on a weekend or outside office hours there: the
    # deadline is ten days from whenever the test runs.
    assert re.search(r"respond by \w{3} \d\d? \w{3} \d\d:\d\d New York( \([a-z ]+\))? · "
                     r"\w{3} \d\d? \w{3} \d\d:\d\d Shanghai", page)
    assert 'data-due="due in {time}"' in page

    cn = browser(world.other_token)
    cn.get("/ui/")
    cn.post("/ui/language", {"lang": "zh-Hans", "next": "/ui/"})
    cn.client.cookies.set("accord_tz", "Asia/Shanghai")
    theirs = cn.get(sent.headers["location"]).text
    assert "2026年1月1日 周四 21:00（UTC+8）" in theirs
    assert re.search(r"答复期限：纽约时间 \d\d?月\d\d?日 周. \d\d:\d\d(（[^）]+）)? · "
                     r"上海时间 \d\d?月\d\d?日 周. \d\d:\d\d", theirs)
    assert 'data-due="{time}后到期"' in theirs
    assert "时间以 Asia/Shanghai (UTC+8) 显示" in theirs


def test_review_days_are_utc_days_whatever_the_reader_s_zone(world, browser):
    """Officials of both parties asking for the same dates count the same requests: the
    page's JSON is the same in Shanghai and New York, and the same as `accord review`'s."""
    import json

    from accord.cooperation.desk import Desk
    from accord.cooperation.report import render
    from accord.cooperation.reviewing import review_ledgers

    officer = browser(world.admin_token)
    days = "from=2026-01-01&to=2026-01-31"
    downloads = []
    for zone in ("Asia/Shanghai", "America/New_York"):
        officer.client.cookies.set("accord_tz", zone)
        page = officer.get(f"/ui/review?{days}")
        assert page.status_code == 200
        assert "Days run from midnight to midnight UTC" in page.text
        downloads.append(officer.get(f"/ui/review/download?format=json&{days}").json())
    expected = json.loads(render(review_ledgers(
        Desk(world.node), datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC),
        names=world.node.directory.names()), "json"))
    for download in downloads:
        assert download["period"] == expected["period"] == {
            "from": "2026-01-01T00:00:00.000000Z", "to": "2026-02-01T00:00:00.000000Z"}
    assert officer.get("/ui/review?from=0001-01-01&to=0001-01-02").status_code == 200
    far = officer.get("/ui/review?from=9999-01-01&to=9999-12-31")
    assert far.status_code == 400 and "beyond the calendar" in far.text


def test_an_activity_time_the_clocks_skip_or_repeat_is_refused_in_words(world, browser):
    from tests.integration.web.test_request_pages import REQUEST, at_new_request

    officer = at_new_request(world, browser, accord_tz="America/New_York")
    skipped = officer.post("/ui/requests/new", {**REQUEST, "to": world.other.id,
                                                "activity_start": "2027-03-14T02:30"})
    assert skipped.status_code == 400
    assert "&#39;2027-03-14T02:30&#39; does not exist in America/New_York" in skipped.text
    twice = officer.post("/ui/requests/new", {**REQUEST, "to": world.other.id,
                                              "activity_start": "2026-11-01T01:30"})
    assert twice.status_code == 400 and "happens twice in America/New_York" in twice.text
    from accord.cooperation.desk import Desk

    assert Desk(world.node).ledgers(None) == []  # nothing sent


def test_an_activity_that_ends_before_it_starts_is_said_in_the_form_s_zone(world, browser):
    from tests.integration.web.test_request_pages import REQUEST, at_new_request

    officer = at_new_request(world, browser, accord_tz="Asia/Shanghai")
    refused = officer.post("/ui/requests/new", {**REQUEST, "to": world.other.id,
                                                "activity_start": "2026-12-01T09:30",
                                                "activity_end": "2026-11-01T09:30"})
    assert refused.status_code == 400
    said = refused.text.split("the activity ends", 1)[1][:200]
    assert "09:30" in said and "UTC+8" in said and "01:30 UTC" not in said


def test_a_page_without_a_session_claims_no_time_zone(world, browser):
    # The sign-in page shows no time, and a first visit's browser has not said its zone yet:
    # "times in UTC" there told a reader in Beijing something untrue.
    page = browser(None).get("/ui/sign-in").text
    assert "times in" not in page and "Accord · STIX 2.1" in page


def test_every_zone_the_preferences_offer_is_one_the_node_takes(world, browser):
    # "Geneva" once offered Europe/Geneva, which is no IANA zone: a 400 for a click.
    from accord.i18n.zones import PLACES, is_zone

    assert all(is_zone(name) for name in PLACES)
    assert not any(is_zone(name) for name in ("localtime", "Factory", "posixrules",
                                              "posix/Asia/Shanghai"))
    page = browser(world.admin_token).get("/ui/preferences").text
    assert "Europe/Geneva" not in page and "Geneva, Zurich" in page



def test_enter_in_the_zone_field_keeps_the_zone_typed(world, browser):
    # The common zones' buttons came first in the form: Enter in the field pressed the first
    # of them ("Kept: … Europe/Berlin" for Asia/Tokyo typed; 上海 in Chinese).
    officer = browser(world.other_token)
    page = officer.get("/ui/preferences").text
    forms = re.findall(r"<form\b.*?</form>", page, re.S)
    [typed] = [f for f in forms if 'id="time_zone"' in f]
    buttons = re.findall(r"<button\b[^>]*>", typed)
    assert len(buttons) == 1 and 'name="common"' not in buttons[0]
    [common] = [f for f in forms if 'name="common"' in f]
    assert 'name="csrf"' in common
    # West to east: New York before London before Shanghai before Tokyo, in any language.
    values = re.findall(r'name="common" value="([^"]+)"', common)
    assert values.index("America/New_York") < values.index("Europe/London") \
        < values.index("Asia/Shanghai") < values.index("Asia/Tokyo")
