"""The review as a node runs it: the figures of each request counted in the period, read
from where the store keeps them beside the request summaries (store.review_reads), tallied
into the review (cooperation.review).

The figures are derived from the node's view of each ledger. A party sees that view when every
entry is addressed to it, as the desk marks them; a request a party sees only in part (an entry
marked beyond it, say) has its ledger read and derived here as that party sees it. So do all of
them on a database whose figures are not derived yet (summarised before migration 0020):
half in a forked process on the second core, since deriving 100,000 ledgers is CPU work.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime

from sqlalchemy import Engine

from accord.cooperation.desk import Actor, Desk
from accord.cooperation.ledger import derive
from accord.cooperation.review import Review, Tallies, counted, finish, merge, tally
from accord.store.review_reads import ReviewReads

_FEW = 2000  # requests read by id; more are picked out of one pass over the ledger
_CHUNK = 500  # request ids a statement


# A review reads every request of its period, and may fork a second process: one party asking
# for many at once (a token in a loop) would hold every worker of the server and fork it again
# and again. One review of a party at a time, and a few of all parties, in each process.
MOST_AT_ONCE = 3
RETRY_AFTER = 5  # seconds a refused caller is told to wait


class ReviewBusy(Exception):
    """A review of this party (or as many as a process makes at once) is being made now."""


_running: Counter[str | None] = Counter()
_running_lock = threading.Lock()


@contextlib.contextmanager
def _turn(party: str | None) -> Iterator[None]:
    with _running_lock:
        if _running[party] or sum(_running.values()) >= MOST_AT_ONCE:
            raise ReviewBusy("a review for this party is being made already; ask again in "
                             f"{RETRY_AFTER} seconds")
        _running[party] += 1
    try:
        yield
    finally:
        with _running_lock:
            _running[party] -= 1
            if not _running[party]:
                del _running[party]


def review_ledgers(desk: Desk, start: datetime, end: datetime, *, names: Mapping[str, str],
                   actor: Actor | None = None, pair: tuple[str, str] | None = None) -> Review:
    """The review of [start, end) over the ledgers `actor` may see (None: all), or only those
    between the two parties of `pair`. Raises ReviewBusy while another review of the same
    party is being made in this process (or MOST_AT_ONCE of any)."""
    with _turn(None if actor is None else actor.party.id):
        return _review(desk, start, end, names=names, actor=actor, pair=pair)


def _review(desk: Desk, start: datetime, end: datetime, *, names: Mapping[str, str],
            actor: Actor | None, pair: tuple[str, str] | None) -> Review:
    now = desk.clock()
    reads = ReviewReads(desk.node.engine)
    if not reads.is_derived():
        tallies = _from_ledgers(desk, start, end, now, actor, pair, None)
        return finish(tallies, start=start, end=end, now=now, names=names)
    party = None if actor is None else actor.party.id
    tallies = tally(reads.counted(start, end, party=party, pair=pair), start=start, end=end,
                    now=now)
    if party is not None:
        partial = reads.seen_in_part(party)
        if partial:
            # Whichever they are counted by in the party's view, they are among these.
            partial &= desk.received_between(start, end)
        if partial:
            merge(tallies, _from_ledgers(desk, start, end, now, actor, pair, partial))
    return finish(tallies, start=start, end=end, now=now, names=names)


def _from_ledgers(desk: Desk, start: datetime, end: datetime, now: datetime,
                  actor: Actor | None, pair: tuple[str, str] | None,
                  among: set[str] | None) -> Tallies:
    """The tallies of the ledgers `actor` may see (None: all), derived here: of those among
    `among` (None: every request of the period)."""
    wanted = desk.received_between(start, end) if among is None else among

    def tallied(half: int | None) -> Tallies:
        if len(wanted) <= _FEW:
            ids = sorted(wanted)
            ledgers = [found for at in range(0, len(ids), _CHUNK)
                       for found in desk.ledgers(actor, ids[at:at + _CHUNK], whole=False)]
        else:
            ledgers = desk.ledgers(actor, whole=False, half=half, among=wanted)
        if pair is not None:
            ledgers = [ledger for ledger in ledgers
                       if {ledger.request.requester, ledger.request.addressee} == set(pair)]
        return tally((counted(derive(ledger, now)) for ledger in ledgers), start=start,
                     end=end, now=now)

    if len(wanted) > _FEW and hasattr(os, "fork"):
        return _in_two(tallied, desk.node.engine)
    return tallied(None)


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
