"""Pages a PostgreSQL node's serving process read a moment ago, answered again from memory
until anything they were read from changes.

On PostgreSQL every TAXII read costs a round trip to the database even when its page is one
the process has just sent (store.body_cache spares the bodies' bytes, not the trip): a read of
one object by id 345 µs of the server's time in process against SQLite's 183, `match[type]`
1,390 against 853 (bench/README.md, "Pages remembered"). Remembering the page itself spares
the trip, and is safe only if the process learns of every change before it answers again:

- **What a page is a function of**: the collection, the query as the client asked it (its
  filters, its cursor, its `Reader`: the party and the collection's default TLP, so one
  party's page is never another's), the object asked for, whether it is a poll; and the rows
  of three tables: `objects`, `recipients` (who a marked version is shared with) and
  `walk_marks` (where a poll's walk stopped). Nothing else the page's statements read, and no
  clock (the walk's bound only decides where a valid page may stop early).
- **Changes made anywhere** (another host, the command line, psql): a statement-level trigger
  on each of the three tables (migration 0043) sends `NOTIFY accord_changed` with the table's
  schema, delivered when its transaction commits; this process LISTENs on a connection of its
  own (`ChangeListener`) and forgets every page at each one.
- **Changes made here**: every statement that writes one of the three tables marks its
  connection, and its commit forgets every page, before the commit and again after it returns
  (`watch_writes`, store.engine.writing): a client reads what it just wrote, whichever
  process's notification comes first.
- **The listener's word is fresh or not taken**: it confirms the connection every `BEAT`
  seconds with a statement, after which every notification committed before that statement
  began has been handled; a page is answered from memory only within `HELD_FOR` seconds of
  the last confirmation. A listener cut off, stalled or never connected turns the memory off
  (every read goes to the database) until it listens again, and reconnecting forgets
  everything. So a change made elsewhere reaches this process's readers within the time a
  notification takes (milliseconds), and in no case later than `HELD_FOR`, as a token revoked
  elsewhere does (store.recent_tokens). And while bytes wait on its socket that its thread has
  not read, nothing is answered from memory: a change another host committed a moment before
  may be among them.

A page read while anything changed is not kept: its generation (the count of changes the
process knew of when the read began) is no longer the current one.

Only where the notifications reach this process: not behind a pooler in transaction mode
(`?pgbouncer=true`: LISTEN stays with whichever server connection ran it) and not with a read
replica (a standby sends no notifications, and a page read from it may predate the change
that was notified); SQLite reads its pages in process. There the memory is off.
"""

from __future__ import annotations

import logging
import re
import select
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import SQLAlchemyError

from accord.store.query import Page

log = logging.getLogger("accord")

# The tables a page is read from: migration 0043 puts its trigger on each (a test holds the
# two in step).
WATCHED = frozenset({"objects", "recipients", "walk_marks"})
CHANNEL = "accord_changed"
TRIGGER_PREFIX = "accord_changed_"

# The listener confirms its connection this often, and its last confirmation holds this
# long: the bound on how late a change made elsewhere can be seen here, were every
# notification lost.
BEAT = 0.2
HELD_FOR = 1.0
# Per serving process. ATT&CK Enterprise whole, in pages of 1,000, is 38 MiB; a node with
# several processes holds this much in each.
BUDGET_BYTES = 64 * 2**20
# A page larger than this share of the budget is not kept: one would push out hundreds.
LARGEST_SHARE = 8
# What a version in a kept page costs beside its body (the named tuple, its strings).
VERSION_BYTES = 400


