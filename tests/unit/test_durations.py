from datetime import timedelta

import pytest

from accord.durations import DurationError, parse_duration


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
