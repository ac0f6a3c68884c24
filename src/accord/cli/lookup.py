"""Looking a value up in the correlation index, as the node's party or as another."""

from __future__ import annotations

from typing import Annotated

import orjson
import typer
from rich.markup import escape
from rich.table import Table

from accord.cli.common import DEFAULT_DB, Db, app, err, opened, out
from accord.correlation.values import guess
from accord.store.correlations import Correlations


@app.command()
def lookup(
    value: Annotated[str, typer.Argument(help="An IP address or network, domain, URL, e-mail "
                                              "address or file hash.")],
    as_party: Annotated[str | None, typer.Option("--as", help="See only what this party may "
                                                              "(default: this node's).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many objects.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    db: Db = DEFAULT_DB,
) -> None:
    """Every object that mentions VALUE and that the party may read."""
    with opened(db) as node:
        reader = node.directory.party(as_party) if as_party else node.party
        read_as = guess(value)
        found = Correlations(node.engine).lookup(reader.id, read_as, limit)
        if as_json:
            for mention in found:
                typer.echo(orjson.dumps(mention.as_json()).decode())
            return
        understood = ", ".join(f"{v.kind} {v.value}" for v in read_as)
        err.print(f"{len(found)} object(s) mention {escape(value)} (read as {understood}), "
                  f"as {escape(reader.name)} may see them")
        if found:
            table = Table("type", "name", "id", "marking", "created by", "first seen",
                          "last seen", "collection")
            for m in found:
                table.add_row(m.type, escape(m.name or ""), m.id, m.marking,
                              escape(m.creator or ""), m.first_seen or "", m.last_seen or "",
                              escape(m.collection))
            out.print(table)


@app.command()
def sightings(
    object_id: Annotated[str, typer.Argument(help="The id of the sighted object.")],
    as_party: Annotated[str | None, typer.Option("--as", help="See only what this party may "
                                                              "(default: this node's).")] = None,
    db: Db = DEFAULT_DB,
) -> None:
    """Who reported seeing an object: every report for its creator, else what the party may
    read."""
    with opened(db) as node:
        reader = node.directory.party(as_party) if as_party else node.party
        found = Correlations(node.engine).sightings_of(reader.id, object_id)
        total = sum(s.count or 1 for s in found)
        err.print(f"{len(found)} sighting report(s), {total} sighting(s) of {escape(object_id)}"
                  f", as {escape(reader.name)} may see them")
        if found:
            table = Table("by", "count", "first seen", "last seen", "marking", "sighting")
            for s in found:
                table.add_row(escape(s.by or ""), str(s.count or ""), s.first_seen or "",
                              s.last_seen or "", s.marking, s.id)
            out.print(table)
