"""What every command shares: the Typer app (from accord.cli.root), the --db and --json
options, listings (a table or JSON Lines) and plain-words errors."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError

from accord.cli.root import DEFAULT_ZONE, shown_zone
from accord.cli.root import app as app  # the commands' modules register on it through here
from accord.durations import DurationError
from accord.node import Node, NodeAlreadyInitialised, NodeNotInitialised, open_node
from accord.stix.timestamps import format_timestamp, is_timestamp, now_timestamp, parse_timestamp
from accord.store.backup import private_file
from accord.store.database_checks import NoSuchDatabase, check_sqlite_file
from accord.store.directory import DirectoryError
from accord.store.engine import SCHEMA_REVISION, SchemaTooNew, existing_engine
from accord.store.faults import Fault, storage_fault
from accord.store.urls import DatabaseUrlError, sqlite_file
from accord.trust.audit import Event
from accord.words import printable

# soft_wrap: one message is one line, also when stderr is a pipe read by a script.
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
# Tables are data: they go to stdout, so that `accord token list | grep …` works.
# Piped, they are not cut to 80 columns: ids must come out whole.
out = Console(highlight=False, soft_wrap=True, emoji=False,
              width=None if sys.stdout.isatty() else 250)

DEFAULT_DB = "accord.db"


def shown(value: datetime | str | None) -> str:
    """A time as this run shows it: RFC 3339 in UTC (…Z) by default, with the offset of the
    zone --tz names otherwise (2026-12-02T03:00:00+08:00). Not a time: as it is."""
    if value is None:
        return "—"
    if shown_zone["name"] == DEFAULT_ZONE:
        return value if isinstance(value, str) else format_timestamp(value)
    fraction = ""  # as precise as it came: a version's timestamp is copied into commands
    if isinstance(value, str):
        if not is_timestamp(value):
            return value
        fraction = value[19:-1]  # ".123" of "…T10:00:00.123Z", or ""
        value = parse_timestamp(value)
    elif value.microsecond:
        fraction = f".{value.microsecond:06d}"
    from accord.i18n.zones import zone  # loads the catalogue: only when --tz is not UTC

    try:
        local = value.astimezone(zone(shown_zone["name"])).isoformat(timespec="seconds")
    except OverflowError:  # the year 1 west of UTC, 9999 east of it: said in UTC
        return format_timestamp(value)
    return local[:19] + fraction + local[19:]


Db = Annotated[
    str,
    typer.Option(
        "--db",
        envvar="ACCORD_DB",
        help="Database: a SQLite file path or sqlite:///PATH, or postgresql://USER@HOST/DB.",
        show_default=True,
    ),
]

AsJson = Annotated[bool, typer.Option(
    "--json", help="One JSON object per line, with the table's columns as its fields.")]


def typed_instant(name: str, text: str) -> datetime:
    """A date (its midnight) or a date and time as a person types it (2015-06-04,
    2015-06-04 10:00, 2015-06-04T10:00:00Z), in the zone --tz names (UTC by default) unless it
    carries its own offset: what `shown` prints, read back. `name`: the option, for the
    error."""
    if is_timestamp(text):
        return parse_timestamp(text)
    from accord.i18n.zones import AmbiguousLocalTime, NoSuchLocalTime, instant_in

    where = shown_zone["name"]
    try:
        return instant_in(text, where)
    except (NoSuchLocalTime, AmbiguousLocalTime) as error:
        raise fail(f"{name}: {error}") from None
    except ValueError:
        raise fail(f"{name}: {text!r} is not a date or time such as 2015-06-04, "
                   f"2015-06-04 10:00 (in {where}) or 2015-06-04T10:00:00Z") from None


def signals_reach_us() -> None:
    """Let Ctrl-C, SIGTERM and SIGHUP reach this process whatever its parent did: a process
    inherits the signals blocked in the thread that started it (a test runner's, a script's
    trap), and a long-running command that ignored them could only be killed."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM, signal.SIGHUP})
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def default_db() -> str:
    return os.environ.get("ACCORD_DB", DEFAULT_DB)


def refused(error: Exception) -> str:
    """A refusal's words, the times it names as this run shows times (in the zone --tz names:
    "answered at 2026-12-06T12:42:00+08:00", not in UTC)."""
    from accord.cooperation.refusals import Moment
    from accord.i18n import Refusal

    if not isinstance(error, Refusal) or shown_zone["name"] == DEFAULT_ZONE \
            or not any(isinstance(v, Moment) for v in error.values.values()):
        return str(error)
    return error.message.format(**{k: shown(v.at) if isinstance(v, Moment) else v
                                   for k, v in error.values.items()})


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the core's specific errors into one line on stderr and a non-zero exit."""
    try:
        yield
    except (DirectoryError, DurationError, DatabaseUrlError, NodeNotInitialised,
            NodeAlreadyInitialised, SchemaTooNew, ValueError) as error:
        raise fail(refused(error)) from None
    except IntegrityError as error:
        # e.g. two commands adding the same party at once: the second loses the race.
        raise fail(f"the database refused the change: {error.orig}") from None
    except OperationalError as error:
        fault = storage_fault(error)
        if fault is not None and fault.is_read_only:
            raise fail(f"the database cannot be written ({fault.reason}): its file, its "
                       "-wal or -shm file beside it, or the folder they are in, is read-only "
                       "for this user (another user's, say, after a command run as root); "
                       "nothing of this command's change was stored. Run it as the node's "
                       "user, or make them writable.") from None
        if fault is not None and fault.kind is Fault.UNWRITABLE:
            raise fail(f"the database cannot take more: its disk is full or failing "
                       f"({fault.reason}); nothing of this command's change was stored. Free "
                       "space and run it again.") from None
        raise fail(f"cannot use the database: {error.orig}") from None
    except DatabaseError as error:
        # The database's own refusal (a right not granted to this user, a damaged file):
        # its words, not a traceback.
        raise fail(f"cannot use the database: {_first_line(error.orig)}") from None


