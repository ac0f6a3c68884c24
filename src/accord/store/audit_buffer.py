"""Read events, gathered in the process and appended to the audit trail in the background,
with the trail's index of objects brought up behind them (store.audit_log)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from accord.store.audit_log import AuditLog
from accord.trust.audit import Event
from accord.trust.empty_reads import EmptyReads

# Batches of the index a round at most, and when the node stops (the rest: the next round, or
# the next node to run).
_BATCHES_A_ROUND = 3
_BATCHES_AT_STOP = 10


# Events kept elsewhere until a flush asks (True: everything now, at shutdown or in tests).
Feed = Callable[[bool], Sequence[Event]]


class AuditBuffer:
    """Read events, gathered and appended in the background every `interval` seconds.

    A read must not wait for, or contend on, the database's write lock; so reads are recorded a
    moment later, in one transaction per batch. Writes are recorded in their own transaction.
    Failed authentications come here too (`accord.serving.refusals`), and their per-source
    summaries through a feed, asked at each flush.
    """

    def __init__(self, log: AuditLog, interval: float = 0.2, index_every: float = 5.0) -> None:
        self.log = log
        self.interval = interval
        # The trail's index of objects is brought up to date this often (AuditLog.index_new).
        self.index_every = index_every
        self._indexed_at = time.monotonic()
        self._pending: list[Event] = []
        self._lock = threading.Lock()
        # One flush at a time: a flush that returns has appended everything recorded before
        # it, even what the background thread had taken and was still appending.
        self._flushing = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._feeds: list[Feed] = []
        self.empty = EmptyReads()
        self.feed_from(self.empty.summaries)

    def feed_from(self, feed: Feed) -> None:
        self._feeds.append(feed)

    def record(self, event: Event) -> None:
        with self._lock:
            self._pending.append(event)

    def record_empty(self, event: Event) -> None:
        """Record a poll that found nothing: counted, and summed on the trail once a minute
        (accord.trust.empty_reads)."""
        if not self.empty.count(event):
            self.record(event)

    def flush(self, everything: bool = True) -> None:
        """Append what is pending, and with `everything` what the feeds still hold too; when it
        returns, every event recorded before the call is in the trail (a flush running in the
        background meanwhile is waited for)."""
        with self._flushing:
            self._flush(everything)

    def _flush(self, everything: bool) -> None:
        with self._lock:
            events, self._pending = self._pending, []
        for feed in self._feeds:
            events += feed(everything)
        if not events:
            return
        try:
            self.log.append(events)
        except Exception:
            with self._lock:  # nothing is lost: the next flush tries these again, first
                self._pending[:0] = events
            raise

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="audit-flush", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        try:
            self.flush()
        except Exception as error:  # the node stops all the same; say what is lost
            _failed_flush(error, f"{len(self._pending)} read event(s) could not be recorded "
                                 "in the audit trail before the node stopped")
            return
        try:
            # Bounded: what is left is indexed by the next node to run, or the next search.
            self.log.index_new(most_batches=_BATCHES_AT_STOP)
        except Exception as error:
            _failed_flush(error, "indexing the audit trail by object")

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait(self.interval)
            try:
                self.flush(everything=False)
            except Exception as error:  # keep recording; the next flush retries what it can
                _failed_flush(error, "recording read events in the audit trail")
                continue
            if time.monotonic() - self._indexed_at >= self.index_every:
                try:
                    # A backlog (a node that ran without indexing, a large import) a few
                    # batches a round, the reads' flush in between.
                    _, more = self.log.index_round(most_batches=_BATCHES_A_ROUND)
                    if more:
                        continue  # a backlog: its next batches at the next flush
                except Exception as error:  # the next round goes on from the same mark
                    _failed_flush(error, "indexing the audit trail by object")
                self._indexed_at = time.monotonic()


def _failed_flush(error: Exception, what: str) -> None:
    """A full disk or a database away is one line now and then (store.faults), not a
    traceback every interval; anything else is logged whole."""
    from accord.store.faults import noted

    if noted(error, what) is None:
        import logging

        logging.getLogger("accord.audit").error("%s failed", what, exc_info=error)
