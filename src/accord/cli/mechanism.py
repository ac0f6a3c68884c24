"""The agreed guidelines, the hotline and the review, from the command line."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.markup import escape

from accord.cli.common import (
    DEFAULT_DB,
    AsJson,
    Db,
    Row,
    app,
    cell,
    err,
    fail,
    listing,
    opened,
    record,
    shown,
    split_names,
    typed_instant,
)
from accord.cooperation.desk import Desk
from accord.cooperation.guidelines import DEFAULT, in_force, to_dict, to_toml
from accord.cooperation.ledger import derive
from accord.cooperation.report import DOCUMENT_FORMATS, REPORT_LANGUAGES, document
from accord.cooperation.review_pdf import PdfUnavailable
from accord.cooperation.reviewing import review_ledgers
from accord.node import Node
from accord.stix.timestamps import format_timestamp, now_timestamp, parse_instant
from accord.store.guidelines import GuidelinesStore
from accord.whole_files import written_whole
from accord.words import how_many

guidelines_app = typer.Typer(help="The agreed guidelines: deadlines per urgency, required "
                                  "content per kind, the escalation ladder.",
                             no_args_is_help=True)
hotline_app = typer.Typer(help="The hotline: where escalations are announced, and its log.",
                          no_args_is_help=True)
app.add_typer(guidelines_app, name="guidelines")
app.add_typer(hotline_app, name="hotline")


def _pair(node: Node, between: str | None) -> tuple[str, str] | None:
    names = split_names(between)
    if not names:
        return None
    if len(names) != 2:
        raise fail(f"--between {between!r}: name exactly two parties, e.g. --between A,B")
    a, b = (node.directory.party(n).id for n in names)
    if a == b:
        raise fail("--between: name two different parties")
    return a, b


@guidelines_app.command("show")
def guidelines_show(
    between: Annotated[str | None, typer.Option(help="The version in force between two "
                                                     "parties, A,B.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
    db: Db = DEFAULT_DB,
) -> None:
    """The guidelines in force now (as TOML, ready to edit and `set`)."""
    with opened(db) as node:
        pair = _pair(node, between)
        versions = GuidelinesStore(node.engine).versions()
        a, b = pair if pair else ("", "")
        current = in_force(versions, datetime.now(UTC), a, b) if versions else DEFAULT
        where = "between the two parties" if current.pair else "for the node"
        err.print(f"Guidelines version {current.version} ({where}"
                  + (", the built-in defaults" if current.version == 0 else "") + ").")
        if as_json:
            typer.echo(orjson.dumps(to_dict(current), option=orjson.OPT_INDENT_2).decode())
        else:
            typer.echo(to_toml(current))


@guidelines_app.command("set")
def guidelines_set(
    file: Annotated[Path, typer.Argument(help="A TOML file (see `accord guidelines show`); "
                                              "- for stdin.")],
    between: Annotated[str | None, typer.Option(help="Agreed between two parties only, A,B.")]
    = None,
    db: Db = DEFAULT_DB,
) -> None:
    """Put a new version of the guidelines in force now. Running deadlines do not move."""
    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
    except OSError as error:
        raise fail(f"{file}: {error.strerror}") from None
    with opened(db) as node:
        pair = _pair(node, between)
        try:
            added = GuidelinesStore(node.engine).add(text, now_timestamp(), pair)
        except ValueError as error:
            raise fail(f"{file}: {error}") from None
        record(node, "guidelines.set", version=added.version, pair=list(pair or ()),
               text=text)
        err.print(f"Guidelines version {added.version} in force from "
                  f"{format_timestamp(added.effective)}.")
        typer.echo(str(added.version))


@hotline_app.command("set")
def hotline_set(
    party: Annotated[str, typer.Option(help="The party whose hotline this is.")],
    webhook: Annotated[str | None, typer.Option(help="URL that receives a JSON POST for each "
                                                     "escalation.")] = None,
    remove: Annotated[bool, typer.Option("--remove", help="No hotline for this party.")]
    = False,
    db: Db = DEFAULT_DB,
) -> None:
    """Set (or remove) where a party's hotline hears of escalations."""
    from accord.cooperation.hotline import Hotline  # its HTTP client: not for other commands

    if (webhook is None) == (not remove):
        raise fail("give either --webhook URL or --remove")
    with opened(db) as node:
        who = node.directory.party(party)
        try:
            Hotline(node.engine).set_contact(who.id, None if remove else webhook)
        except ValueError as error:
            raise fail(str(error)) from None
        record(node, "hotline.set", party=who.id, webhook=webhook)
        err.print(f"Hotline of {escape(who.name)}: {escape(webhook or 'none')}.")