def _first_line(error: BaseException | None) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


@contextmanager
def opened(db: str, *, initialised: bool = True, read_db: str | None = None,
           serving: bool = False) -> Iterator[Node]:
    """The node in `db`; unless not `initialised` (init, serve), one must be there already:
    a mistyped --db is an error, and nothing is made where it points. `serving`: opened by
    `accord serve` (store.pg_sessions.names_serving)."""
    with user_errors():
        path = sqlite_file(db)
        if path is not None:
            if initialised and (not path.exists() or _is_empty(path)):
                raise NodeNotInitialised(f"no Accord database at {path}: run `accord init "
                                         "--party NAME` to create one, or name another with "
                                         "--db")
            check_sqlite_file(path)
            if not path.parent.is_dir():
                raise NoSuchDatabase(f"no folder {path.parent} to make the database in: "
                                     "create it first, or name another path with --db")
            try:
                private_file(path)  # a new node's file: it holds the node's signing key
            except OSError as error:
                raise NoSuchDatabase(f"cannot make the database {path}: {error.strerror}"
                                     ) from None
        node = open_node(db, read_db=read_db, create_schema=not initialised, serving=serving)
        if node.migrated_from is not None:
            err.print(f"Schema migrated from {node.migrated_from} to {SCHEMA_REVISION} "
                      "(recorded in the audit trail as db.migrate).")
        if initialised:
            _ = node.party  # raises NodeNotInitialised with the fix in its message
        yield node


def _is_empty(path: Path) -> bool:
    try:
        return path.stat().st_size == 0
    except OSError:
        return False


def require_database(db: str) -> Engine:
    """An engine on the database --db names, which must exist (a plain-words error if it does
    not, or cannot be reached); not migrated, and it may hold no node yet."""
    with user_errors():
        return existing_engine(db)


def record(node: Node, action: str, **detail: Any) -> None:
    """Audit a change made from the command line (by the node's operator, not a party)."""
    node.audit.append([Event(now_timestamp(), action, None, detail=detail)])


def split_names(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


Row = Mapping[str, Any]


def listing(rows: Iterable[Row], columns: Sequence[str], *, as_json: bool,
            cells: Callable[[Row], Sequence[str]] | None = None) -> None:
    """Print rows on stdout: a table, or with --json one JSON object per row and line.

    A row's keys are its stable snake_case field names; the table's column headers are
    `columns`, the same names with spaces for underscores, so the JSON always carries every
    column under the column's name (a row may carry more than the table has room for).
    `cells` renders a row for the table where a column shows more than its bare value;
    the cells it returns are rich markup, escaped by it."""
    if as_json:
        for row in rows:
            assert all(c in row for c in columns), f"row lacks a column of {columns}"
            typer.echo(orjson.dumps(row, default=_json_value,
                                    option=orjson.OPT_PASSTHROUGH_DATETIME).decode())
        return
    table = Table(*(c.replace("_", " ") for c in columns))
    for row in rows:
        table.add_row(*(cells(row) if cells else [cell(row[c]) for c in columns]))
    for name, column in zip(columns, table.columns, strict=True):
        if name in ("id", "request", "object") or name.endswith(("_id", "_ids")):
            # An id is copied into the next command: never cut, whatever else must narrow.
            column.no_wrap = True
            column.min_width = max((len(c) for c in column.cells if isinstance(c, str)),
                                   default=0) or None
    out.print(table)


def cell(value: Any) -> str:
    """A value as a table shows it: nothing for None and False, "yes" for True, lists joined."""
    if value is None or value is False:
        return ""
    if value is True:
        return "yes"
    if isinstance(value, datetime) or is_timestamp(value):
        return shown(value)
    if isinstance(value, list | tuple):
        return ", ".join(cell(v) for v in value)
    return said(str(value))


def said(text: str) -> str:
    """Text another may have chosen (a peer's message, a title, an id), as a command prints it:
    its markup escaped, its control characters written out (words.printable), so that it
    cannot colour, move or hide what the terminal shows."""
    return escape(printable(text))


def _json_value(value: Any) -> str:
    if isinstance(value, datetime):
        return format_timestamp(value)  # RFC 3339 in UTC, with Z, like every STIX timestamp
    raise TypeError(f"{type(value).__name__} is not JSON")


def report_arrivals(node: Node) -> None:
    """Screen what just arrived and say on stderr what matched a designation."""
    # Here, not at the top: most commands screen nothing, and `accord import` starts sooner.
    from accord.attribution.arrivals import screen_arrivals

    for flag in screen_arrivals(node):
        err.print(f"[bold yellow]screening:[/] {escape(flag.object_id)} "
                  f"({escape(flag.screened)}) matches designation {flag.designation_id}: "
                  f"{escape(flag.why)}")
