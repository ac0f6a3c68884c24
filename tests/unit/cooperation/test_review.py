"""The review's figures, checked against numbers worked out by hand from a small scenario."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from accord.cooperation.ledger import derive, is_overdue_at, overdue_after
from accord.cooperation.model import (
    Acknowledgement,
    Entry,
    Escalation,
    Ledger,
    Rating,
    Receipt,
    Request,
    Response,
    StatusReport,
    Withdrawal,
)
from accord.cooperation.review import (
    QuarterFigures,
    counted,
    histogram,
    median_hours,
    p90_hours,
    percent,
    review,
    to_dict,
)

US = "identity--00000000-0000-4000-8000-0000000000a1"
CN = "identity--00000000-0000-4000-8000-0000000000c1"
NAMES = {US: "US", CN: "CN"}
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 7, 1, tzinfo=UTC)
NOW = datetime(2026, 7, 10, tzinfo=UTC)
H = timedelta(hours=1)
MICRO = timedelta(microseconds=1)
# Deadlines (acknowledge, respond) by urgency, as a receipt would fix them.
DEADLINES = {"routine": (72 * H, 30 * 24 * H), "priority": (24 * H, 7 * 24 * H),
             "urgent": (2 * H, 24 * H)}


def scenario(name: str, received: datetime | None, *, requester: str = US, addressee: str = CN,
             kind: str = "information", category: str = "intrusion", urgency: str = "priority",
             is_exercise: bool = False, ack: timedelta | None = None,
             report: timedelta | None = None, answer: timedelta | None = None,
             outcome: str = "information-provided", rating: int | None = None,
             escalation: tuple[timedelta, str] | None = None,
             withdrawn: timedelta | None = None,
             created: datetime | None = None) -> Ledger:
    """One request: acts given as delays after receipt."""
    rid = f"x-accord-request--{name}"
    created = created or (received - 10 * timedelta(minutes=1) if received else START)
    request = Request(rid, created, requester, addressee, kind, category,  # type: ignore[arg-type]
                      urgency, "summary", is_exercise=is_exercise)  # type: ignore[arg-type]
    if received is None:
        return Ledger(request)
    acknowledge_in, respond_in = DEADLINES[urgency]
    entries: list[Entry] = [Receipt(f"x-accord-receipt--{name}", rid, addressee, received,
                                    received=received, acknowledge_by=received + acknowledge_in,
                                    respond_by=received + respond_in)]
    if ack is not None:
        entries.append(Acknowledgement(f"x-accord-ack--{name}", rid, addressee, received + ack))
    if report is not None:
        entries.append(StatusReport(f"x-accord-report--{name}", rid, addressee,
                                    received + report))
    if answer is not None:
        entries.append(Response(f"x-accord-response--{name}", rid, addressee, received + answer,
                                outcome=outcome))  # type: ignore[arg-type]
        if rating is not None:
            entries.append(Rating(f"x-accord-rating--{name}", rid, requester,
                                  received + answer + 24 * H,
                                  response_id=f"x-accord-response--{name}", score=rating))
    if escalation is not None:
        entries.append(Escalation(f"x-accord-escalation--{name}", rid, requester,
                                  received + escalation[0],
                                  reason=escalation[1]))  # type: ignore[arg-type]
    if withdrawn is not None:
        entries.append(Withdrawal(f"x-accord-withdrawal--{name}", rid, requester,
                                  received + withdrawn))
    return Ledger(request, tuple(entries))


LEDGERS = [
    # US -> CN
    scenario("r1", datetime(2026, 1, 10, tzinfo=UTC), ack=2 * H, answer=48 * H, rating=4),
    scenario("r2", datetime(2026, 2, 1, tzinfo=UTC), kind="preservation", category="ransomware",
             urgency="routine", ack=72 * H, answer=30 * 24 * H + MICRO, outcome="action-taken",
             rating=2),
    scenario("r3", datetime(2026, 4, 15, 12, tzinfo=UTC), category="ddos", urgency="urgent",
             ack=3 * H, answer=20 * H, outcome="declined",
             escalation=(2 * H + timedelta(minutes=1), "acknowledgement-overdue")),
    scenario("r4", datetime(2026, 5, 20, tzinfo=UTC), kind="investigation", report=10 * H,
             escalation=(7 * 24 * H + timedelta(minutes=1), "response-overdue")),
    scenario("r5", END - MICRO, urgency="routine"),  # the period's last microsecond
    scenario("r6", END, ack=H),  # the period's end is not in it
    scenario("r7", START - MICRO, ack=H),
    scenario("r8", None, category="other", urgency="routine",  # never received: by `created`
             created=datetime(2026, 3, 1, tzinfo=UTC)),
    scenario("r9", datetime(2026, 3, 10, tzinfo=UTC), kind="mitigation", category="fraud",
             ack=timedelta(minutes=30), withdrawn=48 * H),
    # CN -> US
    scenario("c1", datetime(2026, 2, 10, tzinfo=UTC), requester=CN, addressee=US,
             kind="prosecution", category="child-abuse", urgency="urgent", ack=H, answer=24 * H,
             outcome="no-information-found", rating=5),
    # An exercise US -> CN
    scenario("e1", datetime(2026, 3, 3, tzinfo=UTC), is_exercise=True, ack=H, answer=10 * H,
             rating=3),
]


def reviewed(ledgers=LEDGERS):
    return review([derive(ledger, NOW) for ledger in ledgers], start=START, end=END, now=NOW,
                  names=NAMES)


def test_directions_and_exercises_are_reported_apart():
    result = reviewed()
    assert list(result.directions) == ["CN->US", "US->CN"]
    assert list(result.exercises) == ["US->CN"]
    assert (result.start, result.end, result.generated_at) == (START, END, NOW)


def test_figures_of_one_direction_match_the_hand_count():
    f = reviewed().directions["US->CN"]
    # r1 r2 r3 r4 r5 r8 r9: r6 is received at the end (excluded), r7 before the start.
    assert f.requests == 7
    assert (f.requester, f.addressee) == ("US", "CN")
    assert f.by_kind == {"information": 4, "preservation": 1, "investigation": 1,
                         "mitigation": 1}
    assert list(f.by_category.items()) == [("intrusion", 3), ("ddos", 1), ("ransomware", 1),
                                           ("fraud", 1), ("other", 1)]
    assert list(f.by_urgency.items()) == [("routine", 3), ("priority", 3), ("urgent", 1)]
    # Acknowledged: r1 2h, r2 72h (exactly at its deadline), r3 3h (2h allowed: late),
    # r4 by its status report at 10h, r9 30 min.
    assert (f.acknowledged, f.acknowledged_on_time) == (5, 4)
    assert f.acknowledged_on_time_pct == 57.1  # 4/7 = 57.142…
    # Answered: r1 48h (of 168), r2 720h + 1µs (of 720: late), r3 20h (of 24).
    assert (f.answered, f.answered_on_time) == (3, 2)
    assert f.answered_on_time_pct == 28.6  # 2/7 = 28.571…
    # To acknowledge, sorted: 0.5 2 3 10 72 — median the 3rd; p90 the ceil(4.5) = 5th.
    assert (f.median_hours_to_acknowledge, f.p90_hours_to_acknowledge) == (3.0, 72.0)
    # To answer, sorted: 20 48 720.0000000003 — median the 2nd; p90 the ceil(2.7) = 3rd.
    assert (f.median_hours_to_answer, f.p90_hours_to_answer) == (48.0, 720.0)
    assert list(f.outcomes.items()) == [("information-provided", 1), ("action-taken", 1),
                                        ("declined", 1)]
    # Open: r4, r5, r8. Overdue: r4 (response due 27 May), r5 (acknowledgement due 3 July);
    # r8 was never received, so it has no deadline.
    assert (f.open_now, f.overdue_now) == (3, 2)
    assert f.escalations == 2
    assert f.escalations_by_reason == {"acknowledgement-overdue": 1, "response-overdue": 1}
    assert (f.ratings, f.mean_rating) == (2, 3.0)
    assert f.withdrawn == 1
    # Q1: r1 r2 r8 r9, on time ack r1 r2 r9, answer r1. Q2: r3 r4 r5, ack r4, answer r3.
    assert f.quarters == {"2026-Q1": QuarterFigures(4, 3, 1),
                          "2026-Q2": QuarterFigures(3, 1, 1)}
    # 20h, 48h, and 720h + 1µs (just over 30 days).
    assert f.hours_to_answer_histogram == {"<=1h": 0, "<=6h": 0, "<=24h": 1, "<=3d": 1,
                                           "<=7d": 0, "<=30d": 0, ">30d": 1}


def test_figures_of_the_other_direction_and_of_the_exercise():
    result = reviewed()
    c = result.directions["CN->US"]
    assert (c.requests, c.acknowledged_on_time, c.answered_on_time) == (1, 1, 1)
    assert (c.acknowledged_on_time_pct, c.answered_on_time_pct) == (100.0, 100.0)
    # Answered exactly 24 hours after receipt: on time, and in the "<=24h" bucket.
    assert (c.median_hours_to_answer, c.p90_hours_to_answer) == (24.0, 24.0)
    assert c.hours_to_answer_histogram["<=24h"] == 1
    assert (c.mean_rating, c.escalations, c.escalations_by_reason) == (5.0, 0, {})
    assert c.quarters == {"2026-Q1": QuarterFigures(1, 1, 1)}
    e = result.exercises["US->CN"]
    assert (e.requests, e.median_hours_to_answer, e.mean_rating) == (1, 10.0, 3.0)


def test_an_empty_direction_has_no_percentages_medians_or_ratings():
    f = reviewed([scenario("x", START)]).directions["US->CN"]
    assert f.acknowledged_on_time_pct == 0.0
    assert (f.median_hours_to_answer, f.p90_hours_to_answer, f.mean_rating) == (None, None,
                                                                               None)
    assert reviewed([]).directions == {}


def test_the_order_of_the_views_changes_nothing():
    shuffled = list(LEDGERS)
    random.Random(7).shuffle(shuffled)
    assert to_dict(reviewed(shuffled)) == to_dict(reviewed())


def test_what_the_review_counts_of_a_request_does_not_depend_on_the_clock():
    # So it can be kept with the request: only whether it is overdue depends on `now`, and
    # the instant kept says exactly when.
    instants = [START, START + 10 * 24 * H, START + 10 * 24 * H + MICRO, END, NOW]
    for ledger in LEDGERS:
        views = [derive(ledger, at) for at in instants]
        assert len({counted(view) for view in views}) == 1
        after = overdue_after(views[0])
        for view in views:
            for at in [*instants, *([after, after + MICRO] if after else [])]:
                assert is_overdue_at(view, at) == (after is not None and at > after)


def test_a_party_without_a_name_is_shown_by_its_id_and_shared_names_are_kept_apart():
    other = "identity--00000000-0000-4000-8000-0000000000b1"
    ledgers = [scenario("a", START, addressee=other), scenario("b", START, requester=CN)]
    assert list(reviewed(ledgers).directions) == ["CN->CN", f"US->{other}"]
    clash = review([derive(ledger, NOW) for ledger in ledgers[1:] + [scenario("c", START)]],
                   start=START, end=END, now=NOW, names={US: "same", CN: "same"})
    assert list(clash.directions) == [f"{US}->{CN}", f"{CN}->{CN}"]  # sorted: a1 < c1


@pytest.mark.parametrize("part, whole, expected", [
    (4, 7, 57.1), (2, 3, 66.7), (1, 3, 33.3), (1, 16, 6.3), (1, 8, 12.5), (0, 5, 0.0),
    (5, 5, 100.0), (3, 0, None),
])
def test_percentages_round_half_up_to_one_decimal(part, whole, expected):
    assert percent(part, whole) == expected


HOUR_US = 3_600_000_000


@pytest.mark.parametrize("hours, median, p90", [
    ([], None, None),
    ([5], 5.0, 5.0),
    ([1, 2], 1.5, 2.0),  # even: the mean of the two middle values
    ([1, 2, 3, 4], 2.5, 4.0),  # ceil(3.6) = 4th
    (list(range(1, 11)), 5.5, 9.0),  # ceil(9) = 9th
    (list(range(1, 12)), 6.0, 10.0),  # ceil(9.9) = 10th
])
def test_median_and_nearest_rank_p90(hours, median, p90):
    microseconds = [h * HOUR_US for h in hours]
    assert median_hours(microseconds) == median
    assert p90_hours(microseconds) == p90


def test_hours_round_half_up_to_two_decimals_from_microseconds():
    assert median_hours([18_000_000]) == 0.01  # 18 s = 0.005 h: half up
    assert median_hours([17_999_999]) == 0.0
    assert median_hours([1, 18_000_000 * 2 - 1]) == 0.01  # mean of two middles, exact


def test_histogram_bounds_are_inclusive():
    edges = [0, HOUR_US, HOUR_US + 1, 6 * HOUR_US, 720 * HOUR_US, 720 * HOUR_US + 1]
    assert histogram(edges) == {"<=1h": 2, "<=6h": 2, "<=24h": 0, "<=3d": 0, "<=7d": 0,
                                "<=30d": 1, ">30d": 1}


def test_to_dict_is_json_ready():
    data = to_dict(reviewed())
    assert data["period"] == {"from": "2026-01-01T00:00:00.000000Z",
                              "to": "2026-07-01T00:00:00.000000Z"}
    assert data["generated_at"] == "2026-07-10T00:00:00.000000Z"
    direction = data["directions"]["US->CN"]  # type: ignore[index]
    assert {key: direction[key] for key in ("requests", "acknowledged_on_time",
                                            "answered_on_time", "escalations",
                                            "median_hours_to_answer")} == {
        "requests": 7, "acknowledged_on_time": 4, "answered_on_time": 2, "escalations": 2,
        "median_hours_to_answer": 48.0}
    assert direction["quarters"]["2026-Q2"] == {"requests": 3, "acknowledged_on_time": 1,
                                                "answered_on_time": 1}
    assert list(data["exercises"]) == ["US->CN"]  # type: ignore[call-overload]
