"""Attribution from the command line: claims and the positions taken on them, the disputed
attribution of a subject, and designations — acting as a party of this node (`--as`)."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TextIO

import orjson
import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from accord.attribution.model import BASES, DESIGNATION_KINDS, POSITIONS, SUPPORTING
from accord.attribution.reading import AttributionError
from accord.attribution.record import AttributionRecord, ClaimDraft, DesignationDraft
from accord.attribution.standing import ClaimStanding
from accord.attribution.views import claim_json, designation_json, subject_json
from accord.attribution.watchlist import MOST_SCREENED_CHARS, screen_all, watchlist
from accord.cli.common import (
    DEFAULT_DB,
    AsJson,
    Db,
    app,
    err,
    fail,
    listing,
    opened,
    out,
    refused,
    said,
    split_names,
    typed_instant,
    user_errors,
)
from accord.cooperation.desk import Actor
from accord.node import Node
from accord.spreadsheet import inert
from accord.stix.timestamps import now_timestamp
from accord.trust.audit import Event
from accord.whole_files import written_whole
from accord.words import how_many

claim_app = typer.Typer(help="Attribution claims and the positions parties take on them.",
                        no_args_is_help=True)
designation_app = typer.Typer(help="Designations of firms and individuals for measures.",
                              no_args_is_help=True)
app.add_typer(claim_app, name="claim")
app.add_typer(designation_app, name="designation")

As = Annotated[str | None, typer.Option("--as", help="Act as this party of the node (name or "
                                                     "identity id; default: the node's own).")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Ids = Annotated[str | None, typer.Option(help="STIX ids, comma-separated.")]
ShareWith = Annotated[str | None, typer.Option(
    help="Parties that may read it, comma-separated (default: every party of the node).")]
_PAGE = 1000  # claims read at a time by a listing


@contextmanager
def record_for(db: str, as_party: str | None
               ) -> Iterator[tuple[Node, AttributionRecord, Actor]]:
    with opened(db) as node, user_errors():
        party = node.directory.party(as_party) if as_party else node.party
        try:
            yield node, AttributionRecord(node), Actor(party)
        except AttributionError as error:
            raise fail(refused(error)) from None


def _print_json(data: Any) -> None:
    typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())


def _confidence(value: int) -> int:
    if not 0 <= value <= 100:
        raise typer.BadParameter(f"{value} is not between 0 and 100")
    return value


@claim_app.command("create")
def create(
    subject: Annotated[str, typer.Option(help="The activity: an incident, campaign, "
                                              "intrusion-set or request id.")],
    basis: Annotated[str, typer.Option(help=f"What it rests on, comma-separated: "
                                            f"{', '.join(BASES)}.")],
    confidence: Annotated[int, typer.Option(help="0–100.", callback=_confidence)],
    summary: Annotated[str, typer.Option(help="What is attributed to whom and why.")],
    attributed_to: Annotated[str | None, typer.Option(
        help="Actors, organisations or people (intrusion-set, threat-actor, identity ids), "
             "comma-separated.")] = None,
    sponsor: Annotated[str | None, typer.Option(
        help="The sponsoring state, as its ISO 3166-1 alpha-2 code (e.g. CN).")] = None,
    evidence: Ids = None,
    share_with: ShareWith = None,
    as_party: As = None,
    db: Db = DEFAULT_DB,
) -> None:
    """Attribute activity to an actor and/or a sponsoring state; prints the claim's id."""
    with record_for(db, as_party) as (_, record, actor):
        made = record.claim(actor, ClaimDraft(
            subject, tuple(split_names(attributed_to)), tuple(split_names(basis)), confidence,
            summary, sponsor, tuple(split_names(evidence)), tuple(split_names(share_with))))
        err.print(f"Claim made; it stands {made.status}.")
        typer.echo(made.claim.id)


