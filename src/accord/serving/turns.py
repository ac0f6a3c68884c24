"""How a server process shares the interpreter between the event loop and its other threads.

Requests are answered on one thread, the event loop's; beside it, threads work in the
background: the audit trail's flush every 0.2 s, a POST's validation, the deadline watcher's
and the sync's rounds. Only one thread runs Python at a time, and a thread that wants to run
while another does waits until the other lets go: at its next wait for the database or the
network, or, if it has none, when CPython asks it to, after the switch interval (5 ms by
default). A request that arrived during a flush waited for the flush's Python work between two
of its round trips, up to milliseconds: GET by id, one client in turn (wrk, 15 s), p99 2.4-2.7
ms with the flush, 1.0-1.1 ms with the flush held off, 1.4-1.5 ms with an interval of 0.2 ms,
at the same CPU a request (bench/README.md, "The audit flush and the tail").
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SWITCH_INTERVAL = 0.0002  # seconds

# The interval is the process's: apps serving at once in one process (tests, two nodes in one
# program) share it, and the last to stop gives back what was there before the first began.
_lock = threading.Lock()
_serving = 0
_before = 0.0


@contextmanager
def prompt_turns() -> Iterator[None]:
    """While serving, a thread waiting to run is let in after SWITCH_INTERVAL at most;
    the interpreter's own interval again once nothing in the process serves."""
    global _serving, _before
    with _lock:
        if _serving == 0:
            _before = sys.getswitchinterval()
            sys.setswitchinterval(SWITCH_INTERVAL)
        _serving += 1
    try:
        yield
    finally:
        with _lock:
            _serving -= 1
            if _serving == 0:
                sys.setswitchinterval(_before)
