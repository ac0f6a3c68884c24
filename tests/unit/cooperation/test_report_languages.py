"""The review in English, Chinese or both side by side: one computation, the same figures in
each language, and a print-ready PDF made from the HTML."""

from __future__ import annotations

import io
import re
import sys

import pytest
from pypdf import PdfReader
from tests.unit.cooperation.test_report import CN, US, sample

from accord.cooperation.report import document, html_sections, render
from accord.cooperation.review_charts import on_time_chart, text_width
from accord.cooperation.review_pdf import PdfUnavailable
from accord.cooperation.review_words import Words

# US->CN in the sample: two requests, one acknowledged on time, both answered late.
FIGURES = ("1 (50.0%)", "0 (0.0%)", "2026-Q1", "2026-Q2")


def _cells(html: str) -> list[str]:
    """The values of the summary tables, in order."""
    return re.findall(r"<tr><th scope=\"row\">[^<]*</th><td>([^<]*)</td></tr>", html)


def _pdf_text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_the_chinese_report_has_chinese_words_and_the_english_figures():
    english, chinese = render(sample(), "html", "en"), render(sample(), "html", "zh-Hans")
    assert '<html lang="zh-Hans">' in chinese
    assert "按时确认收到" in chinese and "定义" in chinese and "从 US 至 CN" in chinese
    assert "Acknowledged on time" not in chinese and "Definitions" not in chinese
    numbers = [re.sub(r"[^\d.%()]", "", cell) for cell in _cells(english)]
    assert numbers == [re.sub(r"[^\d.%()]", "", cell) for cell in _cells(chinese)]
    for figure in FIGURES:
        assert figure in english and figure in chinese


def test_both_languages_stand_side_by_side_with_the_same_numbers_twice():
    both = html_sections(sample(), "both")
    english, chinese = _cells(html_sections(sample(), "en")), _cells(
        html_sections(sample(), "zh-Hans"))
    assert both.count('<div lang="en">') == both.count('<div lang="zh-Hans">') > 0
    cells = _cells(both)
    # Row by row, the English part then its translation: every value is there twice.
    assert sorted(cells) == sorted(english + chinese)
    assert "1 (50.0%)" in english and "1 (50.0%)" in chinese
    assert cells.count("1 (50.0%)") == 2 * english.count("1 (50.0%)")
    page = render(sample(), "html", "both")
    assert '<body class="both">' in page and "A4 landscape" in page


def test_markdown_in_both_languages_is_one_after_the_other():
    text = render(sample(), "md", "both")
    assert text.index("# Review of requests") < text.index("# 信息与协助请求评估")
    assert text.count("| 1 (50.0%) |") == 2


def test_an_unknown_language_names_the_choices():
    with pytest.raises(ValueError, match="en, zh-Hans, both"):
        render(sample(), "html", "fr")


@pytest.mark.parametrize("lang", ["en", "zh-Hans", "both"])
def test_the_pdf_has_pages_and_the_report_s_words_and_figures(lang):
    pdf = document(sample(), "pdf", lang)
    assert pdf.startswith(b"%PDF-")
    pages, text = _pdf_text(pdf)
    assert pages >= 1
    flat = re.sub(r"\s+", "", text)
    for figure in FIGURES:
        assert figure.replace(" ", "") in flat, figure
    if lang != "en":
        assert "按时确认收到" in flat and "信息与协助请求评估" in flat
    if lang != "zh-Hans":
        assert "Acknowledgedontime" in flat
    # The charts are drawn into the PDF (their axis titles are text in it).
    assert ("Quartertherequestwasreceived" in flat) == (lang != "zh-Hans")
    if lang != "en":
        assert "收到请求的季度" in flat
        # Chinese in Chinese forms throughout, the charts too: no Japanese font fell back in.
        assert not [f for f in _fonts(pdf) if "JP" in f or "KR" in f], _fonts(pdf)


def test_a_party_named_like_a_formula_is_text_in_the_csv():
    import csv

    text = render(sample({US: '=HYPERLINK("http://x")', CN: "CN"}), "csv")
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert "'=HYPERLINK(\"http://x\")" in cells
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))], cells


