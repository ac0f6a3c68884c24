"""Requests for information and assistance, from the command line: acting as a party of this
node (`--as`, default the node's own), create, acknowledge, report, respond, rate, escalate,
withdraw, list and show."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Annotated

import orjson
import typer
from rich.markup import escape
from rich.table import Table

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
    out,
    refused,
    shown,
    split_names,
    typed_instant,
    user_errors,
)
from accord.cooperation.arrivals import CLOCK_SKEW_ALLOWANCE
from accord.cooperation.desk import Actor, CooperationError, Desk, Draft, Filters
from accord.cooperation.ledger import RequestView, derive
from accord.cooperation.model import (
    CATEGORIES,
    ESCALATION_REASONS,
    KINDS,
    OUTCOMES,
    STATES,
    URGENCIES,
)
from accord.cooperation.views import view_json
from accord.i18n.languages import written_in
from accord.node import Node
from accord.store.summary_reads import SummaryReads
from accord.words import how_many

request_app = typer.Typer(help="Requests for information and assistance, and what follows.",
                          no_args_is_help=True)
app.add_typer(request_app, name="request")
LIST_PAGE = 500  # requests whose ledgers `request list` holds at once

As = Annotated[str | None, typer.Option("--as", help="Act as this party of the node (name or "
                                                     "identity id; default: the node's own).")]
Json = Annotated[bool, typer.Option("--json", help="Print the request as JSON.")]
RequestId = Annotated[str, typer.Argument(metavar="ID", help="The request's id "
                                                             "(x-accord-request--…).")]


Lang = Annotated[str, typer.Option("--lang", help="The language you write in (RFC 5646, "
                                                  "e.g. en, zh-Hans); recorded with it. "
                                                  "Default: read from what you write.")]


@contextmanager
def desk_for(db: str, as_party: str | None, lang: str = "en"
             ) -> Iterator[tuple[Node, Desk, Actor]]:
    with opened(db) as node, user_errors():
        party = node.directory.party(as_party) if as_party else node.party
        try:
            yield node, Desk(node), Actor(party, lang=lang)
        except CooperationError as error:
            raise fail(refused(error)) from None


def _show(node: Node, view: RequestView, as_json: bool) -> None:
    if as_json:
        typer.echo(orjson.dumps(view_json(view, node.directory.names()),
                                option=orjson.OPT_INDENT_2)
                   .decode())
        return
    data = view_json(view, node.directory.names())
    err.print(f"[bold]{escape(data['summary'])}[/]  ({data['state']})")
    activity = data["activity"]
    for label, value in (
        ("id", data["id"]), ("from", data["requester"]["name"]),
        ("to", data["addressee"]["name"]),
        ("shared with", ", ".join(p["name"] for p in data["shared_with"])),
        ("kind / category / urgency", f"{data['kind']} / {data['category']} / "
                                      f"{data['urgency']}" + (" — EXERCISE" if data["exercise"]
                                                             else "")),
        ("received", shown(data["received"]) if data["received"] else "not yet"),
        ("acknowledge by", shown(data["deadlines"]["acknowledge"])),
        ("respond by", shown(data["deadlines"]["respond"])),
        # What was asked: an addressee reading it here needs no --json.
        ("description", data["description"]),
        ("activity", activity["start"] and f"{shown(activity['start'])} to "
                                           f"{shown(activity['end']) if activity['end'] else '…'}"),
        ("victims", ", ".join(data["victims"])), ("impact", data["impact"]),
        ("legal basis", data["legal_basis"]), ("point of contact", data["point_of_contact"]),
        ("evidence", ", ".join(data["evidence"])), ("written in", data["lang"]),
    ):
        if value:
            out.print(f"{label:>26}: {escape(str(value))}")
    table = Table("time", "event", "by", "detail")
    for event in data["timeline"]:
        # Times in the detail as the rest: in the zone --tz names.
        detail = ", ".join(f"{k}: {_detail(v)}" for k, v in event["detail"].items()
                           if v not in ("", None, [], False) and k != "automatic")
        by = event["by"]["name"]
        if event["detail"].get("automatic"):  # the deadline watcher, in the requester's name
            by = f"automatically, for {by}"
        if event["backdated"]:  # as the web page says it, beside the act
            detail = (f"BACKDATED: it says it was made {shown(event['stamped'])}, more than "
                      f"{_minutes(CLOCK_SKEW_ALLOWANCE)} before it reached the other party's "
                      "node; it is timed by its arrival" + (f"; {detail}" if detail else ""))
        table.add_row(shown(event["time"]), event["type"], escape(by), escape(detail))
    out.print(table)


def _minutes(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _instant(name: str, text: str | None) -> datetime | None:
    """A date (its midnight) or a time, as an officer types it; without an offset, in the
    zone --tz names (UTC by default)."""
    return None if text is None else typed_instant(name, text)


def _detail(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return shown(value) if isinstance(value, str) else str(value)


def _after(node: Node, view: RequestView, as_json: bool, message: str) -> None:
    if as_json:
        _show(node, view, True)
    else:
        err.print(f"{message} — {view.request.id} is now {view.state}.")


@request_app.command("create")
def create(
    to: Annotated[str, typer.Option("--to", help="The addressed party.")],
    kind: Annotated[str, typer.Option(help=f"One of: {', '.join(KINDS)}.")],
    category: Annotated[str, typer.Option(help=f"One of: {', '.join(CATEGORIES)}.")],
    urgency: Annotated[str, typer.Option(help=f"One of: {', '.join(URGENCIES)}.")],
    summary: Annotated[str, typer.Option(help="What is asked, in one line.")],
    description: Annotated[str, typer.Option(help="The details.")] = "",
    evidence: Annotated[str | None, typer.Option(help="STIX ids, comma-separated.")] = None,
    legal_basis: Annotated[str, typer.Option(help="The legal basis of the request.")] = "",
    activity_start: Annotated[str | None, typer.Option(help="When the activity began: a date "
                                                            "or a time (2015-06-04, "
                                                            "2015-06-04T10:00+08:00); "
                                                            "without an offset, in --tz's "
                                                            "zone (UTC by default).")] = None,
    activity_end: Annotated[str | None, typer.Option(help="When it ended (the same forms).")]
    = None,
    victims: Annotated[str | None, typer.Option(help="Affected victims, comma-separated.")]
    = None,
    impact: Annotated[str, typer.Option(help="e.g. '22 million records exposed'.")] = "",
    contact: Annotated[str, typer.Option("--contact", help="Point of contact.")] = "",
    share_with: Annotated[str | None, typer.Option(help="Other parties that may see it.")]
    = None,
    exercise: Annotated[bool, typer.Option("--exercise", help="A drill.")] = False,
    lang: Lang = "",
    translation: Annotated[list[str] | None, typer.Option(
        "--translation", help="LANG:PROPERTY=TEXT, a translation sent with it (e.g. "
                              "zh-Hans:summary=…); repeat for each. The guidelines may "
                              "require some languages.")] = None,
    as_party: As = None,
    as_json: Json = False,
    db: Db = DEFAULT_DB,
) -> None:
    """Send a request; prints its id."""
    from accord.cli.translations import parse_translations  # it imports this module

    translations = parse_translations(translation or [])
    lang = lang or written_in(summary, description, impact)
    began, ended = (_instant(name, stamp) for name, stamp in (
        ("--activity-start", activity_start), ("--activity-end", activity_end)))
    with desk_for(db, as_party, lang) as (node, desk, actor):
        view = desk.create(actor, Draft(
            to, kind, category, urgency, summary, description, began, ended,
            tuple(split_names(victims)), impact, legal_basis, contact,
            tuple(split_names(evidence)), tuple(split_names(share_with)), exercise, lang,
            translations))
        if as_json:
            _show(node, view, True)
            return
        addressee = view_json(view, node.directory.names())["addressee"]["name"]
        err.print(f"Request sent to {escape(addressee)}; acknowledge by "
                  f"{_stamp(view.acknowledge_by)}, respond by {_stamp(view.respond_by)}.")
        hidden = desk.evidence_hidden_from_addressee(view)
        if hidden:
            err.print(f"[yellow]warning:[/] {escape(addressee)} may not read this evidence: "
                      f"{', '.join(hidden)} (grant it the collection, or mark the objects so "
                      "that it may)")
        typer.echo(view.request.id)


def _stamp(moment: object) -> str:
    return shown(moment)  # type: ignore[arg-type]


@request_app.command("ack")
def ack(request_id: RequestId, note: Annotated[str, typer.Option(help="A word to the requester.")]
        = "", lang: Lang = "", as_party: As = None, as_json: Json = False,
        db: Db = DEFAULT_DB) -> None:
    """Acknowledge a request addressed to you."""
    with desk_for(db, as_party, lang or written_in(note)) as (node, desk, actor):
        _after(node, desk.acknowledge(actor, request_id, note), as_json, "Acknowledged")


@request_app.command("report")
def report(request_id: RequestId, text: Annotated[str, typer.Option(help="Where things stand.")],
           lang: Lang = "", as_party: As = None, as_json: Json = False,
           db: Db = DEFAULT_DB) -> None:
    """Send an interim status report on a request addressed to you."""
    with desk_for(db, as_party, lang or written_in(text)) as (node, desk, actor):
        _after(node, desk.report(actor, request_id, text), as_json, "Status report sent")


@request_app.command("respond")
def respond(
    request_id: RequestId,
    outcome: Annotated[str, typer.Option(help=f"One of: {', '.join(OUTCOMES)}.")],
    text: Annotated[str, typer.Option(help="The answer.")] = "",
    reason: Annotated[str, typer.Option(help="Why (required when declined or referred).")]
    = "",
    evidence: Annotated[str | None, typer.Option(help="STIX ids returned, comma-separated.")]
    = None,
    lang: Lang = "", as_party: As = None, as_json: Json = False, db: Db = DEFAULT_DB,
) -> None:
    """Answer a request addressed to you (final)."""
    with desk_for(db, as_party, lang or written_in(text, reason)) as (node, desk, actor):
        view = desk.respond(actor, request_id, outcome, text, reason,
                            tuple(split_names(evidence)))
        _after(node, view, as_json, "Response sent")


@request_app.command("rate")
def rate(
    request_id: RequestId,
    score: Annotated[int, typer.Option(help="1 (useless) to 5 (complete and timely).")],
    comment: Annotated[str, typer.Option(help="Why this score.")] = "",
    lang: Lang = "", as_party: As = None, as_json: Json = False, db: Db = DEFAULT_DB,
) -> None:
    """Rate the quality of the response to your request."""
    with desk_for(db, as_party, lang or written_in(comment)) as (node, desk, actor):
        _after(node, desk.rate(actor, request_id, score, comment), as_json, "Rated")


@request_app.command("escalate")
def escalate(
    request_id: RequestId,
    reason: Annotated[str, typer.Option(help=f"One of: {', '.join(ESCALATION_REASONS)}.")]
    = "manual",
    note: Annotated[str, typer.Option(help="What the hotline should know.")] = "",
    lang: Lang = "", as_party: As = None, as_json: Json = False, db: Db = DEFAULT_DB,
) -> None:
    """Raise a request to the hotline."""
    with desk_for(db, as_party, lang or written_in(note)) as (node, desk, actor):
        _after(node, desk.escalate(actor, request_id, reason, note), as_json, "Escalated")


@request_app.command("de-escalate")
def de_escalate(
    request_id: RequestId,
    reason: Annotated[str, typer.Option(help="Why the escalation ends.")],
    lang: Lang = "", as_party: As = None, as_json: Json = False, db: Db = DEFAULT_DB,
) -> None:
    """End the newest open escalation of a request."""
    with desk_for(db, as_party, lang or written_in(reason)) as (node, desk, actor):
        _after(node, desk.de_escalate(actor, request_id, reason), as_json, "De-escalated")


@request_app.command("withdraw")
def withdraw(
    request_id: RequestId,
    reason: Annotated[str, typer.Option(help="Why.")] = "",
    lang: Lang = "", as_party: As = None, as_json: Json = False, db: Db = DEFAULT_DB,
) -> None:
    """Withdraw your request."""
    with desk_for(db, as_party, lang or written_in(reason)) as (node, desk, actor):
        _after(node, desk.withdraw(actor, request_id, reason), as_json, "Withdrawn")


@request_app.command("show")
def show(request_id: RequestId, as_party: As = None, as_json: Json = False,
         db: Db = DEFAULT_DB) -> None:
    """A request, its deadlines and its timeline."""
    with desk_for(db, as_party) as (node, desk, actor):
        _show(node, desk.view(actor, request_id), as_json)


@request_app.command("list")
def list_requests(
    direction: Annotated[str | None, typer.Option(help="sent or received.")] = None,
    state: Annotated[str | None, typer.Option(help=f"One of: {', '.join(STATES)}.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue requests.")] = False,
    party: Annotated[str | None, typer.Option(help="Only those with this other party.")]
    = None,
    category: Annotated[str | None, typer.Option(help="Only this category.")] = None,
    as_party: As = None,
    as_json: AsJson = False,
    db: Db = DEFAULT_DB,
) -> None:
    """The requests you sent or received, newest first."""
    if direction not in (None, "sent", "received"):
        raise fail(f"--direction {direction!r}: use sent or received")
    if state is not None and state not in STATES:
        raise fail(f"--state {state!r} is not one of: {', '.join(STATES)}")
    with desk_for(db, as_party) as (node, desk, actor):
        other = node.directory.party(party).id if party else None
        views = _listed(node, desk, actor, Filters(direction, state,
                                                   True if overdue else None, other, category))
        names = node.directory.names()
        columns = ("id", "state", "requester", "addressee", "urgency", "summary", "deadlines")

        def cells(row: Row) -> list[str]:
            summary = row["summary"]
            texts = {"requester": row["requester"]["name"], "addressee": row["addressee"]["name"],
                     "summary": summary if len(summary) <= 60 else summary[:59] + "…",
                     "deadlines": _next_deadline(row)}
            return [cell(texts.get(c, row[c])) for c in columns]

        listed = 0

        def rows() -> Iterator[Row]:
            nonlocal listed
            for view in views:
                listed += 1
                yield view_json(view, names)

        listing(rows(), columns, as_json=as_json, cells=cells)
        if not as_json:
            err.print(how_many(listed, "request"))


def _next_deadline(row: Row) -> str:
    """What the list says of a request's deadlines: the one it waits on now (acknowledging,
    then responding), said overdue when it is, or when it was answered or ended."""
    if row["answered"]:
        return f"answered {shown(row['answered'])}"
    if row["state"] == "withdrawn":
        return "withdrawn"
    deadlines, overdue = row["deadlines"], row["overdue"]
    if not row["acknowledged"] and deadlines["acknowledge"]:
        return (f"acknowledge by {shown(deadlines['acknowledge'])}"
                + (" (overdue)" if overdue["acknowledge"] else ""))
    return (f"respond by {shown(deadlines['respond'])}"
            + (" (overdue)" if overdue["respond"] else ""))


def _listed(node: Node, desk: Desk, actor: Actor, filters: Filters) -> Iterator[RequestView]:
    """The party's requests that match, newest first: their summaries a page at a time (as the
    web list reads them, store.summary_reads), then only that page's ledgers."""
    reads, now = SummaryReads(node.engine), desk.clock()
    after: str | None = None
    while True:
        page = reads.page(actor.party.id, filters, now, limit=LIST_PAGE, after=after)
        ids = [item.summary.request_id for item in page.rows]
        views = {ledger_.request.id: derive(ledger_, now)
                 for ledger_ in (desk.ledgers(actor, ids) if ids else [])}
        yield from (views[i] for i in ids if i in views)
        if page.after is None:
            return
        after = page.after
