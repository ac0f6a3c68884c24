"""How times and deadlines read on a page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accord.web.format import NBSP, Clockface, countdown, duration, moment, state_label

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("delta", "shown"), [
    (timedelta(0), "0 s"),
    (timedelta(seconds=12), "12 s"),
    (timedelta(minutes=4, seconds=30), "4 min 30 s"),
    (timedelta(hours=5, minutes=12, seconds=59), "5 h 12 min"),
    (timedelta(days=3, hours=4, minutes=1), "3 d 4 h"),
    (timedelta(days=2, minutes=5), "2 d"),  # the second unit is 0 h: the two largest count
    (timedelta(days=-1, hours=-2), "1 d 2 h"),
])
def test_a_duration_shows_its_two_largest_units(delta, shown):
    assert duration(delta) == shown


def test_a_countdown_says_whether_the_deadline_is_ahead_or_missed():
    assert countdown(NOW + timedelta(hours=3, minutes=12), NOW) == "due in 3 h 12 min"
    assert countdown(NOW, NOW) == "due in 0 s"  # exactly at the deadline is still on time
    assert countdown(NOW - timedelta(days=2, hours=1), NOW) == "overdue by 2 d 1 h"
    assert countdown("2026-11-27T13:00:00.000Z", NOW) == "due in 1 h"
    assert countdown(None, NOW) == ""


def test_moments_outside_a_page_are_utc_and_odd_values_are_shown_as_they_are():
    assert moment("2026-11-27T05:40:01.123456Z") == "Fri 27 Nov 2026 05:40 UTC"
    assert moment(datetime(2026, 1, 1, 1, 0, tzinfo=UTC)) == "Thu 1 Jan 2026 01:00 UTC"
    assert moment(None) == "—"
    assert moment("not a time") == "not a time"


def test_states_have_words():
    assert state_label("in-progress") == "In progress"
    assert state_label("something-new") == "something-new"


DEADLINE = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)  # 14:00 in New York, 03:00 next day Beijing
WASHINGTON = Clockface.of("America/New_York", "en")
BEIJING = Clockface.of("Asia/Shanghai", "zh-Hans")


def test_a_moment_reads_in_the_reader_s_zone_with_its_offset_and_no_seconds():
    assert WASHINGTON.text(DEADLINE) == "Tue 1 Dec 2026 14:00 EST (UTC−5)"
    assert BEIJING.text(DEADLINE) == "2026年12月2日 周三 03:00（UTC+8）"
    kolkata = Clockface.of("Asia/Kolkata", "en")
    assert kolkata.text(DEADLINE) == "Wed 2 Dec 2026 00:30 IST (UTC+5:30)"
    # zoneinfo names some zones only by their offset: not shown twice.
    singapore = Clockface.of("Asia/Singapore", "en")
    assert singapore.text(DEADLINE) == "Wed 2 Dec 2026 03:00 (UTC+8)"
    assert Clockface.of("UTC", "zh-Hans").text(DEADLINE) == "2026年12月1日 周二 19:00（UTC）"


def test_daylight_saving_time_changes_the_offset_shown():
    summer = datetime(2026, 7, 1, 18, 0, tzinfo=UTC)
    assert WASHINGTON.text(summer) == "Wed 1 Jul 2026 14:00 EDT (UTC−4)"
    # The night the clocks go back, 05:30 and 06:30 UTC are both 01:30 in New York.
    assert WASHINGTON.text(datetime(2026, 11, 1, 5, 30, tzinfo=UTC)).endswith("01:30 EDT (UTC−4)")
    assert WASHINGTON.text(datetime(2026, 11, 1, 6, 30, tzinfo=UTC)).endswith("01:30 EST (UTC−5)")
    london = Clockface.of("Europe/London", "en")
    assert london.text(datetime(2026, 3, 29, 1, 30, tzinfo=UTC)) == \
        "Sun 29 Mar 2026 02:30 BST (UTC+1)"


def test_the_hover_shows_utc_and_the_markup_is_machine_readable():
    shown = str(BEIJING.moment("2026-12-01T19:00:00.123456Z"))
    assert shown == ('<time datetime="2026-12-01T19:00:00Z" title="2026-12-01 19:00:00 UTC">'
                     "2026年12月2日 周三 03:00（UTC+8）</time>")
    assert str(BEIJING.moment("<b>odd</b>")) == "&lt;b&gt;odd&lt;/b&gt;"


def test_a_deadline_says_when_it_falls_for_both_parties():
    zones = ["America/New_York", "Asia/Shanghai"]
    # With the date: a deadline may be weeks away.
    assert WASHINGTON.sides(DEADLINE, zones) == \
        "Tue 1 Dec 14:00 New York · Wed 2 Dec 03:00 Shanghai (outside office hours)"
    assert BEIJING.sides(DEADLINE, zones) == \
        "纽约时间 12月1日 周二 14:00 · 上海时间 12月2日 周三 03:00（非办公时间）"
    # A zone without a place name: the IANA city in English, the offset in Chinese.
    assert WASHINGTON.sides(DEADLINE, ["Asia/Almaty"]).endswith(" Almaty (outside office hours)")
    assert BEIJING.sides(DEADLINE, ["Etc/GMT-3"]) == "UTC+3时间 12月1日 周二 22:00（非办公时间）"
    assert WASHINGTON.sides(DEADLINE, ["Asia/Shanghai", "Asia/Shanghai", ""]) == \
        "Wed 2 Dec 03:00 Shanghai (outside office hours)"
    assert WASHINGTON.sides(None, zones) == ""


def test_countdowns_are_in_the_reader_s_language_and_never_break():
    due = DEADLINE - timedelta(days=6, hours=23, minutes=5)
    assert WASHINGTON.countdown(DEADLINE, due) == f"due{NBSP}in{NBSP}6{NBSP}d{NBSP}23{NBSP}h"
    assert BEIJING.countdown(DEADLINE, due) == "6天23小时后到期"
    assert BEIJING.countdown(DEADLINE, DEADLINE + timedelta(seconds=55)) == "已逾期55秒"
    assert " " not in WASHINGTON.countdown(DEADLINE, DEADLINE + timedelta(seconds=55))
    assert BEIJING.duration(timedelta(0)) == "0秒"


def test_the_countdown_tag_gives_the_script_its_words():
    tag = str(BEIJING.countdown_tag(DEADLINE, DEADLINE + timedelta(hours=1), "respond by"))
    assert 'class="countdown late"' in tag and 'datetime="2026-12-01T19:00:00Z"' in tag
    assert 'data-due="{time}后到期"' in tag and 'data-over="已逾期{time}"' in tag
    assert 'data-units="天,小时,分钟,秒"' in tag and "2026-12-01 19:00:00 UTC" in tag
    assert str(BEIJING.countdown_tag(None, DEADLINE)) == '<span class="muted">—</span>'


def test_an_unknown_zone_or_language_reads_as_utc_in_english():
    face = Clockface.of("Mars/Olympus", "tlh")
    assert face == Clockface("UTC", "en")
    assert face.zone_label(DEADLINE) == "UTC"
    assert WASHINGTON.zone_label(DEADLINE) == "America/New_York (UTC−5)"


def test_a_deadline_says_when_no_one_is_at_the_other_party_s_desk():
    # 2026-12-04 is a Friday: 17:00 in New York is 06:00 on Saturday in Shanghai.
    friday = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)
    assert WASHINGTON.sides(friday, ["America/New_York", "Asia/Shanghai"]) == \
        "Fri 4 Dec 17:00 New York · Sat 5 Dec 06:00 Shanghai (weekend)"
    assert BEIJING.sides(friday, ["Asia/Shanghai"]) == "上海时间 12月5日 周六 06:00（周末）"
    # The weekend where the party is: Friday in Riyadh, Sunday a working day there.
    thursday = datetime(2026, 12, 3, 22, 0, tzinfo=UTC)
    assert WASHINGTON.sides(thursday, ["Asia/Riyadh"]) == "Fri 4 Dec 01:00 Riyadh (weekend)"
    sunday = datetime(2026, 12, 6, 7, 0, tzinfo=UTC)
    assert "(weekend)" not in WASHINGTON.sides(sunday, ["Asia/Riyadh"])
    # Office hours run from 08:00 to 18:00, both sides of it said.
    for hour, note in ((7, " (outside office hours)"), (8, ""), (17, ""),
                       (18, " (outside office hours)")):
        assert WASHINGTON.sides(datetime(2026, 12, 3, hour, tzinfo=UTC), ["UTC"]) == \
            f"Thu 3 Dec {hour:02d}:00 UTC{note}"


def test_a_form_names_its_zone_with_an_offset_only_where_the_offset_holds_all_year():
    # "Activity seen from (America/New_York (UTC−5))" above a July date, read at UTC−4.
    december = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    assert Clockface("America/New_York", "en").dates_label(december) == "America/New_York"
    assert Clockface("Europe/Berlin", "en").dates_label(december) == "Europe/Berlin"
    assert Clockface("Asia/Shanghai", "en").dates_label(december) == "Asia/Shanghai (UTC+8)"
    assert Clockface("UTC", "en").dates_label(december) == "UTC"
    # The same offset on 1 January and 1 July, another during Ramadan.
    assert Clockface("Africa/Casablanca", "en").dates_label(december) == "Africa/Casablanca"


@pytest.mark.parametrize(("zone", "when"), [
    ("America/New_York", "0001-01-01T00:00:00.000Z"),
    ("Asia/Shanghai", "9999-12-31T23:59:59.999Z"),
])
def test_a_time_at_the_calendar_s_ends_is_said_in_utc_where_the_zone_has_no_room(zone, when):
    # A designation dated 0001, posted over TAXII, made every page showing it a 500 west of
    # UTC (and 9999 east of it): the local time is outside Python's calendar.
    from accord.cli import common

    for language in ("en", "zh-Hans"):
        said = str(Clockface.of(zone, language).moment(when))
        assert "UTC" in said.rpartition(">")[0], said  # shown, in UTC
    common.shown_zone["name"] = zone
    try:
        assert common.shown(when).startswith(when[:-1])
    finally:
        common.shown_zone["name"] = common.DEFAULT_ZONE
