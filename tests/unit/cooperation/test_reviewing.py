"""The review's forked half: its figures come back, and one that hangs is done here instead."""

from __future__ import annotations

import os
import time

import pytest

from accord.cooperation import reviewing

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the forked half needs fork()")


def test_the_forked_half_comes_back():
    def work(half):
        return {("half", half): os.getpid()}

    both = reviewing._in_two(work, _NoEngine())
    assert set(both) == {("half", 0), ("half", 1)}
    assert both[("half", 1)] != os.getpid()  # the child did its half


def test_a_forked_half_that_hangs_is_done_here(monkeypatch):
    monkeypatch.setattr(reviewing, "_PATIENCE", 0.5)
    parent = os.getpid()

    def work(half):
        if half == 1 and os.getpid() != parent:
            time.sleep(60)  # as a child stuck on a lock held at the fork would
        return {("half", half): os.getpid()}

    started = time.monotonic()
    both = reviewing._in_two(work, _NoEngine())
    assert time.monotonic() - started < 10
    assert both == {("half", 0): parent, ("half", 1): parent}


class _NoEngine:
    def dispose(self, close: bool = True) -> None:
        pass