def _fonts(pdf: bytes) -> set[str]:
    """The fonts a PDF's pages and their drawings (the charts) use."""
    found: set[str] = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources = [page["/Resources"]]
        for drawing in resources[0].get("/XObject", {}).values():
            resources.append(drawing.get_object().get("/Resources", {}))
        for each in resources:
            found |= {str(f.get_object()["/BaseFont"]) for f in each.get("/Font", {}).values()}
    return found


def test_without_the_pdf_renderer_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import fails as if not installed
    with pytest.raises(PdfUnavailable, match="Install the Python package 'weasyprint'"):
        document(sample(), "pdf", "en")


def test_other_formats_are_the_text_renderings_as_bytes():
    # A CSV file with UTF-8's byte-order mark: Excel reads Chinese names as Chinese with it.
    assert document(sample(), "csv", "zh-Hans") == \
        b"\xef\xbb\xbf" + render(sample(), "csv", "zh-Hans").encode()
    assert document(sample(), "md", "zh-Hans") == render(sample(), "md", "zh-Hans").encode()
    with pytest.raises(ValueError, match="pdf"):
        document(sample(), "docx")


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_legend_entries_are_placed_by_the_width_of_their_words(lang):
    review = sample()
    figures = next(iter(review.directions.values()))
    svg = on_time_chart(Words(lang), figures, "heading")
    assert 'font-size="11"' in svg  # the chart's own size, whatever page it is in
    legends = re.findall(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="start" '
                         r'class="legend">([^<]+)</text>', svg)
    assert len(legends) == 2
    (x1, first), (x2, _) = legends
    assert float(x1) + text_width(first) < float(x2) - 10


def test_a_period_of_whole_days_is_named_by_its_first_and_last_day():
    # Reviewed up to 1 July 00:00: the last day reviewed is 30 June, which the heading names
    # (not 1 July, which a reader would take for a day reviewed), in both languages.
    from dataclasses import replace
    from datetime import UTC, datetime

    halves = replace(sample(), start=datetime(2026, 1, 1, tzinfo=UTC),
                     end=datetime(2026, 7, 1, tzinfo=UTC))
    english, chinese = render(halves, "md", "en"), render(halves, "md", "zh-Hans")
    assert "2026-01-01 to 2026-06-30" in english and "2026-07-01" not in english.split(
        "Generated")[0]
    assert "from 2026-01-01 to 2026-06-30, both days included (UTC)" in english
    assert "2026-01-01 至 2026-06-30（含首尾两日，UTC）" in chinese
    # A period between instants says so, up to the instant.
    instants = replace(sample(), start=datetime(2026, 1, 1, 8, tzinfo=UTC),
                       end=datetime(2026, 7, 1, 8, tzinfo=UTC))
    assert "up to, not including, 2026-07-01 08:00 UTC" in render(instants, "md", "en")


def test_the_csv_in_chinese_says_its_columns_in_words_and_keeps_their_names():
    # An official opens it in a spreadsheet; a program still finds each column by its name.
    import csv

    english = list(csv.reader(io.StringIO(render(sample(), "csv", "en"))))
    for lang in ("zh-Hans", "both"):
        chinese = list(csv.reader(io.StringIO(render(sample(), "csv", lang))))
        assert chinese[0][:5] == ["方向 (direction)", "请求方 (requester)", "接收方 (addressee)",
                                  "演练 (exercise)", "收到的请求 (requests)"]
        assert [re.search(r"\((\w+)\)$", h).group(1) for h in chinese[0]] == english[0]
        assert {row[3] for row in chinese[1:]} == {"是", "否"}
        # The figures are the same, cell for cell.
        assert [row[:3] + row[4:] for row in chinese[1:]] == \
            [row[:3] + row[4:] for row in english[1:]]
    assert english[0][:4] == ["direction", "requester", "addressee", "exercise"]
    assert {row[3] for row in english[1:]} == {"yes", "no"}