@claim_app.command("respond")
def respond(
    claim: Annotated[str, typer.Argument(metavar="CLAIM", help="The claim's id.")],
    position: Annotated[str, typer.Option(help=f"One of: {', '.join(POSITIONS)}.")],
    text: Annotated[str, typer.Option(help="Why, in words.")],
    basis: Annotated[str | None, typer.Option(help="What the position rests on, "
                                                   "comma-separated.")] = None,
    evidence: Ids = None,
    competing_claim: Annotated[str | None, typer.Option(
        help="Your own claim on the same subject, if you attribute it elsewhere.")] = None,
    as_party: As = None,
    db: Db = DEFAULT_DB,
) -> None:
    """Take a position on a claim (a later one replaces it; the history is kept); prints the
    position's id."""
    with record_for(db, as_party) as (_, record, actor):
        standing = record.respond(actor, claim, position, text,
                                  basis=tuple(split_names(basis)),
                                  evidence=tuple(split_names(evidence)),
                                  competing_claim=competing_claim)
        err.print(f"Position taken; the claim stands {standing.status}. "
                  f"{escape(standing.reason)}")
        if standing.claim.claimant == actor.party.id and position not in SUPPORTING:
            # There is no act "dispute the denial": a claimant that answers one with
            # 'disagree' walks its own claim back, which it may not have meant.
            err.print(f"[yellow]Note:[/] on your own claim, {position!r} says you no longer "
                      "support it. To answer a denial and keep the claim, take 'agree' with "
                      "your answer as its --text.")
        mine = [p for p in standing.history if p.party == actor.party.id]
        typer.echo(mine[-1].id)


def _show_claim(standing: ClaimStanding, names: dict[str, str]) -> None:
    data = claim_json(standing, names)
    out.print(f"[bold]{escape(data['summary'])}[/]")
    for label, value in (
        ("id", data["id"]), ("claimant", data["claimant"]),
        ("subject", f"{data['subject_name']} ({data['subject']})"),
        ("attributed to", ", ".join(data["attributed_to_names"]) or "—"),
        ("sponsor", data["sponsor"] or "—"), ("basis", ", ".join(data["basis"])),
        ("confidence", data["confidence"]), ("evidence", ", ".join(data["evidence"]) or "—"),
        ("status", data["status"]), ("why", data["status_reason"]),
    ):
        out.print(f"{label:>14}: {escape(str(value))}")
    table = Table("at", "party", "position", "basis", "text")
    for entry in data["history"] if data["history"] else data["positions"]:
        table.add_row(entry["at"], escape(entry["party"]), entry["position"],
                      ", ".join(entry["basis"]), escape(entry["text"]))
    out.print(table)


@claim_app.command("show")
def show(
    claim: Annotated[str, typer.Argument(metavar="CLAIM", help="The claim's id.")],
    as_json: Json = False,
    as_party: As = None,
    db: Db = DEFAULT_DB,
) -> None:
    """A claim: who asserts it, who supports, doubts or denies it, and how it stands."""
    with record_for(db, as_party) as (_, record, actor):
        standing = record.standing(actor, claim)
        names = record.names_in(actor, [standing])
        if as_json:
            _print_json(claim_json(standing, names))
        else:
            _show_claim(standing, names)


@claim_app.command("list")
def list_claims(
    subject: Annotated[str | None, typer.Option(help="Only claims on this subject.")] = None,
    as_json: AsJson = False,
    as_party: As = None,
    db: Db = DEFAULT_DB,
) -> None:
    """The claims this party may read, oldest first."""
    with record_for(db, as_party) as (_, record, actor):
        listing(_claims(record, actor, subject),
                ("id", "created", "claimant", "subject_name", "attributed_to_names", "sponsor",
                 "status"), as_json=as_json)


def _claims(record: AttributionRecord, actor: Actor, subject: str | None
            ) -> Iterator[dict[str, Any]]:
    """The claims, read a page at a time (a node's record of years, in bounded memory)."""
    after = None
    while True:
        page, after = record.claims_page(actor, subject, limit=_PAGE, after=after)
        names = record.names_in(actor, page)
        yield from (claim_json(s, names) for s in page)
        if after is None:
            return


@claim_app.command("view")
def view(
    subject: Annotated[str, typer.Argument(metavar="SUBJECT", help="The activity's id.")],
    as_json: Json = False,
    as_party: As = None,
    db: Db = DEFAULT_DB,
) -> None:
    """The disputed attribution of a subject: every claim on it, every position, and why the
    attribution stands contested, uncontested or agreed."""
    with record_for(db, as_party) as (_, record, actor):
        standing = record.subject(actor, subject)
        names = record.names_in(actor, standing.claims, [subject])
        if as_json:
            _print_json(subject_json(standing, names))
            return
        out.print(f"[bold]{escape(names.get(subject, subject))}[/]: {standing.status}")
        out.print(escape(standing.reason))
        for claim in standing.claims:
            out.print()
            _show_claim(claim, names)


