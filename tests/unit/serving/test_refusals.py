"""Failed authentications on the audit trail: one by one while there is room, then counted per
source; what the trail receives is bounded whatever the attack."""

from __future__ import annotations

import tracemalloc

from accord.serving.refusals import (
    MAX_TALLIES,
    OTHER_SOURCES,
    REFUSED,
    THROTTLED,
    Attempt,
    RefusalLimits,
    Refusals,
)
from accord.serving.throttle import ThrottleLimits
from accord.trust.audit import Event


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def refusals(clock: Clock, **limits: float) -> tuple[Refusals, list[Event]]:
    recorded: list[Event] = []
    throttle = ThrottleLimits(burst=int(limits.pop("burst", 3)), refill=60.0)
    made = Refusals(RefusalLimits(throttle, **limits), recorded.append,  # type: ignore[arg-type]
                    clock=clock, wall=clock)
    return made, recorded


def attempt(source: str = "203.0.113.9", form: str = "bearer", path: str = "/taxii2/"):
    return Attempt(source, form, "taxii", "GET", path)  # type: ignore[arg-type]


def test_failures_within_the_allowance_are_recorded_one_by_one_then_429_is_counted():
    clock = Clock()
    made, recorded = refusals(clock)
    assert [made.refuse(attempt()) for _ in range(3)] == [0, 0, 0]
    assert [e.action for e in recorded] == [REFUSED] * 3
    assert recorded[0].detail == {"source": "203.0.113.9", "form": "bearer", "via": "taxii",
                                  "method": "GET", "path": "/taxii2/"}
    assert [made.refuse(attempt(form=f)) for f in ("bearer", "basic", "basic")] == [60] * 3
    assert len(recorded) == 3  # throttled: counted, not recorded one by one
    assert made.summaries(everything=False) == []  # not yet: once per summary period
    clock.now += 10
    [summary] = made.summaries(everything=False)
    assert summary.action == THROTTLED and summary.party_id is None
    assert summary.detail["source"] == "203.0.113.9"
    assert summary.detail["throttled"] == 3 and summary.detail["refused"] == 0
    assert summary.detail["forms"] == {"bearer": 1, "basic": 2}
    assert summary.detail["paths"] == ["/taxii2/"]
    assert made.summaries(everything=True) == []  # counted once


def test_beyond_the_trails_budget_failures_are_counted_not_recorded_one_by_one():
    clock = Clock()
    made, recorded = refusals(clock, burst=1000, recorded_burst=5, recorded_per_second=1.0)
    for n in range(50):
        assert made.refuse(attempt(f"198.51.100.{n}")) == 0  # every source within allowance
    assert len(recorded) == 5
    summaries = made.summaries(everything=True)
    assert sum(e.detail["refused"] for e in summaries) == 45
    assert {e.detail["throttled"] for e in summaries} == {0}


def test_what_a_flood_from_rotating_sources_leaves_is_bounded():
    clock = Clock()
    made, recorded = refusals(clock, burst=1)
    tracemalloc.start()
    for n in range(20_000):
        source = f"10.{n // 65536}.{n // 256 % 256}.{n % 256}"
        made.refuse(attempt(source, path=f"/taxii2/{n}/{'x' * 1000}"))
        made.refuse(attempt(source, path=f"/taxii2/{n}/{'x' * 1000}"))  # now throttled
    current, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(recorded) <= 100 + 10 * 1  # the budget: a burst, then 10 a second
    summaries = made.summaries(everything=True)
    assert len(summaries) == MAX_TALLIES + 1
    other = next(e for e in summaries if e.detail["source"] == OTHER_SOURCES)
    assert len(other.detail["paths"]) == 5
    assert all(len(p) <= 200 for p in other.detail["paths"])
    assert sum(e.detail["throttled"] + e.detail["refused"] for e in summaries) \
        + len(recorded) == 40_000  # every failure is on the trail, one way or the other
    assert current < 10_000_000, f"{current:,} bytes"


def test_the_allowance_can_change_before_serving():
    clock = Clock()
    made, _recorded = refusals(clock, burst=1)
    made.set_throttle(ThrottleLimits(burst=2, refill=5.0))
    assert [made.refuse(attempt()) for _ in range(3)] == [0, 0, 5]