class Changes:
    """The changes this process knows of, counted: a page read while the count moved may be
    older than what is there now."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def bump(self) -> None:
        with self._lock:
            self.count += 1


# One per process: a write through any engine, and a notification to any listener, forgets the
# pages of every memo here (of any node the process holds: a test's several, say).
CHANGES = Changes()


class PageMemo:
    """The pages kept (see the module): at most `budget` bytes, the least recently asked
    forgotten first, and all of them at every change."""

    def __init__(self, budget: int = BUDGET_BYTES, changes: Changes = CHANGES) -> None:
        self._budget = budget
        self._largest = budget // LARGEST_SHARE
        self._changes = changes
        self._lock = threading.Lock()
        self._pages: OrderedDict[Hashable, tuple[Page, int]] = OrderedDict()
        self._bytes = 0
        self._generation = -1  # of the pages held
        # Set by the listener at each confirmation (time.monotonic()); 0: not listening.
        self.live_until = 0.0
        # The listener's socket while it listens: readable, a notification may be waiting
        # there that the listener's thread has not handled yet.
        self.heard_on: int | None = None
        self.confirming = False

    def generation(self) -> int | None:
        """The changes known now, or None where the listener's word is not fresh: nothing is
        answered from memory, and nothing read now is kept."""
        if time.monotonic() >= self.live_until or self._unheard():
            return None
        return self._changes.count

    def _unheard(self) -> bool:
        """Whether bytes wait on the listener's socket: a change another host committed just
        before this read may be among them (its notification reaches the socket before the
        writer's client has its answer, mostly; the listener's thread may not have run yet).
        A syscall, microseconds: the read goes to the database rather than race it."""
        socket = self.heard_on
        if socket is None or self.confirming:
            # While the listener confirms, what comes is mostly its own answer; a
            # notification among it is handled as soon as the answer is read.
            return False
        try:
            return bool(select.select([socket], [], [], 0)[0])
        except (OSError, ValueError):  # closed as the listener reconnects
            return True

    def get(self, key: Hashable) -> tuple[Page | None, int | None]:
        """The page kept for `key` if nothing changed since it was read, and the generation a
        read made now is to be kept with (`put`)."""
        generation = self.generation()
        if generation is None:
            return None, None
        with self._lock:
            if generation != self._generation:
                self._forget(generation)
                return None, generation
            found = self._pages.get(key)
            if found is None:
                return None, generation
            self._pages.move_to_end(key)
        return _own(found[0]), generation

    def put(self, key: Hashable, page: Page, generation: int | None) -> None:
        """Keep `page`, read for `key` from a read that began at `generation` (`get`), unless
        anything changed since."""
        if generation is None:
            return
        size = sum(len(v.body) for v in page.items) + VERSION_BYTES * (len(page.items) + 1)
        if size > self._largest:
            return
        with self._lock:
            if generation != self._changes.count or time.monotonic() >= self.live_until:
                return
            if generation != self._generation:
                self._forget(generation)
            before = self._pages.pop(key, None)
            if before is not None:
                self._bytes -= before[1]
            self._pages[key] = (_own(page), size)
            self._bytes += size
            while self._bytes > self._budget:
                _, (_, dropped) = self._pages.popitem(last=False)
                self._bytes -= dropped

    def _forget(self, generation: int) -> None:
        self._pages = OrderedDict()
        self._bytes = 0
        self._generation = generation

    def __len__(self) -> int:
        return len(self._pages)

    @property
    def held_bytes(self) -> int:
        return self._bytes


def _own(page: Page) -> Page:
    """A page with a list of its own: nobody's use of the list it was given or kept with can
    change another's."""
    return replace(page, items=list(page.items))


# -- changes made in this process ------------------------------------------------------------

_WROTE = "accord_wrote_pages"
_COMMITTED = "accord_committed_pages"
# Statements that write nothing. Anything else not matched below (a CTE that writes, DDL) is
# taken to write a watched table: forgetting too much costs a read, too little a stale page.
_READS = re.compile(r"\s*(?:SELECT|SET|SHOW|BEGIN|START|SAVEPOINT|RELEASE|ROLLBACK|COMMIT|"
                    r"LISTEN|EXPLAIN|ANALYZE|VALUES)\b", re.IGNORECASE)
_WRITES = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|COPY|TRUNCATE(?:\s+TABLE)?'
                     r'(?:\s+ONLY)?)\s+(?:"?\w+"?\.)?"?(\w+)', re.IGNORECASE)


def writes_pages(statement: str) -> bool:
    """Whether `statement` may change what a page reads."""
    if _READS.match(statement):
        return False
    written = _WRITES.match(statement)
    return written is None or written.group(1).lower() in WATCHED


def _info(conn: Connection) -> dict[Any, Any] | None:
    """The driver connection's info where it is still there: a connection the database
    dropped (invalidated) has none, and asking would raise in place of the database's error
    that the rollback is handling (answered 503: serving.errors), making it a 500."""
    if conn.invalidated or conn.closed:
        return None
    try:
        return conn.info
    except SQLAlchemyError:
        return None


def note_written(conn: Connection, table: str) -> None:
    """`conn` wrote `table` past SQLAlchemy (a COPY through the driver): as `watch_writes`
    notes a statement."""
    info = _info(conn)
    if table in WATCHED and info is not None:
        info[_WROTE] = True


def watch_writes(engine: Engine) -> None:
    """Forget every page kept in this process when a transaction of `engine` that wrote a
    watched table commits (before the commit; store.engine.writing again after)."""
    event.listen(engine, "before_cursor_execute", _noted)
    event.listen(engine, "commit", _committing)
    event.listen(engine, "rollback", _rolled_back)


