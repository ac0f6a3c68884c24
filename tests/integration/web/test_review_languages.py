"""The review page in the reader's language, in the other, or both side by side; its downloads
(the PDF among them) in the language chosen, with the same figures."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader
from tests.integration.web.test_request_pages import REQUEST, shared  # noqa: F401 (fixture)

CELL = re.compile(r"<tr><th scope=\"row\">[^<]*</th><td>([^<]*)</td></tr>")


def _figures(value: str) -> str:
    return re.sub(r"[^\d.%()]", "", value)


def _sent(world, browser):
    us = browser(world.admin_token)
    us.get("/ui/requests/new")
    assert us.post("/ui/requests/new", {**REQUEST, "to": world.other.id}).status_code == 303
    return us


def test_the_review_page_shows_the_report_in_both_languages_with_the_same_numbers(
        world, browser, shared):  # noqa: F811
    us = _sent(world, browser)
    english = us.get("/ui/review", params={"lang": "en"})
    both = us.get("/ui/review", params={"lang": "both"})
    assert both.status_code == 200
    assert '<div class="report both">' in both.text
    assert "From United States (US-CERT) to China" in both.text and "按时确认收到" in both.text
    # The period is part of the report (the form above it is not printed).
    assert "Requests received from" in both.text and "收到时间自" in both.text
    # The figures (words aside: "no data" is "无数据"), each shown twice, in the same order.
    numbers = [_figures(value) for value in CELL.findall(english.text)]
    assert "1" in numbers
    shown = [_figures(value) for value in CELL.findall(both.text)]
    assert sorted(shown) == sorted(numbers * 2)
    # The downloads keep the language chosen; the page offers the PDF too.
    assert re.search(r'href="/ui/review/download\?format=pdf&amp;[^"]*lang=both"', both.text)


def test_a_chinese_reader_gets_the_chinese_report_and_can_ask_for_english(
        world, browser, shared):  # noqa: F811
    us = _sent(world, browser)
    us.post("/ui/language", {"lang": "zh-Hans", "next": "/ui/review"})
    page = us.get("/ui/review")
    assert '<html lang="zh-Hans">' in page.text and "及时性与质量评估" in page.text
    assert "按时确认收到" in page.text and "Acknowledged on time" not in page.text
    assert "Acknowledged on time" in us.get("/ui/review", params={"lang": "en"}).text
    wrong = us.get("/ui/review", params={"lang": "fr"})
    assert wrong.status_code == 400 and "不是 en, zh-Hans, both 之一" in wrong.text


def test_the_pdf_download_is_a_pdf_in_the_language_chosen(world, browser, shared):  # noqa: F811
    us = _sent(world, browser)
    got = us.get("/ui/review/download", params={"format": "pdf", "lang": "zh-Hans"})
    assert got.status_code == 200 and got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].endswith('-zh-Hans.pdf"')
    reader = PdfReader(io.BytesIO(got.content))
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
    assert len(reader.pages) >= 1 and "按时确认收到" in text and "UnitedStates" in text
    html = us.get("/ui/review/download", params={"format": "html", "lang": "both"})
    assert "按时确认收到" in html.text and "Acknowledged on time" in html.text
    bad = us.get("/ui/review/download", params={"format": "pdf", "lang": "xx"})
    assert bad.status_code == 400 and "is not one of en, zh-Hans, both" in bad.text


def test_without_the_pdf_renderer_the_download_says_so(world, browser, shared,  # noqa: F811
                                                       monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    us = _sent(world, browser)
    got = us.get("/ui/review/download", params={"format": "pdf"})
    assert got.status_code == 503 and "WeasyPrint" in got.text and "print it" in got.text


def test_a_review_asked_for_while_one_is_being_made_says_to_wait(world, browser):
    from accord.cooperation import reviewing

    us = browser(world.admin_token)
    with reviewing._turn(world.own.id):
        page = us.get("/ui/review", params={"lang": "en"})
        assert page.status_code == 429 and page.headers["retry-after"] == "5"
        assert "A review for your party is being made already: ask again in 5 seconds." in (
            page.text)
        download = us.get("/ui/review/download", params={"format": "csv"})
        assert download.status_code == 429 and "ask again in 5 seconds" in download.text
    assert us.get("/ui/review", params={"lang": "en"}).status_code == 200
