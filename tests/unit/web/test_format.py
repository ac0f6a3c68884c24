"""How times and deadlines read on a page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accord.web.format import countdown, duration, moment, state_label

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


def test_moments_are_utc_and_odd_values_are_shown_as_they_are():
    assert moment("2026-11-27T05:40:01.123456Z") == "2026-11-27 05:40:01 UTC"
    assert moment(datetime(2026, 1, 1, 1, 0, tzinfo=UTC)) == "2026-01-01 01:00:00 UTC"
    assert moment(None) == "—"
    assert moment("not a time") == "not a time"


def test_states_have_words():
    assert state_label("in-progress") == "In progress"
    assert state_label("something-new") == "something-new"
