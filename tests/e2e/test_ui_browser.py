"""The web UI in a real browser (Debian's Chromium, driven by Playwright), on two real federated
nodes: a US liaison officer files a request, China's acknowledges it, the deadline passes and
the node escalates it, China responds, the US rates and opens the review — and a party never
sees another's restricted objects on any page. The screenshots in docs/screenshots come from
this test."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from tests.e2e.conftest import ATTACK_SAMPLE, NodeDatabases, created, run_accord, serving

US, CN = "United States (US-CERT)", "China (CNCERT/CC)"
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
# Debian's package; the project's test set-up installs it (tests/install-chromium).
CHROMIUM = os.environ.get("ACCORD_CHROMIUM", "/usr/bin/chromium")
# China's guidelines for the test: an urgent request must be answered 50 s after it arrives,
# so the watcher's escalation happens while the test watches.
GUIDELINES = '[urgency.urgent]\nacknowledge = "PT45S"\nrespond = "PT50S"\n'
SHARED_ID = "indicator--5a1c0b7e-1111-4a2b-9c3d-00000000e001"
RED_ID = "indicator--5a1c0b7e-1111-4a2b-9c3d-00000000e002"
RED_NAME = "Source inside the ministry (US eyes only)"


def indicator(oid: str, name: str, ip: str, creator: str, marking: str) -> dict:
    return {"type": "indicator", "spec_version": "2.1", "id": oid, "created_by_ref": creator,
            "created": "2015-06-04T10:00:00.000Z", "modified": "2015-06-04T10:00:00.000Z",
            "name": name, "pattern": f"[ipv4-addr:value = '{ip}']", "pattern_type": "stix",
            "valid_from": "2015-06-04T10:00:00Z", "object_marking_refs": [marking]}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: the test set-up installs Debian's chromium "
                    "package (sh tests/install-chromium), or set ACCORD_CHROMIUM")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, base: str, token: str, screenshot: str | None = None) -> None:
    page.goto(base + "ui/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sign in")
    page.get_by_label("API token").fill(token)
    if screenshot:
        shot(page, screenshot)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def until(page: Page, check: Callable[[], bool], seconds: float, what: str) -> None:
    """Reload the page until `check` holds: the other node's news arrives by sync."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds} s for {what}")
        time.sleep(1)
        page.reload()


