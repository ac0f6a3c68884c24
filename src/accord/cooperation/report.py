"""The review, rendered for people and programs: JSON, Markdown, CSV, a self-contained HTML
page with its charts drawn as inline SVG (no external assets, no JavaScript), and a print-ready
PDF made from that page. People's renderings are in English, Chinese, or both side by side:
one computation, the same figures in each language."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from html import escape

import orjson

from accord.cooperation.review import DirectionFigures, Review, to_dict
from accord.cooperation.review_charts import histogram_chart, on_time_chart
from accord.cooperation.review_pdf import pdf_from_html
from accord.cooperation.review_words import (
    REPORT_LANGUAGES,
    Words,
    breakdowns,
    bucket,
    counts,
    csv_headings,
    definitions,
    direction,
    groups,
    languages_of,
    period,
    summary_rows,
    title,
    yes_or_no,
)
from accord.spreadsheet import BOM, inert

FORMATS = ("json", "md", "csv", "html")
# What can be downloaded: the text formats and the PDF (bytes, made from the HTML).
DOCUMENT_FORMATS = (*FORMATS, "pdf")
__all__ = ["CSV_FIGURES", "DOCUMENT_FORMATS", "FORMATS", "REPORT_LANGUAGES", "document",
           "html_sections", "render"]

# The scalar figures, in the order of the CSV columns (never reorder: people chart them).
CSV_FIGURES: tuple[str, ...] = (
    "requests", "acknowledged", "acknowledged_on_time", "acknowledged_on_time_pct", "answered",
    "answered_on_time", "answered_on_time_pct", "median_hours_to_acknowledge",
    "p90_hours_to_acknowledge", "median_hours_to_answer", "p90_hours_to_answer", "open_now",
    "overdue_now", "escalations", "ratings", "mean_rating", "withdrawn", "backdated_acts",
)
CSV_COLUMNS: tuple[str, ...] = ("direction", "requester", "addressee", "exercise", *CSV_FIGURES)


def render(review: Review, fmt: str, lang: str = "en") -> str:
    """The review as text in `fmt` (one of FORMATS), its words in `lang` (one of
    REPORT_LANGUAGES; JSON is data for programs and has no words to translate, CSV only its
    column headings and yes or no)."""
    languages = languages_of(lang)
    if fmt == "json":
        return orjson.dumps(to_dict(review),
                            option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"
    if fmt == "md":
        # Markdown has no columns: the languages one after the other.
        return "\n---\n\n".join(_markdown(review, Words(language)) for language in languages)
    if fmt == "csv":
        return _csv(review, lang)
    if fmt == "html":
        return _html(review, languages)
    raise ValueError(f"unknown review format {fmt!r}: choose one of {', '.join(FORMATS)}")


def document(review: Review, fmt: str, lang: str = "en") -> bytes:
    """The review as a file to download or write: one of DOCUMENT_FORMATS. The PDF is the
    HTML page printed (raises review_pdf.PdfUnavailable when the renderer is missing)."""
    if fmt == "pdf":
        return pdf_from_html(_html(review, languages_of(lang)))
    if fmt not in FORMATS:
        raise ValueError(f"unknown review format {fmt!r}: choose one of "
                         f"{', '.join(DOCUMENT_FORMATS)}")
    # A CSV file begins with UTF-8's byte-order mark: without it Excel reads it in the
    # system's code page, and parties' names in Chinese come out garbled.
    return ((BOM if fmt == "csv" else "") + render(review, fmt, lang)).encode()


# Markdown

def _md(text: str) -> str:
    """Text safe in a Markdown heading or table cell: markup shown, never run (a party name
    is whatever that party chose)."""
    return (escape(text, quote=False).replace("\\", "\\\\").replace("|", "\\|")
            .replace("\n", " "))


def _markdown(review: Review, w: Words) -> str:
    heading = w._("Review of requests for information and assistance")
    figure, value, quarter, requests = w._("Figure"), w._("Value"), w._("Quarter received"), \
        w._("Requests")
    acknowledged, answered = w._("Acknowledged on time"), w._("Answered on time")
    time_to_answer, answers = w._("Time to answer"), w._("Answers")
    lines = [f"# {heading}", "", period(w, review), ""]
    for heading, is_exercise, directions in groups(w, review):
        if not directions and is_exercise:
            continue
        lines += [f"## {heading}", ""]
        if not directions:
            lines += [w._("No requests in this period."), ""]
        for f in directions.values():
            lines += [f"### {_md(direction(w, f))}", "",
                      f"| {figure} | {value} |", "|---|---|"]
            lines += [f"| {label} | {_md(value)} |" for label, value in summary_rows(w, f)]
            lines += [f"| {label} | {_md(counts(w, tally))} |"
                      for label, tally in breakdowns(w, f)]
            lines += ["", f"| {quarter} | {requests} | {acknowledged} | {answered} |",
                      "|---|--:|--:|--:|"]
            lines += [f"| {q} | {c.requests} | {c.acknowledged_on_time} | {c.answered_on_time} |"
                      for q, c in f.quarters.items()]
            lines += ["", f"| {time_to_answer} | {answers} |", "|---|--:|"]
            lines += [f"| {bucket(w, label)[1]} | {count} |"
                      for label, count in f.hours_to_answer_histogram.items()]
            lines.append("")
    definitions_heading = w._("Definitions")
    lines += ["---", "", f"**{definitions_heading}**", ""]
    lines += [f"- *{term}.* {text}" for term, text in definitions(w)]
    return "\n".join(lines) + "\n"


# CSV

def _csv(review: Review, lang: str) -> str:
    """The figures as CSV, each cell one a spreadsheet shows and never runs (parties' names
    are theirs to choose: spreadsheet.inert). In English the columns have their stable names,
    for programs; in Chinese (or both) each column says its figure in words, its stable name
    after it, so that an official reads the sheet and a program still finds its columns."""
    if lang == "en":
        headings = list(CSV_COLUMNS)
        yes, no = "yes", "no"
    else:
        w = Words("zh-Hans")
        words = csv_headings(w)
        headings = [f"{words[name]} ({name})" for name in CSV_COLUMNS]
        yes, no = yes_or_no(w, True), yes_or_no(w, False)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(headings)
    for is_exercise, directions in ((False, review.directions), (True, review.exercises)):
        for key, f in directions.items():
            values = (getattr(f, name) for name in CSV_FIGURES)
            writer.writerow((inert(key), inert(f.requester), inert(f.addressee),
                             yes if is_exercise else no,
                             *("" if v is None else v for v in values)))
    return out.getvalue()


# HTML

_CSS = """
@page { size: A4; margin: 15mm 14mm; }
@page both { size: A4 landscape; margin: 12mm; }
body { font-family: Georgia, 'Times New Roman', 'Noto Serif CJK SC', 'Noto Sans CJK SC', serif;
       color: #111; margin: 2rem auto; max-width: 60rem; line-height: 1.4; padding: 0 1rem; }
body.both { max-width: 110rem; page: both; }
:lang(zh-Hans) { font-family: 'Noto Sans CJK SC', 'Noto Serif CJK SC', sans-serif; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.3rem; border-bottom: 1px solid #888; }
h3 { font-size: 1.1rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #999; padding: 0.2rem 0.6rem; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
svg { max-width: 100%; height: auto; }
dt { font-weight: bold; } dd { margin: 0 0 0.6rem 1.5rem; }
/* A table's row, not a grid: printed, each row stays whole on its page (rows are short). */
.side-by-side { display: table; table-layout: fixed; width: 100%; }
.side-by-side > * { display: table-cell; width: 50%; vertical-align: top; padding-right: 2rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; line-height: 1.3; }
  body.both { font-size: 8.5pt; }
  h1 { font-size: 15pt; margin: 0 0 4pt; } h2 { font-size: 13pt; margin: 8pt 0 4pt; }
  h3 { font-size: 11pt; margin: 8pt 0 2pt; }
  th, td { padding: 1pt 4pt; } table { margin: 2pt 0 6pt; }
  table, svg, .side-by-side { break-inside: avoid; page-break-inside: avoid; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
}
"""


def _html(review: Review, languages: tuple[str, ...]) -> str:
    both = len(languages) > 1
    heads = [f"<h1>{escape(title(Words(language), review))}</h1>\n"
             f"<p>{escape(period(Words(language), review))}</p>" for language in languages]
    page_title = " / ".join(title(Words(language), review) for language in languages)
    body = [_side_by_side([heads], languages) if both else heads[0],
            _sections(review, languages)]
    body_class = " class=\"both\"" if both else ""
    return (f"<!DOCTYPE html>\n<html lang=\"{'en' if both else languages[0]}\">\n<head>\n"
            f"<meta charset=\"utf-8\">\n<title>{escape(page_title)}</title>\n"
            f"<style>{_CSS}</style>\n</head>\n<body{body_class}>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def html_sections(review: Review, lang: str = "en") -> str:
    """The report's body without its page: the period, each direction with its tables and
    charts, and the definitions (the web UI shows them inside its own page)."""
    languages = languages_of(lang)
    periods = [f"<p class=\"period\">{escape(period(Words(language), review))}</p>"
               for language in languages]
    shown = _side_by_side([periods], languages) if len(languages) > 1 else periods[0]
    return shown + "\n" + _sections(review, languages)


def _sections(review: Review, languages: tuple[str, ...]) -> str:
    blocks = [_blocks(review, Words(language)) for language in languages]
    if len(languages) == 1:
        return "\n".join(_section(kind == "direction", parts) for kind, parts in blocks[0])
    # Each part (a table, a chart) beside its translation, so the two columns line up and a
    # page may break between any two parts; a group's heading goes with the part after it.
    shown, heading = [], None
    for translations in zip(*blocks, strict=True):
        kind = translations[0][0]
        rows = list(zip(*(parts for _, parts in translations), strict=True))
        if kind == "heading":
            heading = rows[0]
            continue
        if heading is not None:
            rows[0] = tuple(h + part for h, part in zip(heading, rows[0], strict=True))
            heading = None
        shown.append(_section(kind == "direction", [_side_by_side(rows, languages)]))
    return "\n".join(shown)


def _section(is_direction: bool, parts: list[str]) -> str:
    inside = "\n".join(parts)
    return f"<section class=\"direction\">\n{inside}\n</section>" if is_direction else inside


def _side_by_side(rows: Iterable[Iterable[str]], languages: tuple[str, ...]) -> str:
    return "\n".join(
        "<div class=\"side-by-side\">" + "".join(
            f"<div lang=\"{language}\">{part}</div>"
            for language, part in zip(languages, row, strict=True)) + "</div>"
        for row in rows)


def _blocks(review: Review, w: Words) -> list[tuple[str, list[str]]]:
    """The report in blocks (heading, direction or other, its parts) that stand beside their
    translation: the same blocks and parts, in the same order, whatever the language."""
    blocks: list[tuple[str, list[str]]] = []
    for heading, is_exercise, directions in groups(w, review):
        if not directions and is_exercise:
            continue
        if directions:
            blocks.append(("heading", [f"<h2>{escape(heading)}</h2>"]))
        else:
            empty = escape(w._("No requests in this period."))
            blocks.append(("other", [f"<h2>{escape(heading)}</h2><p>{empty}</p>"]))
        blocks += [("direction", _direction_parts(w, f)) for f in directions.values()]
    blocks.append(("other", ["<h2>" + escape(w._("Definitions")) + "</h2><dl>" + "".join(
        f"<dt>{escape(term)}</dt><dd>{escape(text)}</dd>" for term, text in definitions(w))
        + "</dl>"]))
    return blocks


def _direction_parts(w: Words, f: DirectionFigures) -> list[str]:
    """Heading and summary table, table by quarter, the charts (each a part of its own)."""
    heading = direction(w, f)
    rows = summary_rows(w, f)
    rows += [(label, counts(w, tally)) for label, tally in breakdowns(w, f)]
    table = "".join(f"<tr><th scope=\"row\">{escape(label)}</th><td>{escape(value)}</td></tr>"
                    for label, value in rows)
    quarters = "".join(
        f"<tr><td>{escape(q)}</td><td class=\"n\">{c.requests}</td>"
        f"<td class=\"n\">{c.acknowledged_on_time}</td><td class=\"n\">{c.answered_on_time}</td>"
        "</tr>" for q, c in f.quarters.items())
    summary = w._("{heading}: summary", heading=heading)
    columns = "".join(f"<th>{escape(name)}</th>" for name in (
        w._("Quarter"), w._("Requests"), w._("Acknowledged on time"), w._("Answered on time")))
    by_quarter = w._("By quarter of receipt")
    # The heading and the summary are one part: a page never ends with a heading.
    return [f"<h3>{escape(heading)}</h3>\n<table><caption>{escape(summary)}</caption>{table}"
            "</table>",
            f"<table><caption>{escape(by_quarter)}</caption><tr>{columns}</tr>{quarters}"
            "</table>",
            f"<div class=\"charts\">{on_time_chart(w, f, heading)}</div>",
            f"<div class=\"charts\">{histogram_chart(w, f, heading)}</div>"]
