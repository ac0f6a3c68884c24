"""Moving STIX in and out of a node: import and export."""

from __future__ import annotations

import gzip
import io
import signal
import sys
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Annotated, Any, BinaryIO, cast

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy.exc import DBAPIError

from accord.cli.common import (
    DEFAULT_DB,
    Db,
    app,
    err,
    fail,
    opened,
    report_arrivals,
    split_names,
    typed_instant,
    user_errors,
)
from accord.export import Export, Tally, exportable
from accord.intake import Rejection, store
from accord.memory import collected_per_step
from accord.node import Node
from accord.stix.bundle import MalformedJsonError, NotStixError, write_bundle
from accord.stix.bundle_stream import Batch, batches_in
from accord.stix.properties import is_type_name
from accord.stix.timestamps import format_timestamp, is_timestamp, microsecond_key
from accord.store.directory import Collection
from accord.store.faults import Fault, storage_fault
from accord.store.objects import version_of
from accord.store.query import ALL, LAST, ObjectQuery
from accord.validator_process import screen_ahead
from accord.whole_files import written_whole
from accord.words import how_many

BATCH = 5000
FIRST_BATCH = 1000  # small, so that storing starts while the rest is still being validated
BATCH_BYTES = 4 << 20  # and no batch of large objects holds more JSON than this
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, slots=True)
class _Source:
    name: str
    path: Path | None  # None: standard input
    size: int | None  # None: a stream (standard input, a named pipe, <(zcat feed.json.gz))


class _OutOfMemory(Exception):
    """A source could not be read for want of memory (a value of tens of MB in a bundle)."""

    def __init__(self, name: str, read: int) -> None:
        super().__init__(name)
        self.name, self.read = name, read


def _sources(paths: list[str]) -> list[_Source]:
    found: list[_Source] = []
    for name in paths:
        path = Path(name)
        if name == "-":
            found.append(_Source("stdin", None, None))
        elif path.is_dir():
            # Files only: a named pipe in a folder could keep the import waiting for ever.
            entries = [child for child in sorted(path.rglob("*")) if not child.is_dir()]
            taken = [f for f in entries
                     if f.is_file() and f.name.endswith((".json", ".json.gz"))]
            if not taken:
                raise fail(f"{name}: no .json or .json.gz file in it (nor in its folders)")
            if len(taken) < len(entries):
                err.print(f"[yellow]note[/] {escape(name)}: "
                          f"{how_many(len(entries) - len(taken), 'file')} left out, not .json "
                          "or .json.gz files")
            found += [_Source(str(child), child, child.stat().st_size) for child in taken]
        elif path.is_file():
            found.append(_Source(str(path), path, path.stat().st_size))
        elif path.exists():  # a named pipe, a process substitution, a device: read as a stream
            found.append(_Source(str(path), path, None))
        else:
            raise fail(f"{name}: no such file or directory")
    return found


@contextmanager
def _opened(source: _Source) -> Iterator[tuple[io.BufferedReader, BinaryIO]]:
    """The source as it is (for how far it has been read) and as JSON (gunzipped if need be)."""
    handle = cast(io.BufferedReader, sys.stdin.buffer if source.path is None
                  else source.path.open("rb"))
    try:
        is_gzip = handle.peek(len(GZIP_MAGIC))[:len(GZIP_MAGIC)] == GZIP_MAGIC
        yield handle, (cast(BinaryIO, gzip.GzipFile(fileobj=handle)) if is_gzip else handle)
    finally:
        if source.path is not None:
            handle.close()


def _target(node: Node, collection: str | None) -> Collection:
    if collection:
        return node.directory.collection(collection)
    # The requests collection holds ledgers, not evidence: never the default.
    known = [c for c in node.directory.all_collections() if c.alias != "requests"]
    if len(known) == 1:
        return known[0]
    raise fail("this node has several collections: name one with --collection "
               f"({', '.join(c.alias or c.title for c in known)})")


_CANNOT = {Fault.UNWRITABLE: "cannot take more: its disk is full or failing",
           Fault.UNREACHABLE: "cannot be reached"}


