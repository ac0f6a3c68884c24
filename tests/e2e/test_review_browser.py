"""The review page in Chromium: its charts' legend labels and axis titles never overlap one
another or the tick labels (defect 6: they did in the UI, sized by the page's font, while the
downloaded HTML was right), in English, Chinese and both side by side, at desktop and phone
widths; and the page prints without navigation or forms."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from tests.e2e.conftest import OWN_PARTY, PARTNER, NodeDatabases, created, run_accord, serving
from tests.e2e.test_ui_browser import chromium, sign_in  # noqa: F401 (fixture)

# Every box of a chart's legend labels, axis titles and tick labels, per chart.
BOXES = """() => [...document.querySelectorAll('.report svg')].map(svg =>
  [...svg.querySelectorAll('text.legend, text.axis-title, text.tick')].map(t => {
    const r = t.getBoundingClientRect();
    return {kind: t.getAttribute('class'), text: t.textContent, x: r.left, y: r.top,
            right: r.right, bottom: r.bottom, size: getComputedStyle(t).fontSize};
  }))"""


@pytest.fixture(scope="module")
def review_node(module_databases: NodeDatabases) -> Iterator[tuple[str, str]]:
    """A node where US-CERT asked CNCERT three times; one was answered."""
    work = module_databases.folder
    db = module_databases.new("node")
    admin = created("init", "--party", OWN_PARTY, db=db)
    created("party", "add", PARTNER, db=db)
    rules = work / "guidelines.toml"
    rules.write_text('[required]\ninformation = ["summary"]\n')
    created("guidelines", "set", str(rules), db=db)
    asked = [created("request", "create", "--to", PARTNER, "--kind", "information",
                     "--category", category, "--urgency", "priority", "--summary",
                     f"Who is behind the {category}?", db=db)
             for category in ("intrusion", "ddos", "fraud")]
    for rid in asked[:2]:
        assert run_accord("request", "ack", rid, "--as", PARTNER, db=db).returncode == 0
    done = run_accord("request", "respond", asked[0], "--as", PARTNER, "--outcome",
                      "information-provided", "--text", "A reseller.", db=db)
    assert done.returncode == 0, done.stderr
    with serving(db, work / "serve.log") as url:
        yield url, admin


def _overlap(a: dict, b: dict) -> bool:
    return a["x"] < b["right"] and b["x"] < a["right"] and a["y"] < b["bottom"] and \
        b["y"] < a["bottom"]


def _check_charts(page: Page, what: str) -> None:
    charts = page.evaluate(BOXES)
    assert charts, f"{what}: no chart on the review page"
    for boxes in charts:
        assert any(box["kind"] == "axis-title" for box in boxes)
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                if a["kind"] == b["kind"] == "tick":
                    continue  # stacked one above the other on the y axis by construction
                assert not _overlap(a, b), f"{what}: {a['text']!r} overlaps {b['text']!r}"
        # The size the chart was laid out for, as in the downloaded HTML and the PDF.
        assert {box["size"] for box in boxes} == {"11px"}, what


@pytest.mark.parametrize("width", [1366, 390])
def test_the_review_charts_labels_and_titles_do_not_overlap(review_node, chromium: Browser,  # noqa: F811
                                                            width: int):
    url, admin = review_node
    context = chromium.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, url, admin)
        today = datetime.now(UTC).date()
        period = f"from={today - timedelta(days=1)}&to={today + timedelta(days=1)}"
        for lang in ("en", "zh-Hans", "both"):
            page.goto(f"{url}ui/review?{period}&lang={lang}")
            _check_charts(page, f"{lang} at {width} px")
    finally:
        context.close()


def test_the_review_page_prints_the_report_alone_on_a4(review_node, chromium: Browser,  # noqa: F811
                                                       tmp_path: Path):
    url, admin = review_node
    context = chromium.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, url, admin)
        page.goto(f"{url}ui/review?lang=both")
        page.emulate_media(media="print")
        for hidden in ("header.top", "form.filters", ".downloads", "footer.foot"):
            assert not page.locator(hidden).is_visible(), hidden
        assert page.locator(".report svg").first.is_visible()
        _check_charts(page, "printed")
        pdf = page.pdf(prefer_css_page_size=True)
        assert pdf.startswith(b"%PDF-")
        (tmp_path / "review-page.pdf").write_bytes(pdf)
    finally:
        context.close()
