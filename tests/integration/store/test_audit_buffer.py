"""The buffer of read events: a flush returns only once what was recorded before it is in the
audit trail, even while the background flush is appending it."""

from __future__ import annotations

import threading
import time

from accord.stix.timestamps import now_timestamp
from accord.store.audit_log import AuditBuffer, AuditLog, AuditQuery
from accord.trust.audit import Event


def test_a_flush_waits_for_the_one_under_way(node):
    log = AuditLog(node.engine)
    buffer = AuditBuffer(log)
    appending, slowly = threading.Event(), log.append

    def slow_append(events):  # type: ignore[no-untyped-def]
        appending.set()
        time.sleep(0.5)  # the background flush has taken the events, not yet stored them
        slowly(events)

    log.append = slow_append  # type: ignore[method-assign]
    buffer.record(Event(now_timestamp(), "objects.read", None, None, None, ("indicator--x",)))
    background = threading.Thread(target=buffer.flush)
    background.start()
    appending.wait(5)
    buffer.flush()
    assert [r.event.action for r in log.query(AuditQuery(action="objects.read"))] == \
        ["objects.read"]
    background.join()