@app.command("import")
def import_(
    paths: Annotated[list[str], typer.Argument(help="Files, directories or - for stdin; "
                                                    ".json or .json.gz.")],
    collection: Annotated[str | None, typer.Option(help="Collection id, alias or title.")] = None,
    db: Db = DEFAULT_DB,
) -> None:
    """Validate and store STIX 2.1 objects; lists each rejected object and why.

    Files of any size are read as they are stored, a batch at a time. Each refused object is
    named by its file, its place among the file's objects and its id ("feed.json objects[17]
    (indicator--…)"). A file that stops being valid JSON (or UTF-8) is reported with the byte
    where it does: the objects before that point are read (stored or rejected), none after
    it, and the other files are still read.
    """
    with opened(db) as node, user_errors(), collected_per_step() as collect_cycles:
        target = _target(node, collection)
        sources = _sources(paths)
        sizes = [s.size for s in sources]
        unreadable: list[str] = []
        added = unchanged = rejected = 0
        held: list[str] = []  # ids another party's object holds here (a batch's)
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
                      TimeElapsedColumn(), console=err, transient=False) as progress:
            task = progress.add_task(f"Importing into {escape(target.title)}",
                                     total=None if None in sizes else sum(cast(list[int], sizes)))
            given: deque[tuple[str, Batch]] = deque()  # batches screened, not yet stored
            batches = _batches(sources, unreadable, lambda n: progress.advance(task, n), given)
            try:
                for screened in screen_ahead(batches):
                    name, batch = given.popleft()  # screen_ahead keeps the batches' order
                    # The objects screened are the batch's own (signed ones are copies).
                    at = {id(obj): n for n, obj in enumerate(batch.objects)}
                    # A Ctrl-C waits for the batch being stored and counted: come between its
                    # commit and its count, it said fewer stored than were.
                    with _uninterrupted():
                        done = store(node.engine, target, screened, party_id=node.party.id,
                                     operator=True, position_of=partial(_place, at))
                        added += len(done.added)
                        unchanged += len(done.unchanged)
                        rejected += len(done.rejected)
                    # Printed as they come: a file of any size leaves no list of them behind.
                    places = (_places(batch) if any(r.position is None for r in done.rejected)
                              else {})
                    for rejection in done.rejected:
                        where = _where(name, batch, rejection, places)
                        err.print(f"[red]rejected[/] {escape(where)}: "
                                  f"{escape(rejection.message)}")
                    for note in (o for o in done.added if o.message):  # e.g. over-broad network
                        err.print(f"[yellow]note[/] {escape(note.id)}: {escape(note.message)}")
                    if not held:
                        held = [r.id for r in done.rejected if r.held and r.id] \
                            + [o.id for o in done.added if o.held]
                    del done, screened, batch  # garbage now, and the batch's objects
                    collect_cycles()
            except KeyboardInterrupt:
                progress.stop()
                _say_unreadable(unreadable)
                err.print(f"interrupted: {added} accepted, {unchanged} unchanged, {rejected} "
                          "rejected before it, stored (a batch being stored when it came was "
                          "stored first). Run the same import again to go on: what is stored "
                          "already counts as unchanged.")
                raise typer.Exit(130) from None
            except (_OutOfMemory, MemoryError) as error:
                _say_unreadable(unreadable)  # the files before, as the summary would
                where = "storing a batch" if not isinstance(error, _OutOfMemory) else (
                    f"reading {error.name}" + (f" past its first {how_many(error.read, 'object')}"
                                               if error.read else ""))
                raise fail(f"the import stopped: not enough memory while {where} (an object "
                           "larger than this machine can hold at once, or too little memory "
                           f"left). The {how_many(added, 'object')} accepted before are "
                           "stored; nothing of the batch being read or stored is, nor anything "
                           "after it.") from None
            except DBAPIError as error:
                fault = storage_fault(error)
                if fault is None:
                    raise
                # Each batch is stored in one transaction: those before are whole, this one
                # is not there at all, and a second run takes up where this one stopped.
                cannot = ("cannot be written: its file or folder is read-only for this user"
                          if fault.is_read_only else _CANNOT[fault.kind])
                raise fail(f"the import stopped: the database {cannot} "
                           f"({fault.reason}). The {how_many(added, 'object')} accepted before are "
                           "stored; nothing of the batch being stored is. Run the same import "
                           "again once it is fixed: what is stored already counts as "
                           "unchanged.") from None
        _say_unreadable(unreadable)
        err.print(f"{added} accepted, {unchanged} unchanged, {rejected} rejected"
                  + (f", {how_many(len(unreadable), 'unreadable file')}" if unreadable else "")
                  + f" — collection {escape(target.title)} ({target.id})")
        if held:
            err.print("Another party's object holds an id this import brings (named above). "
                      "If theirs is not the real one, remove it, then import again: accord "
                      f"collection remove-object {escape(target.alias or target.id)} "
                      f"{escape(held[0])} --reason '…' (and so for each id named above).")
        report_arrivals(node)
        if rejected or unreadable:
            raise typer.Exit(1)


def _where(name: str, batch: Batch, rejection: Rejection,
           places: dict[tuple[str, str | None], int]) -> str:
    """Where a refused object is: its file, its place among the file's objects, its id
    ("enterprise.json objects[17] (indicator--…)"). One refused when stored is found by its
    id and version in `places` (`_places` of the batch)."""
    position = rejection.position
    if position is None and rejection.id is not None:
        position = places.get((rejection.id, rejection.version),
                              places.get((rejection.id, None)))
    place = "" if position is None else f" objects[{batch.first + position}]"
    return f"{name}{place} ({rejection.id or 'no id'})"


def _say_unreadable(unreadable: list[str]) -> None:
    for line in unreadable:
        err.print(f"[red]unreadable[/] {escape(line)}")


def _place(at: dict[int, int], obj: dict[str, Any]) -> int | None:
    return at.get(id(obj))