def committed(conn: Connection) -> None:
    """`conn`'s transaction has committed: if it wrote a watched table, forget again (a read
    that began between the forgetting before the commit and the commit read the rows before
    it, and must not be answered after it)."""
    info = _info(conn)
    if info is not None and info.pop(_COMMITTED, False):
        CHANGES.bump()


def _noted(conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
    info = _info(conn)
    if info is not None and _WROTE not in info and writes_pages(statement):
        info[_WROTE] = True


def _committing(conn: Connection) -> None:
    info = _info(conn)
    if info is None:
        CHANGES.bump()  # what it wrote is not known: forget, as if it had
    elif info.pop(_WROTE, False):
        CHANGES.bump()
        info[_COMMITTED] = True


def _rolled_back(conn: Connection) -> None:
    # Nothing it wrote stands. (Dropped by the database, the driver connection and its
    # flags go with it.)
    info = _info(conn)
    if info is not None:
        info.pop(_WROTE, None)
        info.pop(_COMMITTED, None)


# -- changes made elsewhere ------------------------------------------------------------------

_TRIGGERS = ("SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
             "WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal "
             "AND t.tgenabled <> 'D' AND t.tgname = ANY(%s)")


# The listener's connection: its own name in pg_stat_activity, and a peer gone silent (a host
# or a network cut without a reset) noticed in seconds, not at the kernel's two hours, so that
# it connects again rather than wait for ever with the memory off.
_LISTENING = {"autocommit": True, "connect_timeout": 3, "application_name": "accord-changes",
              "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
              "keepalives_count": 3, "tcp_user_timeout": 10_000}


class ChangeListener:
    """A thread with a connection of its own that LISTENs for the node's changes and keeps
    `memo` live while its word is fresh (see the module)."""

    def __init__(self, engine: Engine, memo: PageMemo) -> None:
        self.engine = engine
        self.memo = memo
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._warned = False
        self.backend_pid: int | None = None  # of its connection, while it has one

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="accord-page-memo",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self.memo.live_until = 0.0
        if self._thread is not None:
            self._thread.join(timeout=BEAT * 5)

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                self._listen()
            except Exception as error:  # noqa: BLE001 - any failure: off until listening again
                if not self._warned:
                    log.warning("pages are read from the database each time until the change "
                                "listener connects again: %s", error)
                    self._warned = True
            # (Off already: _listen's own end says so, and its next start forgets all.)
            self._stopped.wait(1.0)

    def _listen(self) -> None:
        cargs, cparams = self.engine.dialect.create_connect_args(self.engine.url)
        with self.engine.dialect.loaded_dbapi.connect(*cargs, **{**cparams, **_LISTENING}) as conn:
            self.backend_pid = conn.info.backend_pid
            schema = conn.execute("SELECT current_schema()").fetchone()[0]
            names = [TRIGGER_PREFIX + table for table in sorted(WATCHED)]
            if conn.execute(_TRIGGERS, (names,)).fetchone()[0] != len(names):
                # Without them, a change made elsewhere is never heard of: never live.
                log.warning("the triggers that announce changes (%s) are not all in schema "
                            "%s: pages are read from the database each time (`accord db "
                            "check` says what is missing)", ", ".join(names), schema)
                self._stopped.wait(60.0)
                return

            conn.execute(f"LISTEN {CHANNEL}")
            CHANGES.bump()  # whatever changed while nobody here listened
            if self._warned:
                log.warning("the change listener is connected again: pages are remembered")
                self._warned = False
            self.memo.heard_on = conn.fileno()
            try:
                while not self._stopped.is_set():
                    began = time.monotonic()
                    # By its end, every notification committed before it began has come (kept
                    # by the driver until asked for, just below).
                    self.memo.confirming = True  # its answer on the socket is not news
                    try:
                        conn.execute("SELECT 1")
                        self._heard(conn.notifies(timeout=0), schema)
                    finally:
                        self.memo.confirming = False
                    self.memo.live_until = began + HELD_FOR
                    # Until the next confirmation: each notification as it comes.
                    self._heard(conn.notifies(timeout=BEAT), schema)
            finally:
                # Off before the socket closes (its number may then be another's).
                self.memo.live_until = 0.0
                self.memo.heard_on = None

    def _heard(self, notifies: Iterable[Any], schema: str) -> None:
        for notify in notifies:
            if notify.payload == schema:
                CHANGES.bump()
            if self._stopped.is_set():
                return


def remember_pages(engine: Engine, *, pooled: bool, replica: bool) -> ChangeListener | None:
    """The listener of a serving process whose reads may remember pages (started), or None
    where they may not (see the module)."""
    if engine.dialect.name != "postgresql" or pooled or replica:
        return None
    listener = ChangeListener(engine, PageMemo())
    listener.start()
    return listener
