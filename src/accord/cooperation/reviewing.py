"""The review as a node runs it: the period's ledgers read from the store, derived and
tallied — half of them in a forked process on the second core, since reading 100,000 requests
is CPU work for Python — then the figures (cooperation.review)."""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import time
from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy import Engine

from accord.cooperation.desk import Actor, Desk
from accord.cooperation.ledger import derive
from accord.cooperation.review import Review, Tallies, finish, merge, tally


def review_ledgers(desk: Desk, start: datetime, end: datetime, *, names: Mapping[str, str],
                   actor: Actor | None = None, pair: tuple[str, str] | None = None) -> Review:
    """The review of [start, end) over the ledgers `actor` may see (None: all), or only those
    between the two parties of `pair`."""
    now = desk.clock()
    counted = desk.received_between(start, end)

    def tallied(half: int | None) -> Tallies:
        ledgers = desk.ledgers(actor, whole=False, half=half, among=counted)
        if pair is not None:
            ledgers = [ledger for ledger in ledgers
                       if {ledger.request.requester, ledger.request.addressee} == set(pair)]
        return tally((derive(ledger, now) for ledger in ledgers), start=start, end=end, now=now)

    tallies = _in_two(tallied, desk.node.engine) if hasattr(os, "fork") else tallied(None)
    return finish(tallies, start=start, end=end, now=now, names=names)


def _in_two(work: Callable[[int | None], Tallies], engine: Engine) -> Tallies:
    """work(1) in a forked child, work(0) here; the child's tallies come back pickled. If
    the child fails, its half is done here: slower, the same figures."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the forked process
        status = 0
        try:
            os.close(read_end)
            engine.dispose(close=False)  # the parent's connections are not the child's
            with os.fdopen(write_end, "wb") as out:
                pickle.dump(work(1), out, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)
    try:
        started = time.monotonic()
        mine = work(0)
        # A child forked from a process with threads can hang on a lock another thread held at
        # the fork: it gets as long again as this half took (and 30 s at least), then its half
        # is done here.
        patience = max(_PATIENCE, 2 * (time.monotonic() - started))
        with os.fdopen(read_end, "rb") as theirs:
            ready, _, _ = select.select([theirs], [], [], patience)
            try:
                if not ready:
                    raise TimeoutError
                other: Tallies = pickle.load(theirs)
            except (EOFError, pickle.UnpicklingError, TimeoutError):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
                other = work(1)
    finally:
        os.waitpid(child, 0)
    return merge(mine, other)


_PATIENCE = 30.0  # seconds the forked half may take beyond the parent's own