def _places(batch: Batch) -> dict[tuple[str, str | None], int]:
    """Each object's place in the batch by (id, version), and each id's first by (id, None):
    a version with no timestamp of its own (an SCO's) is known by its id only."""
    places: dict[tuple[str, str | None], int] = {}
    for i, obj in enumerate(batch.objects):
        oid = obj.get("id") if isinstance(obj, dict) else None
        if isinstance(oid, str):
            version = version_of(obj)
            if isinstance(version, str):
                places.setdefault((oid, version), i)
            places.setdefault((oid, None), i)
    return places


def _batches(sources: list[_Source], unreadable: list[str], advance: Callable[[int], object],
             given: deque[tuple[str, Batch]]) -> Iterator[Batch]:
    """Every source's objects in batches, each also put on `given` with its source's name;
    what cannot be read is added to `unreadable`, and `advance` is told how many bytes of the
    sources have been read."""
    for source in sources:
        read = 0
        try:
            with _opened(source) as (handle, stream):
                position = 0
                for batch in batches_in(stream, first=FIRST_BATCH, size=BATCH,
                                        max_bytes=BATCH_BYTES):
                    read += len(batch.objects)
                    if source.size is not None:
                        advance(handle.tell() - position)
                        position = handle.tell()
                    else:  # a stream tells no position: its objects' JSON, as read
                        advance(len(batch.raw) - 2)
                    given.append((source.name, batch))
                    yield batch
                advance((source.size or 0) - position)
        except MemoryError:
            raise _OutOfMemory(source.name, read) from None
        except MalformedJsonError as error:
            unreadable.append(f"{source.name}: {error}; " + (
                f"{read} object{'s' if read != 1 else ''} before that point read (stored or "
                "rejected), none after it" if read else "nothing in it was imported"))
        except NotStixError as error:
            unreadable.append(f"{source.name}: {error}")
        except (EOFError, gzip.BadGzipFile, zlib.error) as error:
            unreadable.append(f"{source.name}: not a readable gzip file ({error})"
                              + (f"; its {read} objects before the fault were imported"
                                 if read else ""))
        except OSError as error:
            unreadable.append(f"{source.name}: cannot be read ({error.strerror or error})")


@contextmanager
def _uninterrupted() -> Iterator[None]:
    """SIGINT held back while in the block, delivered (a KeyboardInterrupt) once out of it.
    By a handler of its own, not a mask: a signal masked in this thread is taken by another
    (the progress bar's, the screening's), and Python still raises it in this one, mid-batch,
    so that the count said stored missed the batch stored."""
    came: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: came.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if came:
        raise KeyboardInterrupt


@app.command("export")
def export(
    collection: Annotated[str | None, typer.Option(help="Collection id, alias or title "
                                                        "(default: every collection).")] = None,
    type_: Annotated[str | None, typer.Option("--type", help="Object types, comma-separated.")]
    = None,
    added_after: Annotated[str | None, typer.Option(help=(
        "Only objects added after this time (2016-04-06T20:07:09.000Z; or 2016-04-06, "
        "2016-04-06 20:07 in --tz's zone)."))] = None,
    all_versions: Annotated[bool, typer.Option(help="Every version, not only the latest.")]
    = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write "
                                                "(default: stdout).")] = None,
    for_party: Annotated[str | None, typer.Option(
        "--for", help="Only what may be handed to this other party: TLP:CLEAR and TLP:GREEN "
                      "that it may read, TLP:AMBER whose creator permits forwarding; never "
                      "AMBER+STRICT or RED.")] = None,
    db: Db = DEFAULT_DB,
) -> None:
    """Write a STIX 2.1 bundle of what the node holds (its own view, or --for a party)."""
    if added_after is not None and not is_timestamp(added_after):
        # A date, or a date and time in the zone --tz names, as `audit --since` reads one.
        added_after = format_timestamp(typed_instant("--added-after", added_after))
    types = tuple(split_names(type_))
    for kind in types:
        if not is_type_name(kind):
            raise fail(f"--type {kind!r}: not a STIX type name (lower-case letters, digits and "
                       "single hyphens, such as indicator or attack-pattern)")
    with opened(db) as node, user_errors():
        targets = ([node.directory.collection(collection)] if collection
                   else node.directory.all_collections())
        query = ObjectQuery(
            types=types,
            versions=frozenset({ALL if all_versions else LAST}),
            added_after=microsecond_key(added_after) if added_after else None,
            limit=BATCH,
        )
        recipient = node.directory.party(for_party) if for_party else None
        if recipient is not None:
            # Only newest versions: what travels is decided by the marking an object has now.
            query = replace(query, versions=frozenset({LAST}))
        export_ = Export(node, exportable(node, targets, recipient), query, recipient)
        tally = Tally()
        try:
            if output is None:
                write_bundle(sys.stdout.buffer, export_.bodies(tally))
                sys.stdout.flush()
            else:
                with written_whole(output) as out:
                    write_bundle(out, export_.bodies(tally))
        except OSError as error:
            raise fail(f"cannot write {output or 'to standard output'}: "
                       f"{error.strerror or error}") from None
        err.print(f"{how_many(tally.exported, 'object')} exported"
                  + (f" to {escape(str(output))}" if output else "")
                  + (f"; {tally.withheld} withheld (TLP:AMBER without its creator's "
                     "permission, AMBER+STRICT and RED may not be handed on)"
                     if tally.withheld else ""))
