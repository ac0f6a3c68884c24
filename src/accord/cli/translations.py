"""Translations of what the parties of a request wrote, from the command line: add one
(`accord request translate`), list them beside the originals (`accord request translations`)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from accord.cli.common import DEFAULT_DB, AsJson, Db, Row, cell, err, fail, listing
from accord.cli.requests import As, RequestId, desk_for, request_app
from accord.cooperation.translating import Translations, renditions_json
from accord.stix.timestamps import format_timestamp
from accord.words import how_many

Fields = Annotated[list[str], typer.Option(
    "--field", help="PROPERTY=TEXT, the translation of one property (summary, description, "
                    "impact of a request; text of a status report; text or reason of a "
                    "response …); repeat for each.")]


def parse_fields(given: list[str], option: str = "--field") -> dict[str, str]:
    """PROPERTY=TEXT pairs as a dictionary; a pair without '=' is a mistake named."""
    texts: dict[str, str] = {}
    for pair in given:
        name, equals, text = pair.partition("=")
        if not equals or not name.strip():
            raise fail(f"{option} {pair!r}: write PROPERTY=TEXT, e.g. summary=…")
        texts[name.strip()] = text
    return texts


def parse_translations(given: list[str]) -> dict[str, dict[str, str]]:
    """LANG:PROPERTY=TEXT items (`request create --translation`) by language."""
    found: dict[str, dict[str, str]] = {}
    for item in given:
        lang, colon, pair = item.partition(":")
        if not colon or not lang.strip():
            raise fail(f"--translation {item!r}: write LANG:PROPERTY=TEXT, e.g. "
                       "zh-Hans:summary=…")
        found.setdefault(lang.strip(), {}).update(parse_fields([pair], "--translation"))
    return found


@request_app.command("translate")
def translate(
    request_id: RequestId,
    lang: Annotated[str, typer.Option("--lang", help="The language translated into "
                                                     "(RFC 5646, e.g. zh-Hans).")],
    field: Fields,
    object_ref: Annotated[str | None, typer.Option(
        "--object", help="The ledger entry translated (a status report, a response …); "
                         "default: the request itself.")] = None,
    as_party: As = None,
    db: Db = DEFAULT_DB,
) -> None:
    """Add a translation of a request or of an entry of its ledger; prints its id. The
    original stays authoritative; translating the same object again makes a new version of
    your own translation."""
    with desk_for(db, as_party) as (_node, desk, actor):
        made = Translations(desk).add(actor, request_id, object_ref or request_id, lang,
                                      parse_fields(field))
        err.print(f"Translation into {escape(lang)} added at {format_timestamp(made.modified)}; "
                  "the other party's node receives it at the next sync.")
        typer.echo(made.id)


@request_app.command("translations")
def translations(request_id: RequestId, as_party: As = None, as_json: AsJson = False,
                 db: Db = DEFAULT_DB) -> None:
    """The translations of a request and its ledger, one row per translation, beside the
    original's language."""
    with desk_for(db, as_party) as (node, desk, actor):
        view = desk.view(actor, request_id)
        originals, shown = Translations(desk).shown(actor, view)
        rows: list[dict[str, Any]] = [{
            "object": item["object_ref"], "type": item["type"],
            "original_lang": item["original"]["lang"], "lang": t["lang"],
            "by": t["by"]["name"], "translated": t["translated"], "version": t["version"],
            "texts": t["texts"], "id": t["id"]}
            for item in renditions_json(shown, originals, node.directory.names())
            for t in item["translations"]]
        columns = ("object", "original_lang", "lang", "by", "translated", "texts")

        def cells(row: Row) -> list[str]:
            texts = "; ".join(f"{k}: {v}" for k, v in row["texts"].items())
            return [cell(row["object"]), cell(row["original_lang"]), cell(row["lang"]),
                    cell(row["by"]), cell(row["translated"]), cell(texts[:80])]

        listing(rows, columns, as_json=as_json, cells=cells)
        if not as_json:
            err.print(f"{how_many(len(rows), 'translation')}; the original is authoritative")
