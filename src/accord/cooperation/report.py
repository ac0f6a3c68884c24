"""The review, rendered for people and programs: JSON, Markdown, CSV and a self-contained HTML
page with its charts drawn as inline SVG (no external assets, no JavaScript)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape

import orjson

from accord.cooperation.review import DirectionFigures, Review, to_dict

FORMATS = ("json", "md", "csv", "html")

# What each figure means, in plain words; printed under every human-readable rendering.
DEFINITIONS: tuple[tuple[str, str], ...] = (
    ("Period", "A request belongs to the period when the addressed party's node received it "
     "at or after the start and before the end (the end is not included). A request that was "
     "never received is placed by the time it was created."),
    ("Clock", "Every time is measured from the moment the addressed party's node received the "
     "request, as fixed in its receipt, to the moment the act reached the other party's node, "
     "as fixed in that node's receipt of the act (an act without one: the time it says it was "
     "made). The deadlines were fixed in the request's receipt, from the guidelines in force "
     "then."),
    ("Backdated", "An act that says it was made more than five minutes before it reached the "
     "other party's node. It is timed by when it arrived all the same; the count shows whose "
     "clock, or whose word, was wrong."),
    ("On time", "An acknowledgement or answer made at or before its deadline is on time; "
     "exactly at the deadline is on time, one microsecond later is late. A status report or an "
     "answer also counts as an acknowledgement."),
    ("Percentages", "On-time percentages are of all requests of the period, including those "
     "still open and those withdrawn, rounded half up to one decimal."),
    ("Median and 90th percentile", "The median is the middle time (the mean of the two middle "
     "times when their number is even); the 90th percentile is the smallest time within which "
     "at least 90% were made (nearest rank: the ceil(0.9 n)-th smallest). Both in hours, "
     "computed from whole microseconds and rounded half up to two decimals."),
    ("Open and overdue", "Open: neither answered nor withdrawn when the review was generated. "
     "Overdue: open, and a deadline not met has passed."),
    ("Escalations", "Every escalation to the hotline recorded for the requests of the period, "
     "whether raised automatically when a deadline passed or by hand."),
    ("Rating", "The requesting party's latest rating of the answer, from 1 (useless) to 5 "
     "(complete and timely); the mean is rounded half up to two decimals."),
    ("Exercises", "Requests marked as exercises (drills) are reported apart and counted in "
     "no other figure."),
)

# The scalar figures, in the order of the CSV columns (never reorder: people chart them).
CSV_FIGURES: tuple[str, ...] = (
    "requests", "acknowledged", "acknowledged_on_time", "acknowledged_on_time_pct", "answered",
    "answered_on_time", "answered_on_time_pct", "median_hours_to_acknowledge",
    "p90_hours_to_acknowledge", "median_hours_to_answer", "p90_hours_to_answer", "open_now",
    "overdue_now", "escalations", "ratings", "mean_rating", "withdrawn", "backdated_acts",
)


def render(review: Review, fmt: str) -> str:
    """The review as text in `fmt`: one of FORMATS."""
    if fmt == "json":
        return orjson.dumps(to_dict(review),
                            option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"
    if fmt == "md":
        return _markdown(review)
    if fmt == "csv":
        return _csv(review)
    if fmt == "html":
        return _html(review)
    raise ValueError(f"unknown review format {fmt!r}: choose one of {', '.join(FORMATS)}")


def _groups(review: Review) -> tuple[tuple[str, bool, Mapping[str, DirectionFigures]], ...]:
    return (("Requests", False, review.directions),
            ("Exercises (drills, counted in no figure above)", True, review.exercises))


def _moment(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    if moment.second == moment.microsecond == 0:
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def _period(review: Review) -> str:
    return (f"Requests received from {_moment(review.start)} up to, not including, "
            f"{_moment(review.end)}. Generated {_moment(review.generated_at)}.")


def _share(part: int, pct: float | None) -> str:
    return f"{part} ({pct}%)" if pct is not None else str(part)


def _hours(value: float | None) -> str:
    return "no data" if value is None else f"{value:.2f} hours"


def _counts(counts: Mapping[str, int]) -> str:
    """Counts in words: "information provided 3, declined 1" (vocabulary without hyphens)."""
    return ", ".join(f"{name.replace('-', ' ')} {count}"
                     for name, count in counts.items()) or "none"


def _summary_rows(f: DirectionFigures) -> list[tuple[str, str]]:
    """The headline figures of one direction, as (label, value) in plain words."""
    reasons = f", of which {_counts(f.escalations_by_reason)}" if f.escalations else ""
    rating = ("none" if f.mean_rating is None
              else f"{f.mean_rating:.2f} out of 5 ({f.ratings} rated)")
    return [
        ("Requests received", str(f.requests)),
        ("Acknowledged", str(f.acknowledged)),
        ("Acknowledged on time", _share(f.acknowledged_on_time, f.acknowledged_on_time_pct)),
        ("Answered", str(f.answered)),
        ("Answered on time", _share(f.answered_on_time, f.answered_on_time_pct)),
        ("Median time to acknowledge", _hours(f.median_hours_to_acknowledge)),
        ("90% acknowledged within", _hours(f.p90_hours_to_acknowledge)),
        ("Median time to answer", _hours(f.median_hours_to_answer)),
        ("90% answered within", _hours(f.p90_hours_to_answer)),
        ("Still open", str(f.open_now)),
        ("Overdue now", str(f.overdue_now)),
        ("Withdrawn", str(f.withdrawn)),
        ("Acts backdated", str(f.backdated_acts)),
        ("Escalations to the hotline", f"{f.escalations}{reasons}"),
        ("Quality rating", rating),
    ]


def _breakdowns(f: DirectionFigures) -> list[tuple[str, Mapping[str, int]]]:
    return [("By kind", f.by_kind), ("By category", f.by_category),
            ("By urgency", f.by_urgency), ("Outcomes of answers", f.outcomes)]


# Markdown

def _md(text: str) -> str:
    """Text safe in a Markdown heading or table cell: markup shown, never run (a party name
    is whatever that party chose)."""
    return (escape(text, quote=False).replace("\\", "\\\\").replace("|", "\\|")
            .replace("\n", " "))


def _markdown(review: Review) -> str:
    lines = ["# Review of requests for information and assistance", "", _period(review), ""]
    for title, is_exercise, directions in _groups(review):
        if not directions and is_exercise:
            continue
        lines += [f"## {title}", ""]
        if not directions:
            lines += ["No requests in this period.", ""]
        for f in directions.values():
            lines += [f"### From {_md(f.requester)} to {_md(f.addressee)}", "",
                      "| Figure | Value |", "|---|---|"]
            lines += [f"| {label} | {_md(value)} |" for label, value in _summary_rows(f)]
            lines += [f"| {label} | {_md(_counts(counts))} |"
                      for label, counts in _breakdowns(f)]
            lines += ["", "| Quarter received | Requests | Acknowledged on time "
                      "| Answered on time |", "|---|--:|--:|--:|"]
            lines += [f"| {q} | {c.requests} | {c.acknowledged_on_time} | {c.answered_on_time} |"
                      for q, c in f.quarters.items()]
            lines += ["", "| Time to answer | Answers |", "|---|--:|"]
            lines += [f"| {label.replace('<=', 'up to ').replace('>', 'over ')} | {count} |"
                      for label, count in f.hours_to_answer_histogram.items()]
            lines.append("")
    lines += ["---", "", "**Definitions**", ""]
    lines += [f"- *{term}.* {text}" for term, text in DEFINITIONS]
    return "\n".join(lines) + "\n"


# CSV

def _csv(review: Review) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("direction", "requester", "addressee", "exercise", *CSV_FIGURES))
    for _, is_exercise, directions in _groups(review):
        for key, f in directions.items():
            values = (getattr(f, name) for name in CSV_FIGURES)
            writer.writerow((key, f.requester, f.addressee, "yes" if is_exercise else "no",
                             *("" if v is None else v for v in values)))
    return out.getvalue()


# HTML

_CSS = """
body { font-family: Georgia, 'Times New Roman', serif; color: #111; margin: 2rem auto;
       max-width: 60rem; line-height: 1.4; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.3rem; border-bottom: 1px solid #888; }
h3 { font-size: 1.1rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #999; padding: 0.2rem 0.6rem; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
svg text { font-family: Arial, Helvetica, sans-serif; font-size: 11px; fill: #111; }
dt { font-weight: bold; } dd { margin: 0 0 0.6rem 1.5rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  section.direction { break-inside: avoid; page-break-inside: avoid; }
  h2 { break-after: avoid; page-break-after: avoid; }
}
"""
_ACK_COLOUR, _ANSWER_COLOUR, _BAR_COLOUR = "#3b6ea5", "#d9822b", "#5f7f3f"


def _html(review: Review) -> str:
    title = (f"Review of requests for information and assistance, "
             f"{review.start:%Y-%m-%d} to {review.end:%Y-%m-%d}")
    body = [f"<h1>{escape(title)}</h1>", f"<p>{escape(_period(review))}</p>",
            html_sections(review)]
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def html_sections(review: Review) -> str:
    """The report's body without its page: each direction with its tables and charts, and
    the definitions (the web UI shows them inside its own page)."""
    body: list[str] = []
    for group, is_exercise, directions in _groups(review):
        if not directions and is_exercise:
            continue
        body.append(f"<h2>{escape(group)}</h2>")
        if not directions:
            body.append("<p>No requests in this period.</p>")
        for f in directions.values():
            body.append(_html_direction(f))
    body.append("<h2>Definitions</h2><dl>")
    body += [f"<dt>{escape(term)}</dt><dd>{escape(text)}</dd>" for term, text in DEFINITIONS]
    body.append("</dl>")
    return "\n".join(body)


def _html_direction(f: DirectionFigures) -> str:
    heading = f"From {f.requester} to {f.addressee}"
    rows = _summary_rows(f)
    rows += [(label, _counts(counts)) for label, counts in _breakdowns(f)]
    table = "".join(f"<tr><th scope=\"row\">{escape(label)}</th><td>{escape(value)}</td></tr>"
                    for label, value in rows)
    quarters = "".join(
        f"<tr><td>{escape(q)}</td><td class=\"n\">{c.requests}</td>"
        f"<td class=\"n\">{c.acknowledged_on_time}</td><td class=\"n\">{c.answered_on_time}</td>"
        "</tr>" for q, c in f.quarters.items())
    return (f"<section class=\"direction\">\n<h3>{escape(heading)}</h3>\n"
            f"<table><caption>{escape(heading)}: summary</caption>{table}</table>\n"
            "<table><caption>By quarter of receipt</caption><tr><th>Quarter</th>"
            "<th>Requests</th><th>Acknowledged on time</th><th>Answered on time</th></tr>"
            f"{quarters}</table>\n"
            f"<div class=\"charts\">\n{_on_time_chart(f, heading)}\n"
            f"{_histogram_chart(f, heading)}\n</div>\n</section>")


def _svg(width: int, height: int, label: str, parts: Sequence[str]) -> str:
    return (f"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" "
            f"viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{escape(label)}\">"
            f"<title>{escape(label)}</title>" + "".join(parts) + "</svg>")


def _text(x: float, y: float, text: str, anchor: str = "middle", extra: str = "") -> str:
    return (f"<text x=\"{x:.1f}\" y=\"{y:.1f}\" text-anchor=\"{anchor}\"{extra}>"
            f"{escape(text)}</text>")


def _rect(x: float, y: float, width: float, height: float, colour: str, tip: str) -> str:
    return (f"<rect x=\"{x:.1f}\" y=\"{y:.1f}\" width=\"{width:.1f}\" height=\"{height:.1f}\" "
            f"fill=\"{colour}\"><title>{escape(tip)}</title></rect>")


def _axes(left: int, top: int, width: int, height: int, ticks: Sequence[tuple[float, str]],
          y_title: str, x_title: str) -> list[str]:
    """A y axis with gridlines at `ticks` (fraction of the height, label), an x axis, titles."""
    parts = []
    for fraction, label in ticks:
        y = top + height * (1 - fraction)
        parts.append(f"<line x1=\"{left}\" x2=\"{left + width}\" y1=\"{y:.1f}\" y2=\"{y:.1f}\" "
                     "stroke=\"#ccc\"/>")
        parts.append(_text(left - 6, y + 4, label, "end"))
    parts.append(f"<line x1=\"{left}\" x2=\"{left + width}\" y1=\"{top + height}\" "
                 f"y2=\"{top + height}\" stroke=\"#111\"/>")
    parts.append(f"<line x1=\"{left}\" x2=\"{left}\" y1=\"{top}\" y2=\"{top + height}\" "
                 "stroke=\"#111\"/>")
    middle = top + height / 2
    parts.append(_text(14, middle, y_title, extra=f" transform=\"rotate(-90 14 {middle:.1f})\""))
    parts.append(_text(left + width / 2, top + height + 34, x_title))
    return parts


def _on_time_chart(f: DirectionFigures, heading: str) -> str:
    """Grouped bars per quarter: the share of its requests acknowledged and answered on time."""
    label = f"{heading}: share of requests acknowledged and answered on time, by quarter"
    if not f.quarters:
        return ""
    left, top, plot_w, plot_h = 56, 30, max(300, 90 * len(f.quarters)), 180
    parts = _axes(left, top, plot_w, plot_h, [(i / 4, f"{25 * i}%") for i in range(5)],
                  "On time (% of requests)", "Quarter the request was received")
    group_w = plot_w / len(f.quarters)
    bar_w = group_w * 0.32
    for i, (quarter, figures) in enumerate(f.quarters.items()):
        x0 = left + group_w * i + group_w * 0.16
        for j, (count, colour, what) in enumerate((
                (figures.acknowledged_on_time, _ACK_COLOUR, "acknowledged on time"),
                (figures.answered_on_time, _ANSWER_COLOUR, "answered on time"))):
            share = count / figures.requests if figures.requests else 0.0
            x, height = x0 + j * bar_w, plot_h * share
            tip = f"{quarter}: {count} of {figures.requests} {what} ({100 * share:.1f}%)"
            parts.append(_rect(x, top + plot_h - height, bar_w, height, colour, tip))
            parts.append(_text(x + bar_w / 2, top + plot_h - height - 3, f"{100 * share:.0f}%"))
        parts.append(_text(left + group_w * (i + 0.5), top + plot_h + 16, quarter))
    legend_y = 14
    for k, (colour, what) in enumerate(((_ACK_COLOUR, "acknowledged on time"),
                                        (_ANSWER_COLOUR, "answered on time"))):
        x = left + 170 * k
        parts.append(f"<rect x=\"{x}\" y=\"{legend_y - 9}\" width=\"10\" height=\"10\" "
                     f"fill=\"{colour}\"/>")
        parts.append(_text(x + 14, legend_y, what, "start"))
    return _svg(left + plot_w + 16, top + plot_h + 44, label, parts)


def _nice_step(largest: int) -> int:
    """A round tick step (1, 2 or 5 times a power of ten) giving at most five steps."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if largest <= step * factor * 5:
                return step * factor
        step *= 10


def _histogram_chart(f: DirectionFigures, heading: str) -> str:
    label = f"{heading}: how long answers took, from receipt"
    buckets = f.hours_to_answer_histogram
    if not buckets or not sum(buckets.values()):
        return ""
    largest = max(buckets.values())
    step = _nice_step(largest)
    top_value = step * -(-largest // step)
    left, top, plot_w, plot_h = 56, 20, 420, 180
    ticks = [(v / top_value, str(v)) for v in range(0, top_value + 1, step)]
    parts = _axes(left, top, plot_w, plot_h, ticks, "Answers", "Time from receipt to answer")
    bar_w = plot_w / len(buckets)
    for i, (bucket, count) in enumerate(buckets.items()):
        words = bucket.replace("<=", "up to ").replace(">", "over ")
        height = plot_h * count / top_value
        x = left + bar_w * i
        parts.append(_rect(x + bar_w * 0.1, top + plot_h - height, bar_w * 0.8, height,
                           _BAR_COLOUR, f"{words}: {count} answers"))
        parts.append(_text(x + bar_w / 2, top + plot_h - height - 3, str(count)))
        parts.append(_text(x + bar_w / 2, top + plot_h + 16, bucket.replace("<=", "≤")))
    return _svg(left + plot_w + 16, top + plot_h + 44, label, parts)
