"""The audit buffer: a flush that returns has appended everything recorded before it."""

from __future__ import annotations

import threading
from typing import Any

from accord.store.audit_buffer import AuditBuffer
from accord.trust.audit import Event


class SlowLog:
    """An audit log whose append waits until the test lets it finish."""

    def __init__(self) -> None:
        self.appended: list[Event] = []
        self.entered, self.release = threading.Event(), threading.Event()

    def append(self, events: list[Event]) -> None:
        self.entered.set()
        self.release.wait(5)
        self.appended.extend(events)


def test_a_flush_waits_for_the_append_the_background_flush_has_under_way():
    log = SlowLog()
    buffer = AuditBuffer(log)  # type: ignore[arg-type]
    read = Event("2026-01-01T00:00:00.000Z", "objects.read", "identity--x")
    buffer.record(read)
    background = threading.Thread(target=buffer.flush, kwargs={"everything": False})
    background.start()
    assert log.entered.wait(5)  # the background flush has taken the read and is appending
    asked: list[Any] = []
    caller = threading.Thread(target=lambda: asked.append(buffer.flush()))
    caller.start()
    caller.join(0.3)
    assert caller.is_alive(), "flush returned before the read was on the trail"
    log.release.set()
    caller.join(5)
    background.join(5)
    assert log.appended == [read]


def test_a_feed_is_asked_for_everything_only_when_a_flush_asks_for_everything():
    log = SlowLog()
    log.release.set()
    buffer = AuditBuffer(log)  # type: ignore[arg-type]
    asked: list[bool] = []
    buffer.feed_from(lambda everything: asked.append(everything) or [])
    buffer.flush(everything=False)
    buffer.flush()
    assert asked == [False, True]
