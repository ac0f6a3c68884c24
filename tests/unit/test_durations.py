from datetime import UTC, datetime, timedelta

import pytest

from accord.durations import DurationError, lifetime_end, parse_duration


@pytest.mark.parametrize("text, expected", [
    ("90d", timedelta(days=90)), ("12h", timedelta(hours=12)), ("30m", timedelta(minutes=30)),
    ("P30D", timedelta(days=30)), ("PT24H", timedelta(hours=24)),
    ("P1DT6H", timedelta(days=1, hours=6)), ("P2W", timedelta(weeks=2)),
    ("pt1s", timedelta(seconds=1)),
])
def test_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "P", "PT", "P1DT", "soon", "10 days", "-5d"])
def test_bad_durations_name_the_input(text):
    with pytest.raises(DurationError, match="not a duration"):
        parse_duration(text)


def test_a_duration_no_calendar_holds_is_refused_not_a_crash():
    with pytest.raises(DurationError, match="longer than any calendar"):
        parse_duration("99999999999d")


def test_a_lifetime_ends_after_its_start_and_within_the_calendar():
    start = datetime(2026, 11, 27, tzinfo=UTC)
    assert lifetime_end("90d", start) == start + timedelta(days=90)
    with pytest.raises(DurationError, match="must live longer"):
        lifetime_end("0d", start)
    with pytest.raises(DurationError, match="beyond the calendar"):
        lifetime_end("99999999d", start)
