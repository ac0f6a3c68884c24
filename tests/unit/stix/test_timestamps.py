from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from accord.stix.timestamps import format_timestamp, is_timestamp, sort_key


def test_valid_timestamps():
    assert is_timestamp("2016-04-06T20:03:00Z")
    assert is_timestamp("2016-04-06T20:03:00.000Z")
    assert is_timestamp("2016-02-29T20:03:00.123456789Z")


def test_invalid_timestamps():
    for bad in ["2016-04-06 20:03:00Z", "2016-04-06T20:03:00", "2016-04-06T20:03:00+00:00",
                "2015-02-29T00:00:00Z", "2016-04-31T00:00:00Z", "2016-04-06t20:03:00z", "", 5,
                None, "2016-04-06T24:00:00Z"]:
        assert not is_timestamp(bad), bad


def test_sort_key_orders_by_instant_not_by_spelling():
    assert sort_key("2016-01-01T00:00:41Z") == sort_key("2016-01-01T00:00:41.000Z")
    assert sort_key("2016-01-01T00:00:41Z") < sort_key("2016-01-01T00:00:41.001Z")


ANY_YEAR = st.datetimes(min_value=datetime(1, 1, 1))  # written with four digits


@given(ANY_YEAR, ANY_YEAR)
def test_sort_key_order_matches_time_order(a, b):
    ka, kb = (sort_key(format_timestamp(d.replace(tzinfo=UTC))) for d in (a, b))
    assert (ka < kb) == (a < b)


def test_format_timestamp_has_microseconds():
    moment = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert format_timestamp(moment) == "2020-01-02T03:04:05.000000Z"


def test_format_timestamp_is_utc_and_pads_the_year():
    east = timezone(timedelta(hours=8))
    assert format_timestamp(datetime(2026, 1, 2, 3, 4, 5, 7, tzinfo=east)) == \
        "2026-01-01T19:04:05.000007Z"
    early = format_timestamp(datetime(999, 1, 1, tzinfo=UTC))
    assert early == "0999-01-01T00:00:00.000000Z" and is_timestamp(early)