@designation_app.command("add")
def designate(
    name: Annotated[str, typer.Argument(help="The firm's or person's name, in any script.")],
    kind: Annotated[str, typer.Option(help=f"One of: {', '.join(DESIGNATION_KINDS)}.")],
    legal_basis: Annotated[str, typer.Option(help="The authority it is made under.")],
    alias: Annotated[list[str] | None, typer.Option(help="Another name (repeat).")] = None,
    programme: Annotated[str | None, typer.Option(help="e.g. CYBER2.")] = None,
    claim: Annotated[list[str] | None, typer.Option(help="A claim it rests on (repeat).")]
    = None,
    evidence: Ids = None,
    share_with: ShareWith = None,
    designated: Annotated[str | None, typer.Option(
        help="When the designating authority made it, if not now (2014-05-19, or a date and "
             "time in --tz).")] = None,
    as_party: As = None,
    db: Db = DEFAULT_DB,
) -> None:
    """Designate a firm or individual; prints the designation's id."""
    made_on = typed_instant("--designated", designated) if designated is not None else None
    with record_for(db, as_party) as (_, record, actor):
        made = record.designate(actor, DesignationDraft(
            name, kind, legal_basis, tuple(alias or ()), programme, tuple(claim or ()),
            tuple(split_names(evidence)), tuple(split_names(share_with)), made_on))
        err.print(f"{escape(made.name)} designated.")
        typer.echo(made.id)


@designation_app.command("amend")
def amend(
    designation: Annotated[str, typer.Argument(metavar="ID", help="The designation's id.")],
    alias: Annotated[list[str] | None, typer.Option(help="Another name (repeat).")] = None,
    programme: Annotated[str | None, typer.Option(help="Its programme now.")] = None,
    legal_basis: Annotated[str | None, typer.Option(help="Its legal basis now.")] = None,
    as_party: As = None,
    db: Db = DEFAULT_DB,
) -> None:
    """Amend a designation: more aliases, another programme or legal basis (a new version of
    it; the old one is kept)."""
    with record_for(db, as_party) as (_, record, actor):
        amended = record.amend(actor, designation, aliases=tuple(alias or ()),
                               programme=programme, legal_basis=legal_basis)
        err.print(f"Designation of {escape(amended.name)} amended.")


@designation_app.command("lift")
def lift(
    designation: Annotated[str, typer.Argument(metavar="ID", help="The designation's id.")],
    reason: Annotated[str, typer.Option(help="Why it is lifted.")],
    as_party: As = None,
    db: Db = DEFAULT_DB,
) -> None:
    """Lift a designation (a new version of it; the old one is kept)."""
    with record_for(db, as_party) as (_, record, actor):
        lifted = record.lift(actor, designation, reason)
        err.print(f"Designation of {escape(lifted.name)} lifted.")


@designation_app.command("list")
def list_designations(
    as_json: AsJson = False,
    as_party: As = None,
    db: Db = DEFAULT_DB,
) -> None:
    """Designations this party may read, each as its newest version says: the latest
    designated, amended or lifted first."""
    with record_for(db, as_party) as (node, record, actor):
        names = node.directory.names()
        listing([designation_json(d, names) for d in record.designations(actor)],
                ("id", "name", "kind", "aliases", "programme", "party", "designated", "in_force",
                 "lifted"), as_json=as_json)