@hotline_app.command("log")
def hotline_log(
    limit: Annotated[int, typer.Option(min=1, help="The requests escalated most recently: "
                                                   "at most this many.")] = 1000,
    as_json: AsJson = False,
    db: Db = DEFAULT_DB,
) -> None:
    """The escalations on this node, how each ended, and whether the hotline heard of it: those
    of the requests escalated most recently (--limit), oldest first."""
    from accord.cooperation.hotline import Hotline  # its HTTP client: not for other commands
    from accord.store.escalation_reads import EscalationReads

    with opened(db) as node:
        names = node.directory.names()
        # Only the escalated requests' ledgers, and only their notifications: not every ledger
        # and the whole outbox of a node with years of requests.
        request_ids, escalated = EscalationReads(node.engine).escalated_lately(limit)
        now = datetime.now(UTC)
        views = [derive(ledger, now) for ledger in Desk(node).ledgers(None, request_ids)]
        notified = Hotline(node.engine).of_escalations(
            (e.escalation, view.request) for view in views for e in view.escalations)
        sent = {escalation: [f"{note.body['to']}: " + (
            "delivered " + note.delivered if note.delivered else
            "gave up" if note.has_given_up else
            f"pending ({note.attempts} attempts"
            + (f", {note.last_error}" if note.last_error else "") + ")") for note in notes]
            for escalation, notes in notified.items()}
        rows: list[dict[str, Any]] = []
        for view in views:
            for e in view.escalations:
                rows.append({
                    "escalation": e.escalation.id, "request": view.request.id,
                    "time": format_timestamp(e.escalation.time), "reason": e.escalation.reason,
                    "level": e.escalation.level,
                    "requester": names.get(view.request.requester, view.request.requester),
                    "addressee": names.get(view.request.addressee, view.request.addressee),
                    "ended": format_timestamp(e.ended_at) if e.ended_at else None,
                    "ended_by": e.ended_by, "notified": sent.get(e.escalation.id, [])})
        rows.sort(key=lambda r: (r["time"], r["escalation"]))
        columns = ("time", "request", "requester", "addressee", "reason", "level", "ended",
                   "notified")

        def cells(row: Row) -> list[str]:
            # (ended: the time in --tz's zone, as the time column is)
            told = {"ended": f"{row['ended_by']} {shown(row['ended'])}" if row["ended"]
                    else "open",
                    "notified": _in_zone("; ".join(row["notified"])) or "no hotline set"}
            return [cell(told.get(c, row[c])) for c in columns]

        listing(rows, columns, as_json=as_json, cells=cells)
        if not as_json:
            err.print(how_many(len(rows), "escalation") + (
                f" of the {len(request_ids):,} requests escalated most recently; "
                f"{escalated:,} were escalated in all (--limit to see more)"
                if escalated > len(request_ids) else ""))


def _date(text: str, name: str) -> datetime:
    """A day of the review's calendar (UTC, as the mechanism counts its half-years), or an
    instant: with its offset, or in the zone --tz names, as `request create` reads one."""
    if _DAY.fullmatch(text.strip()) is None:
        return typed_instant(name, text.strip())
    try:
        return parse_instant(text)
    except ValueError:
        raise fail(f"{name} {text!r} is not a date such as 2026-01-01 or "
                   "2026-01-01T00:00:00Z") from None


_DAY = re.compile(r"\d{4}-\d\d-\d\d")
_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")


def _in_zone(text: str) -> str:
    """`text` with each UTC timestamp in it as --tz shows times (JSON keeps them in UTC)."""
    return _STAMP.sub(lambda found: shown(found.group()), text)


@app.command()
def review(
    start: Annotated[str, typer.Option("--from", help="First day (or instant) of the period.")],
    end: Annotated[str, typer.Option("--to", help=(
        "End of the period, not included: the first day (or instant) not reviewed. The first "
        "half of 2026 is --from 2026-01-01 --to 2026-07-01, and the report names it 2026-01-01 "
        "to 2026-06-30 (the web page's To is that last day)."))],
    between: Annotated[str | None, typer.Option(help="Only these two parties, A,B.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="html, pdf, md, json or csv.")] = "md",
    lang: Annotated[str, typer.Option(
        "--lang", help="The report's words: en, zh-Hans, or both side by side (html, pdf, md; "
        "json and csv are data).")] = "en",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")]
    = None,
    db: Db = DEFAULT_DB,
) -> None:
    """The review of timeliness and quality of responses, per direction between parties."""
    if fmt not in DOCUMENT_FORMATS:
        raise fail(f"--format {fmt!r}: use html, pdf, md, json or csv")
    if lang not in REPORT_LANGUAGES:
        raise fail(f"--lang {lang!r}: use en, zh-Hans or both")
    if fmt == "pdf" and output is None and sys.stdout.isatty():
        raise fail("--format pdf writes a binary file: give --output FILE (or redirect it)")
    period_start, period_end = _date(start, "--from"), _date(end, "--to")
    if period_end <= period_start:
        raise fail("--to must be after --from")
    with opened(db) as node:
        pair = _pair(node, between)
        names = node.directory.names()
        result = review_ledgers(Desk(node), period_start, period_end, names=names, pair=pair)
        try:
            content = document(result, fmt, lang)
        except PdfUnavailable as error:
            raise fail(str(error), 1) from None
        record(node, "review.run", start=format_timestamp(period_start),
               end=format_timestamp(period_end), between=list(pair or ()), format=fmt,
               lang=lang)
    if output is None:
        if fmt == "pdf":
            sys.stdout.buffer.write(content)
            sys.stdout.buffer.flush()
        else:
            text = content.decode("utf-8-sig")  # a terminal or a pipe: no byte-order mark
            typer.echo(text, nl=not text.endswith("\n"))
    else:
        try:
            with written_whole(output) as out:
                out.write(content)
        except OSError as error:
            raise fail(f"--output {output}: cannot write it: {error.strerror or error}"
                       ) from None
        err.print(f"Review written to {escape(str(output))}.")
