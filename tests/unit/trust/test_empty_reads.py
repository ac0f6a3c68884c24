"""Polls that find nothing are counted and put on the trail once a period, per reader, token,
collection and kind of read; reads that return something are never summed."""

from __future__ import annotations

from accord.store.audit_buffer import AuditBuffer
from accord.trust import empty_reads
from accord.trust.audit import Event
from accord.trust.empty_reads import EmptyReads


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def poll(party: str = "identity--a", collection: str = "c1",
         action: str = "objects.read") -> Event:
    return Event("2026-01-01T00:00:00.000000Z", action, party, "token-1", collection)


def test_polls_are_summed_per_reader_and_collection_once_a_period():
    clock, wall = Clock(), Clock()
    wall.now = 1_767_225_600.0  # 2026-01-01T00:00:00Z
    reads = EmptyReads(60, clock=clock, wall=wall)
    assert not reads.count(poll())  # the first of its key: recorded alone, at once
    for _ in range(12):
        wall.now += 5
        assert reads.count(poll())
    assert not reads.count(poll(collection="c2"))
    assert reads.count(poll(collection="c2"))
    assert not reads.count(poll(action="manifest.read"))  # one alone: nothing to sum
    assert reads.summaries(everything=False) == []  # not a minute yet
    clock.now += 60
    summaries = {(e.action, e.collection_id): e for e in reads.summaries(everything=False)}
    assert set(summaries) == {("objects.read", "c1"), ("objects.read", "c2")}
    first = summaries[("objects.read", "c1")]
    assert first.party_id == "identity--a" and first.token_id == "token-1"
    assert first.object_ids == ()
    assert first.detail == {"empty_reads": 12, "first": "2026-01-01T00:00:05.000000Z",
                            "last": "2026-01-01T00:01:00.000000Z"}
    assert first.at == first.detail["last"]
    assert reads.summaries(everything=True) == []  # each poll is summed once
    assert not reads.count(poll())  # a new period: its first alone again


def test_past_the_most_tallies_a_poll_is_recorded_alone(monkeypatch):
    monkeypatch.setattr(empty_reads, "MOST_TALLIES", 2)
    reads = EmptyReads()
    assert not reads.count(poll("identity--a")) and not reads.count(poll("identity--b"))
    assert reads.count(poll("identity--a"))  # a key it holds is counted
    assert not reads.count(poll("identity--c")) and not reads.count(poll("identity--c"))


class Log:
    def __init__(self) -> None:
        self.appended: list[Event] = []

    def append(self, events: list[Event]) -> None:
        self.appended.extend(events)


def test_the_buffer_sums_empty_reads_and_keeps_every_other_read_alone():
    log = Log()
    buffer = AuditBuffer(log)  # type: ignore[arg-type]
    for _ in range(4):
        buffer.record_empty(poll())
    served = Event("2026-01-01T00:00:00.000000Z", "objects.read", "identity--a", "token-1",
                   "c1", ("indicator--1",), {"versions": ["2026-01-01T00:00:00.000Z"]})
    buffer.record(served)
    buffer.flush(everything=False)
    assert log.appended == [poll(), served]  # the first poll alone; the rest wait
    buffer.flush()  # everything: at shutdown, the polls' summary too
    assert log.appended[2].detail["empty_reads"] == 3 and len(log.appended) == 3
