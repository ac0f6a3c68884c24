"""The buffer of read events: a flush returns only once what was recorded before it is in the
audit trail, even while the background flush is appending it."""

from __future__ import annotations

import threading
import time

from accord.stix.timestamps import now_timestamp
from accord.store.audit_buffer import AuditBuffer
from accord.store.audit_log import AuditLog, AuditQuery
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


def test_what_is_appended_is_read_back_field_for_field_and_the_chain_holds(node):
    from accord.trust.audit import verify

    log = AuditLog(node.engine)
    events = [
        # Absent fields, as the node's own command line records them.
        Event("2026-12-02T06:00:00.000001Z", "db.check", None),
        # Every field, with what a COPY must not mangle: quotes, backslashes, tabs, newlines,
        # non-ASCII, an empty detail.
        Event("2026-12-02T06:00:00.000002Z", "objects.read", "identity--a", "token-1",
              "collection-1", ("indicator--1", "indicator--2", "indicator--1"),
              {"versions": ["v1"], "note": 'tab\there "quoted" \\ back\nnew 中文'}),
        Event("2026-12-02T06:00:00.000003Z", "objects.read", "identity--b", None, None, (), {}),
    ]
    before = len(list(log.records()))
    log.append(events)
    log.append(events[1:2])  # a second batch links to the first
    records = list(log.records())[before:]
    assert [r.event for r in records] == [*events, events[1]]
    assert [r.seq for r in records] == list(range(before + 1, before + 5))
    assert verify(log.records()).is_intact
    # Each object named once per record, whatever the event repeated.
    assert sorted(r.seq for r in log.query(AuditQuery(object_id="indicator--1"))) == [
        before + 2, before + 4]
    assert log.index_disagreement() is None
