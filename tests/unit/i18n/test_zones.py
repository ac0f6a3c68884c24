"""Time zones: which names are zones, their offsets and places, and form input read in one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from accord.i18n.zones import (
    UnknownZone,
    instant_in,
    midnight_in,
    offset_label,
    place,
    zone,
    zone_or_utc,
)


def test_only_iana_names_are_zones_and_the_error_says_what_one_is():
    assert zone("Asia/Shanghai").utcoffset(datetime(2026, 1, 1)) == timedelta(hours=8)
    assert zone("UTC") is UTC
    for bad in ("Mars/Olympus", "../../etc/passwd", "", "asia/shanghai"):
        with pytest.raises(UnknownZone, match="give an IANA name such as Asia/Shanghai"):
            zone(bad)
    assert zone_or_utc("Nowhere") == "UTC" and zone_or_utc("Europe/Paris") == "Europe/Paris"


@pytest.mark.parametrize(("hours", "shown"), [
    (0, "UTC"), (8, "UTC+8"), (-5, "UTC−5"), (5.5, "UTC+5:30"), (-9.5, "UTC−9:30"),
    (12.75, "UTC+12:45")])
def test_offsets_read_as_people_write_them(hours, shown):
    assert offset_label(timedelta(hours=hours)) == shown


def test_places_are_cities_in_the_readers_language_or_the_offset():
    assert place("Asia/Shanghai", "en") == "Shanghai"
    assert place("Asia/Shanghai", "zh-Hans") == "上海"
    assert place("America/New_York", "zh-Hans") == "纽约"
    assert place("America/Argentina/Buenos_Aires", "en") == "Buenos Aires"
    # A city not listed: as the Unicode CLDR names it in Chinese, not by its offset alone.
    assert place("America/Argentina/Buenos_Aires", "zh-Hans") == "布宜诺斯艾利斯"
    assert place("Asia/Kathmandu", "zh-Hans") == "加德满都"
    assert place("UTC", "en") == "UTC" and place("Etc/GMT-3", "zh-Hans") == "UTC+3"


def test_form_times_are_read_in_the_zone_the_form_names():
    assert instant_in("2026-12-01T14:00", "America/New_York") == \
        datetime(2026, 12, 1, 19, 0, tzinfo=UTC)
    assert instant_in("2026-07-01T14:00", "America/New_York") == \
        datetime(2026, 7, 1, 18, 0, tzinfo=UTC)  # summer time
    assert instant_in("2026-12-01T14:00Z", "Asia/Shanghai") == \
        datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # an explicit offset wins
    assert midnight_in(date(2026, 12, 2), "Asia/Shanghai") == \
        datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="beyond the calendar"):
        instant_in("0001-01-01T00:00", "Asia/Shanghai")
    with pytest.raises(ValueError):
        instant_in("yesterday", "Asia/Shanghai")


def test_a_time_the_clocks_skip_is_refused_not_moved_an_hour():
    from accord.i18n.zones import NoSuchLocalTime

    with pytest.raises(NoSuchLocalTime, match="does not exist in America/New_York"):
        instant_in("2027-03-14T02:30", "America/New_York")
    assert instant_in("2027-03-14T03:30", "America/New_York") == \
        datetime(2027, 3, 14, 7, 30, tzinfo=UTC)


def test_a_time_the_clocks_repeat_is_refused_unless_its_offset_says_which():
    from accord.i18n.zones import AmbiguousLocalTime

    with pytest.raises(AmbiguousLocalTime) as twice:
        instant_in("2026-11-01T01:30", "America/New_York")
    assert twice.value.offsets == ("-04:00", "-05:00")
    assert instant_in("2026-11-01T01:30-05:00", "America/New_York") == \
        datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert instant_in("2026-11-01T01:30", "Asia/Shanghai") == \
        datetime(2026, 10, 31, 17, 30, tzinfo=UTC)  # no change of clocks there


def test_a_zones_weekend_is_its_countrys():
    from accord.i18n.zones import weekend

    assert weekend("Asia/Shanghai") == weekend("America/New_York") == {5, 6}
    assert weekend("Asia/Riyadh") == {4, 5}  # Friday and Saturday
    assert weekend("Asia/Tehran") == {4}  # Friday
    assert weekend("UTC") == weekend("Etc/UTC") == {5, 6}  # no country: Saturday, Sunday
    assert weekend("Asia/Calcutta") == weekend("Asia/Kolkata")  # an alias, as browsers send
    assert weekend("Egypt") == weekend("Africa/Cairo") == {4, 5}
