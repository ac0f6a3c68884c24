"""The token look-ups kept for a moment (store.recent_tokens): how long, and what forgets them."""

from __future__ import annotations

from accord.store.recent_tokens import RecentLookups


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_kept_row_is_given_until_it_is_as_old_as_held_for():
    clock = Clock()
    recent = RecentLookups(held_for=1.0, clock=clock)
    recent.keep("digest", "row", recent.generation())
    clock.now += 0.999
    assert recent.get("digest") == "row"
    clock.now += 0.001
    assert recent.get("digest") is None
    assert recent.get("digest") is None  # and it is gone, not just hidden


def test_a_change_in_the_process_forgets_every_row_at_once():
    recent = RecentLookups(clock=Clock())
    recent.keep("a", "row a", recent.generation())
    recent.keep("b", "row b", recent.generation())
    recent.forget_all()
    assert recent.get("a") is None and recent.get("b") is None


def test_a_look_up_that_began_before_a_change_is_not_kept():
    recent = RecentLookups(clock=Clock())
    before = recent.generation()
    recent.forget_all()  # e.g. the token was revoked while the look-up read the old row
    recent.keep("digest", "stale row", before)
    assert recent.get("digest") is None
    recent.keep("digest", "fresh row", recent.generation())
    assert recent.get("digest") == "fresh row"


def test_at_most_most_rows_are_kept():
    recent = RecentLookups(most=3, clock=Clock())
    for n in range(10):
        recent.keep(n, f"row {n}", recent.generation())
    assert sum(recent.get(n) is not None for n in range(10)) <= 3
    assert recent.get(9) == "row 9"  # the newest always is


def test_nothing_is_kept_when_held_for_is_zero():
    recent = RecentLookups(held_for=0, clock=Clock())
    recent.keep("digest", "row", recent.generation())
    assert recent.get("digest") is None
