from datetime import UTC, datetime
from itertools import islice

from accord.store.objects import _stamps


def test_date_added_stamps_step_one_microsecond_across_a_second_boundary():
    start = datetime(2020, 12, 31, 23, 59, 59, 999_998, tzinfo=UTC)
    assert list(islice(_stamps(start), 3)) == [
        "2020-12-31T23:59:59.999998Z", "2020-12-31T23:59:59.999999Z",
        "2021-01-01T00:00:00.000000Z"]