def test_a_request_from_filing_to_review_in_the_browser(
        databases: NodeDatabases, tmp_path: Path, chromium: Browser):
    us_db, cn_db = databases.new("us"), databases.new("cn")
    created("init", "--party", US, db=us_db)
    created("init", "--party", CN, db=cn_db)
    live = ("--tick", "1s", "--sync-every", "1s")
    with serving(us_db, tmp_path / "us.log", options=live) as us_url, \
            serving(cn_db, tmp_path / "cn.log", options=live) as cn_url:
        # The nodes meet (as in the federation contract) and each hands its officer a token.
        created("party", "add", US, db=cn_db)
        us_on_cn = created("token", "create", "--party", US, "--role", "liaison",
                           "--name", "US node", "--machine", db=cn_db)
        created("peer", "add", "china", "--url", cn_url, "--token", us_on_cn, "--insecure",
                db=us_db)
        cn_on_us = created("token", "create", "--party", CN, "--role", "liaison",
                           "--name", "CN node", "--machine", db=us_db)
        created("peer", "add", "us", "--url", us_url, "--token", cn_on_us, "--party", US,
                "--insecure", db=cn_db)
        guidelines = tmp_path / "guidelines.toml"
        guidelines.write_text(GUIDELINES)
        assert run_accord("guidelines", "set", str(guidelines), db=cn_db).returncode == 0
        us_officer = created("token", "create", "--party", US, "--role", "liaison",
                             "--name", "Officer Smith", db=us_db)
        cn_officer = created("token", "create", "--party", CN, "--role", "liaison",
                             "--name", "Officer Wang", db=cn_db)
        us_admin = created("token", "create", "--party", US, "--role", "admin",
                           "--name", "Admin Jones", db=us_db)
        russia = created("party", "add", "Russia", db=us_db)
        ru_reader = created("token", "create", "--party", "Russia", "--role", "reader",
                            "--name", "Analyst Petrov", db=us_db)

        # Evidence: ATT&CK, one indicator shared with China (AMBER) and one the US keeps (RED).
        us_id = json.loads(run_accord("peer", "list", "--json", db=cn_db).stdout)["party_id"]
        bundle = tmp_path / "evidence.json"
        bundle.write_text(json.dumps({"type": "bundle", "id": "bundle--1", "objects": [
            indicator(SHARED_ID, "Sakula C2 used against OPM", "198.51.100.7", us_id,
                      "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"),
            indicator(RED_ID, RED_NAME, "203.0.113.66", us_id,
                      "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1")]}))
        assert run_accord("import", str(ATTACK_SAMPLE), "--collection", "evidence",
                          db=us_db).returncode == 0
        assert run_accord("import", str(bundle), "--collection", "evidence",
                          db=us_db).returncode == 0
        assert run_accord("collection", "grant", "evidence", "--party", CN, "--read",
                          db=us_db).returncode == 0
        assert russia.startswith("identity--")

        us_page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
        cn_page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()

        # 1. The US officer signs in and files a request; the form says what is missing.
        sign_in(us_page, us_url, us_officer, screenshot="sign-in")
        us_page.get_by_role("link", name="New request").first.click()
        us_page.get_by_label("Addressed to").select_option(label=CN)
        us_page.get_by_label("Information", exact=True).check()
        us_page.get_by_label("Category of activity").select_option("ip-theft")
        us_page.get_by_label("urgent").check()
        us_page.locator("#summary").fill(
            "Who exfiltrated personnel records through 198.51.100.7?")
        expect(us_page.locator("#missing")).to_contain_text("Evidence")
        us_page.get_by_label(re.compile("Find evidence")).fill("198.51.100.7")
        us_page.get_by_role("button", name="Attach Sakula C2 used against OPM").click()
        expect(us_page.get_by_label(re.compile("Attached"))).to_have_value(SHARED_ID)
        expect(us_page.locator("#missing")).to_be_hidden()
        shot(us_page, "new-request")
        us_page.get_by_role("button", name="Send request").click()
        expect(us_page.get_by_role("status")).to_contain_text("Request sent")
        rid = us_page.url.split("/ui/requests/")[1].split("?")[0]

        # 2. China's officer sees it arrive and acknowledges it.
        sign_in(cn_page, cn_url, cn_officer)
        until(cn_page, lambda: cn_page.get_by_text("Who exfiltrated").count() > 0, 30,
              "the request to reach China's node")
        cn_page.get_by_role("link", name=re.compile("Acknowledge: Who exfiltrated")).click()
        expect(cn_page.get_by_role("heading", level=1)).to_contain_text("Who exfiltrated")
        cn_page.get_by_label("Note to the requester").fill("Received; tracing the server")
        cn_page.get_by_role("button", name="Acknowledge").click()
        expect(cn_page.get_by_role("status")).to_contain_text("Acknowledged")

        # 3. Nobody answers in time: China's node escalates; the US sees it overdue, flagged.
        us_page.goto(us_url + "ui/")
        until(us_page, lambda: us_page.locator("tr.escalated").count() > 0, 90,
              "the response deadline to pass and the escalation to reach the US")
        expect(us_page.locator("tr.escalated .state-escalated")).to_be_visible()
        expect(us_page.locator("tr.escalated .countdown.late")).to_contain_text("overdue by")
        shot(us_page, "dashboard")
        us_page.set_viewport_size({"width": 390, "height": 844})
        shot(us_page, "dashboard-phone")
        us_page.set_viewport_size({"width": 1280, "height": 900})
        us_page.get_by_role("link", name="Hotline").click()
        expect(us_page.get_by_text("Response overdue").first).to_be_visible()
        shot(us_page, "hotline")

        # 4. China responds; the US rates the response.
        cn_page.goto(f"{cn_url}ui/requests/{rid}")
        cn_page.get_by_label(re.compile("Information provided: you answer")).check()
        cn_page.get_by_label("Answer", exact=True).fill(
            "The server is at a hosting provider in Tianjin; its logs are preserved.")
        cn_page.get_by_role("button", name="Send response").click()
        expect(cn_page.get_by_role("status")).to_contain_text("Response sent")
        us_page.goto(f"{us_url}ui/requests/{rid}")
        until(us_page, lambda: us_page.get_by_role("button", name="Rate").count() > 0, 30,
              "the response to reach the US")
        us_page.get_by_label("4", exact=True).check()
        us_page.get_by_label("Comment", exact=True).fill("Timely once escalated")
        us_page.get_by_role("button", name="Rate").click()
        expect(us_page.get_by_role("status")).to_contain_text("Rating sent")
        timeline = us_page.locator("ol.timeline")
        for step in ("Request sent", "Received by the addressee's node", "Acknowledged",
                     "Escalated", "Response", "Rated", "Deadline to respond"):
            expect(timeline).to_contain_text(step)
        expect(timeline.locator("li.mark.missed")).to_contain_text("Deadline to respond")
        shot(us_page, "request")

        # 5. The review, with its charts and downloads.
        us_page.get_by_role("link", name="Review").click()
        expect(us_page.get_by_role("heading", name=re.compile(
            "From United States \\(US-CERT\\) to China"))).to_be_visible()
        expect(us_page.locator(".report svg").first).to_be_visible()
        with us_page.expect_download() as download:
            us_page.get_by_role("link", name="CSV").click()
        assert download.value.suggested_filename.endswith(".csv")
        shot(us_page, "review")

        # 6. Search and an object's page with its graph; the admin page.
        us_page.get_by_role("link", name="Search").click()
        us_page.get_by_label("Value, name, id or type").fill("APT19")
        us_page.get_by_role("button", name="Search").click()
        shot(us_page, "search")
        us_page.get_by_role("link", name="APT19", exact=True).click()
        expect(us_page.locator("svg.graph")).to_be_visible()
        shot(us_page, "object")
        admin = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
        sign_in(admin, us_url, us_admin)
        admin.get_by_role("link", name="Admin").click()
        expect(admin.get_by_role("heading", name="Parties")).to_be_visible()
        shot(admin, "admin")

        # 7. Nobody sees another's restricted objects, on any page.
        for page, base, token in ((cn_page, cn_url, cn_officer),
                                  (chromium.new_page(), us_url, ru_reader)):
            if token == ru_reader:
                sign_in(page, base, token)
            for path in ("ui/", "ui/hotline", "ui/review", "ui/search?q=203.0.113.66",
                         f"ui/search?q={RED_ID}", "ui/search?q=indicator",
                         "ui/search?q=US%20eyes", f"ui/objects/{RED_ID}",
                         "ui/evidence?q=203.0.113.66"):
                page.goto(base + path)
                text = page.content().replace("203.0.113.66", "").replace(RED_ID, "")
                assert RED_NAME not in text and "US eyes only" not in text, (base, path)
            page.goto(f"{base}ui/objects/{RED_ID}")
            expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
        # Russia reads nothing of the request between the US and China either.
        page.goto(f"{us_url}ui/requests/{rid}")
        expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
        page.goto(f"{us_url}ui/search?q=198.51.100.7")
        assert "Sakula C2 used against OPM" not in page.content()


def test_the_pages_work_with_the_keyboard_alone(
        databases: NodeDatabases, tmp_path: Path, chromium: Browser):
    db = databases.new("node")
    token = created("init", "--party", US, db=db)
    with serving(db, tmp_path / "node.log") as url:
        page = chromium.new_page()
        page.goto(url + "ui/")
        expect(page.get_by_label("API token")).to_be_focused()  # type at once
        page.keyboard.type(token)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        page.keyboard.press("Tab")  # the skip link comes first, then the navigation
        expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator("main")).to_be_focused()
        for label in ("Dashboard", "Requests", "New request", "Hotline", "Review", "Search",
                      "Admin"):
            expect(page.get_by_role("navigation", name="Main").get_by_role(
                "link", name=label, exact=True)).to_be_visible()
        # every form field has a label a screen reader announces
        page.goto(url + "ui/requests/new")
        unlabelled = page.evaluate("""() => [...document.querySelectorAll(
            'input:not([type=hidden]), select, textarea')].filter(el =>
            !el.labels || el.labels.length === 0).map(el => el.name || el.id)""")
        assert unlabelled == []

