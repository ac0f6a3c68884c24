"""The review officials read: a chosen period and pair of parties, with its charts, and the
same report to download as HTML, CSV, JSON or Markdown."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.responses import Response

from accord.cooperation.desk import Desk
from accord.cooperation.report import FORMATS, html_sections, render
from accord.cooperation.review import Review
from accord.cooperation.reviewing import review_ledgers
from accord.i18n.catalogue import catalogue
from accord.web.core import Ctx, Page

MEDIA = {"json": "application/json", "html": "text/html; charset=utf-8",
         "md": "text/markdown; charset=utf-8", "csv": "text/csv; charset=utf-8"}


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
    today = datetime.now(UTC).date()
    first = date(today.year, 1 if today.month <= 6 else 7, 1)
    words = catalogue(ctx.language)
    start = _day(ctx, ctx.arg("from"), words.pgettext("date", "From")) if ctx.arg("from") \
        else first
    end = _day(ctx, ctx.arg("to"), words.pgettext("date", "To")) if ctx.arg("to") else today
    if end < start:
        raise BadPeriod(ctx._("To must not be before From"))
    return start, end


def _review(ctx: Ctx, start: date, end: date, between: str) -> Review:
    pair = None
    if between:
        other = ctx.node.directory.find_party(between)
        if other is None:
            raise BadPeriod(ctx._("Between: no party {name} on this node",
                                  name=repr(between)))
        pair = (ctx.viewer.party_id, other.id)
    midnight = datetime.min.time().replace(tzinfo=UTC)
    if end >= date.max:
        raise BadPeriod(ctx._("To: {day} is beyond the calendar's last day",
                              day=end.isoformat()))
    # "To" is a day the review includes: the period ends at the next midnight.
    return review_ledgers(Desk(ctx.node), datetime.combine(start, midnight),
                          datetime.combine(end + timedelta(days=1), midnight),
                          names=ctx.node.directory.names(), actor=ctx.actor, pair=pair)


def review_page(ctx: Ctx) -> Page:
    others = [p for p in ctx.node.directory.parties() if p.id != ctx.viewer.party_id]
    between = ctx.arg("between")
    try:
        start, end = _period(ctx)
        review = _review(ctx, start, end, between)
    except BadPeriod as error:
        return Page("review.html", {"error": str(error), "others": others, "between": between,
                                    "start": ctx.arg("from"), "end": ctx.arg("to"),
                                    "report": None, "formats": FORMATS}, 400, ctx._("Review"))
    ctx.audit("review.read", (), {"from": str(start), "to": str(end), "between": between})
    return Page("review.html", {
        "others": others, "between": between, "start": start.isoformat(),
        "end": end.isoformat(), "report": Markup(html_sections(review)),  # noqa: S704
        "formats": FORMATS, "error": "",
        "query": urlencode({"from": start.isoformat(), "to": end.isoformat(),
                            "between": between}),
    }, title=ctx._("Review"))


def review_download(ctx: Ctx) -> Response:
    fmt = ctx.arg("format", "html")
    if fmt not in FORMATS:
        return Response(f"format: {fmt!r} is not one of {', '.join(FORMATS)}\n", 400,
                        media_type="text/plain")
    try:
        start, end = _period(ctx)
        review = _review(ctx, start, end, ctx.arg("between"))
    except BadPeriod as error:
        return Response(f"{error}\n", 400, media_type="text/plain")
    ctx.audit("review.read", (), {"from": str(start), "to": str(end), "format": fmt})
    name = f"accord-review-{start.isoformat()}-{end.isoformat()}.{fmt}"
    return Response(render(review, fmt), media_type=MEDIA[fmt],
                    headers={"content-disposition": f'attachment; filename="{name}"'})
