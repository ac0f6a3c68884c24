"""The token bucket of failed authentications per source, and the bound on its table."""

from __future__ import annotations

import ipaddress
import tracemalloc

import pytest

from accord.serving.throttle import Throttle, ThrottleLimits, retry_after, source_of


def test_a_source_fails_its_burst_then_waits_for_one_attempt_to_come_back():
    throttle = Throttle(ThrottleLimits(burst=3, refill=10.0))
    assert [throttle.fail("203.0.113.9", 100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert throttle.fail("203.0.113.9", 100.0) == pytest.approx(10.0)
    assert throttle.fail("203.0.113.9", 104.0) == pytest.approx(6.0)  # no debt while waiting
    assert throttle.fail("203.0.113.9", 110.0) == 0.0  # one attempt back after 10 s
    assert throttle.fail("203.0.113.9", 110.0) > 0
    assert throttle.fail("198.51.100.1", 110.0) == 0.0  # another source has its own


def test_an_idle_source_gets_its_whole_burst_back_and_no_more():
    throttle = Throttle(ThrottleLimits(burst=2, refill=1.0))
    throttle.fail("a", 0.0)
    throttle.fail("a", 0.0)
    assert [throttle.fail("a", 1000.0) for _ in range(3)][-1] > 0


def test_retry_after_is_whole_seconds_and_never_zero():
    assert retry_after(0.2) == 1 and retry_after(5.0) == 5 and retry_after(5.01) == 6


def test_an_ipv6_client_counts_as_its_64_and_a_mapped_ipv4_as_itself():
    assert source_of("2001:db8:1:2::1") == source_of("2001:db8:1:2:ffff::7") == \
        "2001:db8:1:2::/64"
    assert source_of("2001:db8:1:3::1") != source_of("2001:db8:1:2::1")
    assert source_of("::ffff:203.0.113.9") == "203.0.113.9"
    assert source_of("203.0.113.9") == "203.0.113.9"
    assert source_of(None) == "unknown" and source_of("testclient") == "testclient"
    assert source_of("fe80::1%eth0") == "fe80::1%eth0" and source_of("1.2.3") == "1.2.3"
    assert len(source_of("x" * 10_000)) == 64


def test_rotating_addresses_within_a_64_does_not_escape_the_throttle():
    throttle = Throttle(ThrottleLimits(burst=5, refill=60.0))
    waits = [throttle.fail(source_of(f"2001:db8::{n:x}"), 0.0) for n in range(1, 50)]
    assert waits[:5] == [0.0] * 5 and all(w > 0 for w in waits[5:])
    assert len(throttle) == 1


def test_the_table_keeps_at_most_max_sources_and_forgets_the_least_recent_first():
    throttle = Throttle(ThrottleLimits(burst=1, refill=3600.0, max_sources=100))
    throttle.fail("kept", 0.0)
    for n in range(1_000):
        throttle.fail(f"10.0.{n // 256}.{n % 256}", 1.0)
        throttle.fail("kept", 1.0)  # seen again and again: never the one forgotten
        assert len(throttle) <= 100
    assert throttle.fail("kept", 2.0) > 0
    assert throttle.fail("10.0.0.0", 2.0) == 0.0  # forgotten long ago: a fresh allowance


def test_rotating_ipv6_networks_leave_the_table_bounded_in_memory():
    throttle = Throttle(ThrottleLimits(max_sources=10_000))
    base = int(ipaddress.IPv6Address("2001:db8::"))
    tracemalloc.start()
    for n in range(30_000):  # three times the table's room
        throttle.fail(source_of(str(ipaddress.IPv6Address(base + (n << 64)))), n / 1000)
    current, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(throttle) == 10_000
    assert current < 5_000_000, f"{current:,} bytes for 10,000 sources"


def test_limits_must_be_positive():
    for wrong in ({"burst": 0}, {"refill": 0.0}, {"max_sources": 0}):
        with pytest.raises(ValueError):
            ThrottleLimits(**wrong)
