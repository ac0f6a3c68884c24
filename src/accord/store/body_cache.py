"""Bodies of stored versions that a PostgreSQL node's reads asked for again, held in the
serving process so that PostgreSQL need not send them again.

A page's bodies are most of what a TAXII read costs on PostgreSQL: `match[type]=intrusion-set`
on ATT&CK Enterprise returns 187 versions in 556 KB, and its statement took 0.82 ms (PostgreSQL
0.65 ms of CPU, the serving process 0.39) with the bodies against 0.25 ms (0.17, 0.11)
without (bench/README.md, "match[type] on PostgreSQL"): PostgreSQL copying, sending and the
driver receiving the bytes, not finding the rows.

What the database still decides, every time: which versions the reader sees, in which order,
and what each version's row is now. The statement runs as before; it leaves out the body of a
row whose body the caller says it holds, and returns each row's `xmin` (any UPDATE of a row
makes a new one: `keyring.rewrite_in` signing a body anew, or `is_latest` flipped), which with
the row's date_added is its row version (store.held_bodies says why both). A held body stands
in only for a row whose seq and row version are those it was read with; any other row's body
is read again. So a held body never reaches a reader the database did not hand that row to,
and never an old one.

Which bodies are kept: those of first pages (ObjectStore._select says why), and of those only
the pages asked for more than once: a query's rows (their seqs) are remembered the first time
it is asked, and their bodies kept when it is asked again. A first page asked once (a filter
tried, an export's start) pushes out nothing. SQLite reads its bodies in process, from its
own page cache, and keeps none here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

# Per serving process. 32 MiB holds ATT&CK Enterprise's 100 largest pages of 50 several
# times over; a node with several processes holds this much in each.
BUDGET_BYTES = 32 * 2**20
# A body larger than this share of the budget is not kept: one report of megabytes would
# push out hundreds of the pages asked for often.
LARGEST_SHARE = 16
# What an entry costs beside its body's bytes (the dictionary's node, the Held, the bytes
# object's header, the row version, the seq): counted, so that small bodies do not take the
# process several times the budget.
ENTRY_BYTES = 300
# How many rows' seqs are remembered across the queries asked (a query of a full page: 1,001),
# and how many queries (each a few hundred bytes).
REMEMBERED_ROWS = 200_000
REMEMBERED_QUERIES = 4_096


@dataclass(frozen=True, slots=True)
class Held:
    """A body as it was read, and the row version it was read from (store.held_bodies)."""

    row_version: str
    body: bytes


class BodyCache:
    """Bodies held by seq, least recently used first out, within `budget` bytes; and the seqs
    each query returned last time. Thread-safe: a server's requests run on several threads."""

    def __init__(self, budget: int = BUDGET_BYTES, remembered: int = REMEMBERED_ROWS,
                 queries: int = REMEMBERED_QUERIES) -> None:
        self._budget = budget
        self._largest = budget // LARGEST_SHARE
        self._remembered = remembered
        self._queries = queries
        self._lock = threading.Lock()
        self._bodies: OrderedDict[int, Held] = OrderedDict()
        self._bytes = 0
        self._asked: OrderedDict[Hashable, tuple[int, ...]] = OrderedDict()
        self._asked_rows = 0

    def held_for(self, query: Hashable) -> tuple[dict[int, Held], bool]:
        """The bodies held of the rows `query` returned the last time it was asked, and
        whether it was asked before (the caller passes that to `served`)."""
        with self._lock:
            seqs = self._asked.get(query)
            if seqs is None:
                return {}, False
            self._asked.move_to_end(query)
            held: dict[int, Held] = {}
            bodies = self._bodies
            for seq in seqs:
                found = bodies.get(seq)
                if found is not None:
                    bodies.move_to_end(seq)
                    held[seq] = found
            return held, True

    def served(self, query: Hashable, rows: Iterable[int], read: Mapping[int, Held],
               asked_before: bool) -> None:
        """`query` returned the rows `rows` (seqs, in order), of which `read` were read with
        their bodies now: remember the rows, and keep what was read if the query was asked
        before."""
        seqs = tuple(rows)
        with self._lock:
            self._remember(query, seqs)
            if not asked_before:
                return
            for seq, held in read.items():
                self._keep(seq, held)

    def __len__(self) -> int:
        return len(self._bodies)

    @property
    def held_bytes(self) -> int:
        """What the bodies held cost: their bytes, and ENTRY_BYTES each."""
        return self._bytes

    def _remember(self, query: Hashable, seqs: tuple[int, ...]) -> None:
        before = self._asked.pop(query, None)
        if before is not None:
            self._asked_rows -= len(before)
        if len(seqs) > self._remembered:
            return
        self._asked[query] = seqs
        self._asked_rows += len(seqs)
        # Bounded in queries too: a client asking for endless filters that match nothing
        # would otherwise fill memory with the queries themselves.
        while self._asked_rows > self._remembered or len(self._asked) > self._queries:
            _, dropped = self._asked.popitem(last=False)
            self._asked_rows -= len(dropped)

    def _keep(self, seq: int, held: Held) -> None:
        size = len(held.body) + ENTRY_BYTES
        if size > self._largest:
            return
        before = self._bodies.pop(seq, None)
        if before is not None:
            self._bytes -= len(before.body) + ENTRY_BYTES
        self._bodies[seq] = held
        self._bytes += size
        while self._bytes > self._budget:
            _, dropped = self._bodies.popitem(last=False)
            self._bytes -= len(dropped.body) + ENTRY_BYTES
