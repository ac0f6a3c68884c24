"""Renderings of the review: JSON, Markdown, CSV and a self-contained HTML page."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from html.parser import HTMLParser

import orjson
import pytest

from accord.cooperation.ledger import derive
from accord.cooperation.model import Acknowledgement, Ledger, Receipt, Request, Response
from accord.cooperation.report import CSV_FIGURES, FORMATS, render
from accord.cooperation.review import Review, review, to_dict

US = "identity--00000000-0000-4000-8000-0000000000a1"
CN = "identity--00000000-0000-4000-8000-0000000000c1"
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 7, 1, tzinfo=UTC)
NOW = datetime(2026, 7, 10, tzinfo=UTC)
HOSTILE = "<script>alert('x')</script> & | pipe"


def one_request(name: str, requester: str, addressee: str, received: datetime,
                is_exercise: bool = False) -> Ledger:
    rid = f"x-accord-request--{name}"
    request = Request(rid, received, requester, addressee, "information", "intrusion",
                      "urgent", "summary", is_exercise=is_exercise)
    receipt = Receipt(f"x-accord-receipt--{name}", rid, addressee, received, received=received,
                      acknowledge_by=datetime(2026, 2, 1, tzinfo=UTC),
                      respond_by=datetime(2026, 3, 1, tzinfo=UTC))
    return Ledger(request, (
        receipt, Acknowledgement(f"x-accord-ack--{name}", rid, addressee, received),
        Response(f"x-accord-response--{name}", rid, addressee, datetime(2026, 5, 1, tzinfo=UTC),
                 outcome="declined")))


def sample(names: dict[str, str] | None = None) -> Review:
    ledgers = [one_request("1", US, CN, datetime(2026, 1, 5, tzinfo=UTC)),
               one_request("2", US, CN, datetime(2026, 4, 5, tzinfo=UTC)),
               one_request("3", CN, US, datetime(2026, 2, 5, tzinfo=UTC)),
               one_request("4", CN, US, datetime(2026, 2, 6, tzinfo=UTC), is_exercise=True)]
    return review([derive(ledger, NOW) for ledger in ledgers], start=START, end=END, now=NOW,
                  names=names if names is not None else {US: "US", CN: "CN"})


def test_json_is_the_review_as_data_with_sorted_keys():
    text = render(sample(), "json")
    assert orjson.loads(text) == orjson.loads(orjson.dumps(to_dict(sample())))
    assert text.index('"directions"') < text.index('"exercises"') < text.index('"period"')
    assert text.startswith("{\n  ")


def test_markdown_has_a_table_per_direction_and_the_definitions():
    text = render(sample(), "md")
    assert "### From US to CN" in text and "### From CN to US" in text
    assert "| Acknowledged on time | 1 (50.0%) |" in text  # US->CN: one of two on time
    assert "| Outcomes of answers | declined 2 |" in text
    assert "## Exercises" in text
    assert "**Definitions**" in text
    assert "exactly at the deadline is on time" in text


def test_markdown_shows_markup_in_names_and_never_runs_it():
    text = render(sample({US: HOSTILE, CN: "CN"}), "md")
    assert "<script>" not in text
    assert "### From &lt;script&gt;alert('x')&lt;/script&gt; &amp; \\| pipe to CN" in text


def test_csv_has_one_row_per_direction_and_exercise_flag_in_a_stable_column_order():
    rows = list(csv.reader(io.StringIO(render(sample(), "csv"))))
    assert rows[0] == ["direction", "requester", "addressee", "exercise", *CSV_FIGURES]
    assert rows[0][4:8] == ["requests", "acknowledged", "acknowledged_on_time",
                            "acknowledged_on_time_pct"]
    table = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [(r["direction"], r["exercise"]) for r in table] == [
        ("CN->US", "no"), ("US->CN", "no"), ("CN->US", "yes")]
    us_cn = table[1]
    assert (us_cn["requests"], us_cn["acknowledged_on_time"], us_cn["answered_on_time"]) == (
        "2", "1", "0")
    assert us_cn["mean_rating"] == ""  # None: no ratings


class _Balance(HTMLParser):
    """Records what a browser would fetch or run, and checks that elements are closed."""

    VOID = {"meta", "br", "img", "link", "input", "hr", "line", "rect"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.fetches: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.fetches += [f"{tag} {name}" for name, _ in attrs if name in ("src", "href")]
        if tag in ("script", "link", "iframe", "object", "img"):
            self.fetches.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.fetches += [f"{tag} {name}" for name, _ in attrs if name in ("src", "href")]

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()


def test_html_is_one_self_contained_page_with_charts_and_definitions():
    page = render(sample({US: HOSTILE, CN: "CN"}), "html")
    assert page.startswith("<!DOCTYPE html>")
    parser = _Balance()
    parser.feed(page)
    assert parser.stack == [] and parser.fetches == []
    assert "url(" not in page and "@import" not in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "@media print" in page
    assert "<h2>Definitions</h2>" in page and "exactly at the deadline is on time" in page
    svgs = re.findall(r"<svg.*?</svg>", page, re.S)
    # Per direction (and the exercise): the on-time chart and the histogram.
    assert len(svgs) == 6
    for svg in svgs:
        root = ET.fromstring(svg)  # well-formed XML, drawn within its view box
        _, _, width, height = (float(v) for v in root.attrib["viewBox"].split())
        for rect in root.iter("{http://www.w3.org/2000/svg}rect"):
            x, y = float(rect.attrib["x"]), float(rect.attrib["y"])
            assert 0 <= x <= width and 0 <= y <= height
            assert y + float(rect.attrib["height"]) <= height
    assert "Quarter the request was received" in svgs[0]
    assert "2026-Q1" in page and "2026-Q2" in page


def test_html_bars_show_the_quarters_on_time_share():
    page = render(sample(), "html")
    # US->CN, 2026-Q1: one request, acknowledged on time (100%), answered late (0%).
    assert "2026-Q1: 1 of 1 acknowledged on time (100.0%)" in page
    assert "2026-Q1: 0 of 1 answered on time (0.0%)" in page


def test_an_empty_review_renders_in_every_format():
    empty = review([], start=START, end=END, now=NOW, names={})
    for fmt in FORMATS:
        assert render(empty, fmt)
    assert "No requests in this period." in render(empty, "md")


def test_unknown_format_names_the_allowed_ones():
    with pytest.raises(ValueError, match="json, md, csv, html"):
        render(sample(), "pdf")
