from datetime import UTC, datetime
from itertools import islice

from accord.stix.timestamps import parse_timestamp
from accord.store.objects import _stamps


def test_date_added_stamps_increase_strictly_across_second_and_year_boundaries():
    start = datetime(2020, 12, 31, 23, 59, 59, 999_000, tzinfo=UTC)
    stamps = list(islice(_stamps(start), 2000))
    assert stamps[0] == "2020-12-31T23:59:59.999000Z"
    times = [parse_timestamp(s) for s in stamps]
    assert all(a < b for a, b in zip(times, times[1:], strict=False))
    assert stamps[-1].startswith("2021-01-01T00:00:00.")
    assert stamps == sorted(stamps)  # text order is time order: paging sorts the text


def test_date_added_steps_are_random_so_gaps_do_not_count_hidden_objects():
    start = datetime(2020, 1, 1, tzinfo=UTC)
    times = [parse_timestamp(s) for s in islice(_stamps(start), 1000)]
    steps = {(b - a).microseconds for a, b in zip(times, times[1:], strict=False)}
    assert steps <= set(range(1, 33)) and len(steps) > 16
