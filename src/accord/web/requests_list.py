"""Every request my party sent or received, filtered by direction, state, party, category and
words in it — on the page, or as a CSV file of exactly the rows the page lists."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from urllib.parse import urlencode

from starlette.responses import Response

from accord import clock
from accord.cooperation.model import CATEGORIES, STATES
from accord.cooperation.summary import Filters
from accord.spreadsheet import csv_bytes
from accord.store.request_words import Sought
from accord.store.summary_reads import BadCursor, SummaryReads
from accord.web.codes import word
from accord.web.core import Ctx, Page
from accord.web.listed_rows import shown_rows
from accord.web.rows import Row, Translated, mentions, named_by, translation_found

PAGE_SIZE = 200
LONGEST_SEARCH = 200  # characters: a search is words or an id, not a pasted document


def _chosen(ctx: Ctx) -> dict[str, str]:
    """The filters in the address, each kept only when it is one the page offers."""
    # By id (the list's own choice) or by name, whatever its case (an address typed by hand,
    # or shared: "?party=China (CNCERT/CC)"): party names are known to every viewer.
    others = {key: p.id for p in ctx.node.directory.parties() if p.id != ctx.viewer.party_id
              for key in (p.id, p.name.casefold())}
    direction, state = ctx.arg("direction"), ctx.arg("state")
    category, party = ctx.arg("category"), ctx.arg("party")
    return {"direction": direction if direction in ("sent", "received") else "",
            "state": state if state in STATES else "",
            "party": others.get(party, others.get(party.strip().casefold(), "")),
            "category": category if category in CATEGORIES else "",
            # Full-width letters and digits (an East Asian input method's) as their ASCII.
            "q": " ".join(unicodedata.normalize("NFKC", ctx.arg("q")).split())}


def _filters(chosen: dict[str, str]) -> Filters:
    return Filters(chosen["direction"] or None, chosen["state"] or None, None,
                   chosen["party"] or None, chosen["category"] or None)


def _listed(ctx: Ctx, chosen: dict[str, str], after: str | None = None
            ) -> tuple[list[Row], int, str | None]:
    """One page of the rows the list shows (PAGE_SIZE, newest first, from the cursor
    `after`), how many match in all, and the cursor of the next page. Read from the request
    summaries the viewer's party may see (store.summary_reads); words are looked for in those
    alone (and the translations of them it reads), in memory; the index of their words
    (store.request_words) only narrows which are read. A row found only in a translation
    shows that translation's summary under its own."""
    me, now = ctx.viewer.party_id, clock.now()
    reads = SummaryReads(ctx.node.engine)
    names = ctx.node.directory.names()
    if not chosen["q"]:
        page = reads.page(me, _filters(chosen), now, limit=PAGE_SIZE, after=after)
        return shown_rows(ctx, reads, page.rows, now, names), page.total, page.after
    found = reads.searched(me, _filters(chosen), now,
                           lambda words: mentions(words, me, names, chosen["q"]),
                           sought=Sought(chosen["q"], named_by(names, chosen["q"])),
                           limit=PAGE_SIZE, after=after)
    found_in: dict[str, Translated] = {}
    for item in found.rows:
        request_id = item.summary.request_id
        words, translations = found.words.get(request_id), found.translations.get(request_id)
        translated = translation_found(words, translations, me, names, chosen["q"],
                                       ctx.language) if words and translations else None
        if translated is not None:
            found_in[request_id] = translated
    return (shown_rows(ctx, reads, found.rows, now, names, found_in, found.translations),
            found.total, found.after)


def _too_long(ctx: Ctx, chosen: dict[str, str]) -> str:
    if len(chosen["q"]) <= LONGEST_SEARCH:
        return ""
    return ctx._("The search text has {count} characters; shorten it to {limit} or fewer "
                 "(a few words or a request's id).", count=len(chosen["q"]),
                 limit=LONGEST_SEARCH)


