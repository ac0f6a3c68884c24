"""Looking a value up in the correlation index, as the node's party or as another."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from accord.cli.common import DEFAULT_DB, AsJson, Db, Row, app, cell, err, fail, listing, opened
from accord.correlation.values import LONGEST_VALUE, guess, value_text
from accord.stix.identifiers import identifier_type
from accord.store.correlations import Correlations
from accord.store.inside_seeks import MOST_INSIDE
from accord.words import how_many


@app.command()
def lookup(
    value: Annotated[str, typer.Argument(help="An IP address or network, domain, URL, e-mail "
                                              "address or file hash.")],
    as_party: Annotated[str | None, typer.Option("--as", help="See only what this party may "
                                                              "(default: this node's).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many objects.")] = 100,
    as_json: AsJson = False,
    db: Db = DEFAULT_DB,
) -> None:
    """Every object that mentions VALUE and that the party may read."""
    if not value.strip():
        raise fail("give a value to look up: an address, a network, a domain, a URL, an "
                   "e-mail address or a hash")
    if len(value) > LONGEST_VALUE:
        raise fail(f"a value of {len(value):,} characters: a look-up takes {LONGEST_VALUE:,} "
                   "at most")
    with opened(db) as node:
        reader = node.directory.party(as_party) if as_party else node.party
        read_as = guess(value)
        looked = Correlations(node.engine).look_up(reader.id, read_as, limit)
        found, broad = looked.found, looked.over_broad
        if not as_json:
            understood = ", ".join(f"{v.kind} {v.value}" for v in read_as)
            mention = "mentions" if len(found) == 1 else "mention"
            err.print(f"{how_many(len(found), 'object')} {mention} {escape(value)} "
                      f"(read as {understood}), "
                      f"as {escape(reader.name)} may see them")
        columns = ("type", "name", "id", "marking", "created_by", "first_seen", "last_seen",
                   "collection")

        def cells(row: Row) -> list[str]:
            return [cell(row["collection"]["title"] if c == "collection" else row[c])
                    for c in columns]

        # With --json every row says whether it is a match or only names an over-broad network.
        if found:
            listing(({**m.as_json(), "over_broad": False} for m in found), columns,
                    as_json=as_json, cells=cells)
        if looked.stopped_at is not None:
            # On standard error, with --json too: the listing is not the whole answer.
            err.print(f"More objects mention addresses in {escape(value)} than one look-up "
                      f"reads ({MOST_INSIDE:,}): these are the newest of those that mention an "
                      f"address below {value_text(looked.stopped_at)}; look up a narrower "
                      "network for the rest")
        if broad:
            if not as_json:
                name = "names" if len(broad) == 1 else "name"
                err.print(f"{how_many(len(broad), 'object')} {name} a network around it "
                          "broader than IPv4 "
                          "/8 or IPv6 /32: over-broad, not matched")
            listing(({**m.as_json(), "over_broad": True} for m in broad), columns,
                    as_json=as_json, cells=cells)


@app.command()
def sightings(
    object_id: Annotated[str, typer.Argument(help="The id of the sighted object.")],
    as_party: Annotated[str | None, typer.Option("--as", help="See only what this party may "
                                                              "(default: this node's).")] = None,
    as_json: AsJson = False,
    db: Db = DEFAULT_DB,
) -> None:
    """Who reported seeing an object: every report for its creator, else what the party may
    read."""
    if identifier_type(object_id) is None:
        raise fail(f"{object_id[:80]!r} is not a STIX id such as "
                   "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f")
    with opened(db) as node:
        reader = node.directory.party(as_party) if as_party else node.party
        found = Correlations(node.engine).sightings_of(reader.id, object_id)
        if not as_json:
            total = sum(s.count or 1 for s in found)
            err.print(f"{how_many(len(found), 'sighting report')}, "
                      f"{how_many(total, 'sighting')} of "
                      f"{escape(object_id)}, as {escape(reader.name)} may see them")
        if found:
            listing((s.as_json() for s in found),
                    ("by", "count", "first_seen", "last_seen", "marking", "id"),
                    as_json=as_json)
