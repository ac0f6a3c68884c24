"""The review officials read: a chosen period and pair of parties, with its charts, in English,
Chinese or both side by side, and the same report to download as HTML, PDF, CSV, JSON or
Markdown."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.responses import Response

from accord.cooperation.desk import Desk
from accord.cooperation.report import DOCUMENT_FORMATS, REPORT_LANGUAGES, document, html_sections
from accord.cooperation.review import Review
from accord.cooperation.review_pdf import PdfUnavailable
from accord.cooperation.reviewing import RETRY_AFTER, ReviewBusy, review_ledgers
from accord.i18n.catalogue import catalogue
from accord.i18n.zones import midnight_in
from accord.web.core import Ctx, Page

MEDIA = {"json": "application/json", "html": "text/html; charset=utf-8",
         "md": "text/markdown; charset=utf-8", "csv": "text/csv; charset=utf-8",
         "pdf": "application/pdf"}


class BadPeriod(ValueError):
    pass


def _day(ctx: Ctx, text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadPeriod(ctx._("{name}: {text} is not a date such as 2026-01-01", name=name,
                              text=repr(text))) from None


def _period(ctx: Ctx) -> tuple[date, date]:
    """The half-year so far by default: the mechanism reviews twice a year."""
    today = datetime.now(UTC).date()  # in UTC, as the period's days (_review)
    first = date(today.year, 1 if today.month <= 6 else 7, 1)
    words = catalogue(ctx.language)
    start = _day(ctx, ctx.arg("from"), words.pgettext("date", "From")) if ctx.arg("from") \
        else first
    end = _day(ctx, ctx.arg("to"), words.pgettext("date", "To")) if ctx.arg("to") else today
    if end < start:
        raise BadPeriod(ctx._("To must not be before From"))
    return start, end


def _language(ctx: Ctx) -> str:
    """The report's language: asked for (en, zh-Hans or both), else the reader's."""
    asked = ctx.arg("lang", ctx.language)
    if asked not in REPORT_LANGUAGES:
        raise BadPeriod(ctx._("Language: {lang} is not one of {choices}", lang=repr(asked),
                              choices=", ".join(REPORT_LANGUAGES)))
    return asked


def _review(ctx: Ctx, start: date, end: date, between: str) -> Review:
    pair = None
    if between:
        other = ctx.node.directory.find_party(between)
        if other is None:
            raise BadPeriod(ctx._("Between: no party {party} on this node", party=repr(between)))
        pair = (ctx.viewer.party_id, other.id)
    if end >= date.max:
        raise BadPeriod(ctx._("To: {day} is beyond the calendar's last day",
                              day=end.isoformat()))
    # "To" is a day the review includes: the period ends at the next midnight. Midnight UTC,
    # whatever the reader's zone, as `accord review` and every node count: the review is a
    # bilateral instrument, and two parties' officials in Washington and Beijing asking for
    # the same dates must count the same requests (the page says so).
    try:
        begins, ends = midnight_in(start, "UTC"), midnight_in(end + timedelta(days=1), "UTC")
    except OverflowError:  # the first or last day of the calendar, in a zone beyond UTC
        raise BadPeriod(ctx._("{start} to {end} reaches beyond the calendar",
                              start=start.isoformat(), end=end.isoformat())) from None
    return review_ledgers(Desk(ctx.node), begins, ends,
                          names=ctx.node.directory.names(), actor=ctx.actor, pair=pair)


def _busy(ctx: Ctx) -> str:
    return ctx._("A review for your party is being made already: ask again in {seconds} "
                 "seconds.", seconds=RETRY_AFTER)


def _language_choices(ctx: Ctx) -> list[tuple[str, str]]:
    return [("en", "English"), ("zh-Hans", "中文（简体）"),
            ("both", ctx._("English and Chinese side by side"))]


def review_page(ctx: Ctx) -> Page:
    others = [p for p in ctx.node.directory.parties() if p.id != ctx.viewer.party_id]
    between = ctx.arg("between")
    lang = ctx.arg("lang", ctx.language)
    shared = {"others": others, "between": between, "formats": DOCUMENT_FORMATS,
              "report_lang": lang, "report_languages": _language_choices(ctx)}
    try:
        lang = _language(ctx)
        start, end = _period(ctx)
        review = _review(ctx, start, end, between)
    except (BadPeriod, ReviewBusy) as error:
        busy = isinstance(error, ReviewBusy)
        page = Page("review.html", {
            **shared, "error": _busy(ctx) if busy else str(error), "start": ctx.arg("from"),
            "end": ctx.arg("to"), "report": None}, 429 if busy else 400, ctx._("Review"))
        if busy:
            page.headers["Retry-After"] = str(RETRY_AFTER)
        return page
    ctx.audit("review.read", (), {"from": str(start), "to": str(end), "between": between,
                                  "lang": lang})
    return Page("review.html", {
        **shared, "start": start.isoformat(), "end": end.isoformat(), "error": "",
        "report": Markup(html_sections(review, lang)),  # noqa: S704 (escaped by the report)
        "query": urlencode({"from": start.isoformat(), "to": end.isoformat(),
                            "between": between, "lang": lang}),
    }, title=ctx._("Review"))


def review_download(ctx: Ctx) -> Response:
    fmt = ctx.arg("format", "html")
    if fmt not in DOCUMENT_FORMATS:
        return Response(ctx._("format: {format} is not one of {choices}", format=repr(fmt),
                              choices=", ".join(DOCUMENT_FORMATS)) + "\n", 400,
                        media_type="text/plain; charset=utf-8")
    try:
        lang = _language(ctx)
        start, end = _period(ctx)
        review = _review(ctx, start, end, ctx.arg("between"))
        content = document(review, fmt, lang)
    except BadPeriod as error:
        return Response(f"{error}\n", 400, media_type="text/plain; charset=utf-8")
    except ReviewBusy:
        return Response(_busy(ctx) + "\n", 429, media_type="text/plain; charset=utf-8",
                        headers={"Retry-After": str(RETRY_AFTER)})
    except PdfUnavailable:
        return Response(ctx._("This node cannot make PDFs: its PDF renderer (WeasyPrint) is "
                              "not installed. Download the HTML and print it from the "
                              "browser, or ask the node's administrator.") + "\n", 503,
                        media_type="text/plain; charset=utf-8")
    ctx.audit("review.read", (), {"from": str(start), "to": str(end), "format": fmt,
                                  "lang": lang})
    suffix = "" if lang == "en" else f"-{lang}"
    name = f"accord-review-{start.isoformat()}-{end.isoformat()}{suffix}.{fmt}"
    return Response(content, media_type=MEDIA[fmt],
                    headers={"content-disposition": f'attachment; filename="{name}"'})