def _unknown(ctx: Ctx, chosen: dict[str, str]) -> str:
    """A filter in the address that the page does not offer (a hand-made or an old address):
    said, rather than left out without a word and everything listed."""
    labels = {"direction": ctx._("Direction"), "state": ctx._("State"),
              "party": ctx._("Other party"), "category": ctx._("Category")}
    for name, label in labels.items():
        given = ctx.arg(name)
        if given and not chosen[name]:
            return ctx._("{field} “{value}” is not one this list offers: choose from the "
                         "form's list.", field=label, value=given[:80])
    return ""


def _bad_cursor(ctx: Ctx) -> str:
    return ctx._("This address names a page this list did not make: start again from the "
                 "first page.")


def requests_list(ctx: Ctx) -> Page:
    chosen = _chosen(ctx)
    error = _too_long(ctx, chosen) or _unknown(ctx, chosen)
    after = ctx.arg("after") or None
    try:
        shown, total, following = ([], 0, None) if error else _listed(ctx, chosen, after)
    except BadCursor:
        error, shown, total, following = _bad_cursor(ctx), [], 0, None
    ctx.audit("request.list", tuple(r.id for r in shown),
              {"page": "requests", **({"search": chosen["q"]} if chosen["q"] else {})})
    others = [p for p in ctx.node.directory.parties() if p.id != ctx.viewer.party_id]
    kept = {name: value for name, value in chosen.items() if value}
    return Page("requests.html", {
        "rows": shown, "total": total, "limit": PAGE_SIZE, "others": others,
        "states": STATES, "categories": CATEGORIES, "chosen": chosen, "error": error,
        "longest": LONGEST_SEARCH,
        "export": "/ui/requests.csv" + (f"?{urlencode(kept)}" if kept else ""),
        "next": f"/ui/requests?{urlencode({**kept, 'after': following})}" if following else "",
        "first": f"/ui/requests?{urlencode(kept)}" if after else "",
    }, 400 if error else 200, title=ctx._("Requests"))


def _utc(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ") if moment else ""


def requests_csv(ctx: Ctx) -> Page | Response:
    """The rows the requests page lists for the same address, as a spreadsheet."""
    chosen = _chosen(ctx)
    error = _too_long(ctx, chosen) or _unknown(ctx, chosen)
    if error:
        return Page("problem.html", {"heading": ctx._("Not possible"), "text": error}, 400,
                    ctx._("Not possible"))
    try:
        shown, _total, _following = _listed(ctx, chosen, ctx.arg("after") or None)
    except BadCursor:
        return Page("problem.html", {"heading": ctx._("Not possible"),
                                     "text": _bad_cursor(ctx)}, 400, ctx._("Not possible"))
    ctx.audit("request.export", tuple(r.id for r in shown),
              {"page": "requests", "format": "csv",
               **{k: v for k, v in chosen.items() if v}})
    header = [ctx._("Id"), ctx._("Sent (UTC)"), ctx._("Received (UTC)"), ctx._("Direction"),
              ctx._("Other party"), ctx._("Summary"), ctx._("Summary, translated"),
              ctx._("Translation language"), ctx._("Kind"), ctx._("Category"),
              ctx._("Urgency"), ctx._("State"), ctx._("Escalated"), ctx._("Exercise"),
              ctx._("Next deadline"), ctx._("Deadline (UTC)"), ctx._("What to do")]
    yes = ctx._("yes")

    def said(vocabulary: str, code: str) -> str:
        return word(ctx.language, vocabulary, code) if code else ""

    lines = [[r.id, _utc(r.sent), _utc(r.received),
              ctx._("shared with us") if r.shared else ctx._("received") if r.incoming
              else ctx._("sent"), r.other, r.summary,
              r.translated.summary if r.translated else "",
              r.translated.lang if r.translated else "",
              said("kind", r.kind), said("category", r.category), said("urgency", r.urgency),
              said("state", r.state), yes if r.is_escalated else "",
              yes if r.is_exercise else "", said("deadline", r.deadline_of), _utc(r.deadline),
              said("action", r.action)]
             for r in shown]
    day = clock.now().astimezone(UTC).strftime("%Y-%m-%d")
    return Response(csv_bytes(header, lines), media_type="text/csv; charset=utf-8", headers={
        "content-disposition": f'attachment; filename="accord-requests-{day}.csv"'})
