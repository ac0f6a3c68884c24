"""Reading the audit trail and checking that it is whole."""

from __future__ import annotations

from typing import Annotated, Any

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
    typed_instant,
    user_errors,
)
from accord.serving.refusals import REFUSED, THROTTLED
from accord.stix.timestamps import format_timestamp
from accord.store.audit_log import AuditQuery
from accord.trust.audit import verify_links
from accord.words import how_many

audit_app = typer.Typer(help="The audit trail: every read and write, chained by hash.",
                        invoke_without_command=True)
app.add_typer(audit_app, name="audit")


@audit_app.callback()
def show(
    ctx: typer.Context,
    party: Annotated[str | None, typer.Option(help="Only this party (name or id).")] = None,
    person: Annotated[str | None, typer.Option(
        help="Only what this person or machine account of --party did.")] = None,
    object_id: Annotated[str | None, typer.Option("--object", help="Only records naming this "
                                                                   "object id.")] = None,
    action: Annotated[str | None, typer.Option(
        help="Only this action, e.g. objects.read, or a family of them: objects, or auth "
             "(failed authentications).")] = None,
    since: Annotated[str | None, typer.Option(
        help="From this date or time on (2016-04-06, 2016-04-06 20:07 in --tz's zone, or "
             "2016-04-06T20:07:09Z).")] = None,
    until: Annotated[str | None, typer.Option(help="Up to this date or time.")] = None,
    collection: Annotated[str | None, typer.Option(
        help="Only reads and writes of this collection (its id, alias or title).")] = None,
    limit: Annotated[int, typer.Option(
        min=1, max=10_000, help="At most this many, newest first.")] = 100,
    before: Annotated[int | None, typer.Option(
        min=1, max=2**31 - 1, help="Only records older than this one (its seq): the next "
                                   "page, as the line after a page says.")] = None,
    as_json: AsJson = False,
    db: Db = DEFAULT_DB,
) -> None:
    """Show audit records, newest first (`accord audit verify` checks the chain)."""
    if ctx.invoked_subcommand is not None:
        return
    # A date, or a date and time in the zone --tz names, as well as a whole timestamp.
    since, until = (None if value is None else format_timestamp(typed_instant(name, value))
                    for name, value in (("--since", since), ("--until", until)))
    if person is not None and party is None:
        raise fail("--person needs --party: people are named within their party")
    with opened(db) as node, user_errors():
        who = node.directory.party(party) if party else None
        person_id = node.directory.person(who, person).id if who and person else None
        names = node.directory.names()
        holders = {t.id: t.name for t in node.directory.tokens()}
        of = node.directory.collection(collection).id if collection else None
        page = node.audit.search(AuditQuery(who.id if who else None, person_id, object_id,
                                            action, since, until, limit, before,
                                            collection_id=of))
        records = page.records
        columns = ("seq", "at", "party", "person", "action", "collection_id", "object_ids",
                   "detail")

        def cells(row: Row) -> list[str]:
            ids = row["object_ids"]
            nobody = ("not authenticated" if row["action"].startswith("auth.")
                      else "this node (command line)")
            shown = {"party": row["party"] or row["party_id"] or nobody,
                     "object_ids": ", ".join(ids[:3])
                     + (f" (+{len(ids) - 3})" if len(ids) > 3 else ""),
                     "detail": described(row["action"], row["detail"])}
            return [cell(shown.get(c, row[c])) for c in columns]

        listing(({"seq": r.seq, "at": r.event.at, "action": r.event.action,
                  "party_id": r.event.party_id, "party": names.get(r.event.party_id or ""),
                  "token_id": r.event.token_id, "person": holders.get(r.event.token_id or ""),
                  "collection_id": r.event.collection_id,
                  "object_ids": list(r.event.object_ids), "detail": r.event.detail,
                  "hash": r.hash} for r in records),
                columns, as_json=as_json, cells=cells)
        # On standard error, with --json too: where the next page begins.
        if page.stopped:
            err.print(f"This search looked at {page.looked:,} records, back to record "
                      f"{page.next_before}, without finding {limit}; older ones: --before "
                      f"{page.next_before}")
        elif page.next_before is not None:
            err.print(f"Older records may match: --before {page.next_before}")


def described(action: str, detail: dict[str, Any]) -> str:
    """A record's detail in a line: in words for failed authentications, else key: value."""
    if action == REFUSED:
        return (f"from {detail.get('source')}: {detail.get('form')} credential, "
                f"{detail.get('via')} {detail.get('method')} {detail.get('path')}")
    if action == THROTTLED:
        counts = [f"{detail['throttled']} answered 429"] if detail.get("throttled") else []
        if detail.get("refused"):
            counts.append(f"{detail['refused']} answered 401 (past the trail's budget of "
                          "single records)")
        forms = ", ".join(f"{form} {n}" for form, n in detail.get("forms", {}).items())
        first, last = str(detail.get("first")), str(detail.get("last"))
        until = last[11:] if last[:10] == first[:10] else last  # the time, on the same day
        return (f"from {detail.get('source')}: {', '.join(counts)}; {forms}; "
                f"{first} to {until}")
    text = "; ".join(f"{key}: {value}" for key, value in detail.items())
    return text if len(text) <= 80 else text[:79] + "…"


@audit_app.command()
def verify(db: Db = DEFAULT_DB) -> None:
    """Check every record's hash and link; exit 1 at the first that does not hold."""
    with opened(db) as node:
        verdict = verify_links(node.audit.links())
        stray = node.audit.index_disagreement() if verdict.is_intact else None
    if stray is not None:
        err.print(f"[bold red]Audit index broken at record {stray}:[/] the objects indexed "
                  "for it differ from those the record names (an index row was added, removed "
                  "or changed). The chain itself holds.")
        raise typer.Exit(1)
    if verdict.is_intact:
        err.print(f"Audit trail intact: {how_many(verdict.records, 'record')}. Head hash "
                  "(keep a copy elsewhere to detect removal of the newest records):")
        typer.echo(verdict.head)
        return
    err.print(f"[bold red]Audit trail broken at record {verdict.broken_at}:[/] "
              f"{escape(verdict.reason)}. {how_many(verdict.records, 'record')} before it "
              f"{'holds' if verdict.records == 1 else 'hold'}.")
    raise typer.Exit(1)