@app.command("screen")
def screen(
    name: Annotated[str | None, typer.Argument(help="The name to screen (any script).")] = None,
    file: Annotated[Path | None, typer.Option(
        "--file", help="A CSV of names: the column 'name' if there is one, else the first.")]
    = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="With --file: the CSV of results (default: stdout).")] = None,
    as_json: Json = False,
    as_party: As = None,
    db: Db = DEFAULT_DB,
) -> None:
    """Is a name designated, or a known actor's? Screens against the designations in force and
    the actors' names and aliases this party may read; says why each result matched."""
    if name is None and file is None:
        raise fail("give a NAME to screen, or --file names.csv")
    if name is not None and file is not None:
        raise fail("give a NAME or --file names.csv, not both")
    if file is not None and as_json:
        raise fail("--json is for one NAME; --file writes its results as CSV (to --output, "
                   "or standard output)")
    if name is not None and not name.strip():
        raise fail("the NAME to screen is empty")
    if name is not None and len(name) > MOST_SCREENED_CHARS:
        raise fail(f"the NAME to screen has {len(name):,} characters; a name has "
                   f"{MOST_SCREENED_CHARS} at most")
    with record_for(db, as_party) as (_, record, actor):
        if file is not None:
            _screen_file(record, actor, file, output)
            return
        assert name is not None
        listing = watchlist(record, actor)
        hits = listing.screen(name)
        if listing.left_out:
            err.print(f"[bold]note:[/] {listing.left_out:,} actors are not screened against: "
                      "the parties that posted them have filled their share of the list "
                      "(docs/limits.md)")
        record.node.reads.record(Event(now_timestamp(), "screen", actor.party.id, None, None,
                                       tuple(h.match.id for h in hits), {"query": name}))
        if as_json:
            _print_json({"query": name, "matches": [h.as_json() for h in hits]})
            return
        if not hits:
            err.print(f"No designation or known actor is close to {escape(name)!r}.")
            return
        table = Table("match", "score", "name", "matched", "kind", "id", "collection",
                      "listed by", "why")
        table.columns[5].overflow = "fold"  # an id is never cut: it is what one looks up
        for hit in hits:
            m = hit.match
            table.add_row("[bold red]yes[/]" if m.match else "no", f"{m.score:.2f}",
                          said(m.name), said(m.matched), hit.kind, m.id,
                          said(hit.collection.title) if hit.collection else "—",
                          said(hit.listed_by_name or "this node's operator"), said(m.why))
        out.print(table)


def _screen_file(record: AttributionRecord, actor: Actor, file: Path,
                 output: Path | None) -> None:
    rows: list[list[str]] = []
    # UTF-8 first; else GB18030 (GBK's superset), what a spreadsheet in Chinese saves as CSV.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            with file.open(newline="", encoding=encoding) as source:
                rows = list(csv.reader(source))
            break
        except UnicodeDecodeError:
            continue
        except (OSError, csv.Error) as error:
            raise fail(f"--file {file}: cannot read it as a CSV file ({error})") from None
    else:
        raise fail(f"--file {file}: neither UTF-8 nor GB18030 text: save it as CSV UTF-8")
    if encoding != "utf-8-sig":
        err.print(f"note: {escape(str(file))} is not UTF-8; read as GB18030 (GBK)")
    if not rows:
        raise fail(f"--file {file}: no names in it")
    header = [h.strip().lower() for h in rows[0]]
    column = header.index("name") if "name" in header else 0
    names = [r[column].strip() for r in (rows[1:] if "name" in header else rows)
             if len(r) > column and r[column].strip()]
    try:
        if output is None:
            matched = _write_screened(record, actor, names, sys.stdout)
        else:
            # Whole or not at all; with a byte-order mark, as spreadsheets need to read
            # Chinese (not on stdout).
            with written_whole(output) as out:
                sink = io.TextIOWrapper(out, newline="", encoding="utf-8-sig")
                matched = _write_screened(record, actor, names, sink)
                sink.flush()
                sink.detach()
    except OSError as error:
        raise fail(f"--output {output or 'standard output'}: cannot write it: "
                   f"{error.strerror or error}") from None
    record.node.reads.record(Event(now_timestamp(), "screen.batch", actor.party.id, None, None,
                                   (), {"names": len(names), "matched": matched}))
    err.print(f"{how_many(len(names), 'name')} screened, {matched:,} matched"
              + (f"; results in {escape(str(output))}" if output else ""))


def _write_screened(record: AttributionRecord, actor: Actor, names: list[str],
                    sink: TextIO) -> int:
    """The results of screening `names`, as CSV to `sink`; how many matched."""
    matched = 0
    writer = csv.writer(sink)
    writer.writerow(["query", "match", "score", "id", "name", "matched", "kind",
                     "listed_by", "why", "collection"])
    with Progress(TextColumn("[bold]Screening"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err) as progress:
        task = progress.add_task("names", total=len(names))
        for query, hits in screen_all(record, actor, names, limit=3):
            best = hits[0].match if hits else None
            matched += bool(best and best.match)
            writer.writerow([inert(cell) for cell in [
                query, "yes" if best and best.match else "no",
                f"{best.score:.2f}" if best else "", best.id if best else "",
                best.name if best else "", best.matched if best else "",
                hits[0].kind if hits else "",
                (hits[0].listed_by_name or "this node's operator") if hits else "",
                best.why if best else "",
                hits[0].collection.title if hits and hits[0].collection else ""]])
            progress.advance(task)
    return matched

