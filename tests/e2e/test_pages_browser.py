"""Every page in Chromium at a phone's width (390 px) and a laptop's (1366 px): nothing pushes
the page sideways, no deadline is cut; and the pages say words, not codes — an address as
198.51.100.7, ATT&CK's Markdown rendered with its citations as references, the creator's
identity a page that exists, and an escalation told the same way wherever it shows."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.e2e.conftest import ATTACK_SAMPLE, NodeDatabases, created, run_accord, serving
from tests.e2e.test_ui_browser import (
    US,
    chromium,  # noqa: F401 (the fixture, shared)
    indicator,
    until,
)

CN = "China (CNCERT/CC)"
SHARED_ID = "indicator--5a1c0b7e-2222-4a2b-9c3d-00000000e001"
# An urgent request must be acknowledged 3 s after it arrives: the node escalates it at once.
GUIDELINES = '[urgency.urgent]\nacknowledge = "PT3S"\nrespond = "PT600S"\n'
WIDTHS = (390, 1366)

# What overflows: the document itself, a deadline cell whose text is clipped, and a deadline
# that lies outside a box that scrolls or clips it, or outside the window.
MEASURE = """() => {
  const cut = [];
  for (const cell of document.querySelectorAll('td.deadline, .countdown')) {
    if (cell.scrollWidth > cell.clientWidth && cell.clientWidth > 0) cut.push(cell.textContent);
  }
  for (const el of document.querySelectorAll('.countdown')) {
    const r = el.getBoundingClientRect();
    if (r.left < 0 || r.right > innerWidth + 0.5) { cut.push(el.textContent); continue; }
    for (let box = el.parentElement; box; box = box.parentElement) {
      if (getComputedStyle(box).overflowX === 'visible') continue;
      const b = box.getBoundingClientRect();
      if (r.left < b.left - 0.5 || r.right > b.right + 0.5) { cut.push(el.textContent); break; }
    }
  }
  return {scroll: document.documentElement.scrollWidth, width: innerWidth, cut,
          deadlines: document.querySelectorAll('.countdown').length};
}"""


@pytest.fixture(scope="module")
def node(module_databases: NodeDatabases) -> Iterator[dict[str, str]]:
    tmp = module_databases.folder
    db = module_databases.new("node")
    admin = created("init", "--party", US, db=db)
    created("party", "add", CN, db=db)
    guidelines = tmp / "guidelines.toml"
    guidelines.write_text(GUIDELINES)
    assert run_accord("guidelines", "set", str(guidelines), db=db).returncode == 0
    us_id = json.loads(run_accord("party", "list", "--json", db=db).stdout.splitlines()[0])["id"]
    bundle = tmp / "evidence.json"
    bundle.write_text(json.dumps({"type": "bundle", "id": "bundle--1", "objects": [
        indicator(SHARED_ID, "Sakula C2 used against OPM", "198.51.100.7", us_id,
                  "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421")]}))
    for source in (ATTACK_SAMPLE, bundle):
        assert run_accord("import", str(source), "--collection", "evidence",
                          db=db).returncode == 0
    assert run_accord("collection", "grant", "evidence", "--party", CN, "--read",
                      db=db).returncode == 0
    ids = {}
    for name, args in (
            ("urgent", ("--to", CN, "--kind", "information", "--category", "ip-theft",
                        "--urgency", "urgent", "--summary",
                        "Who exfiltrated personnel records through 198.51.100.7?")),
            ("routine", ("--to", CN, "--kind", "preservation", "--category", "intrusion",
                         "--urgency", "routine", "--legal-basis", "Article 4",
                         "--summary", "Preserve the hosting provider's logs for June 2015")),
            ("incoming", ("--as", CN, "--to", US, "--kind", "information", "--category",
                          "ddos", "--urgency", "priority",
                          "--summary", "Who is behind the DDoS on the railway booking site?"))):
        done = run_accord("request", "create", *args, "--evidence", SHARED_ID, db=db)
        assert done.returncode == 0, done.stderr
        ids[name] = re.search(r"x-accord-request--[0-9a-f-]+", done.stdout).group(0)
    with serving(db, tmp / "node.log", options=("--tick", "1s", "--sync-every", "0")) as url:
        yield {"url": url, "token": admin, "us": us_id, **ids}


def signed_in(browser: Browser, node: dict[str, str], width: int) -> Page:
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    page.goto(node["url"] + "ui/sign-in")
    page.get_by_label("API token").fill(node["token"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    return page


def test_no_page_overflows_and_no_deadline_is_cut(chromium: Browser, node: dict[str, str]):  # noqa: F811
    apt19 = "intrusion-set--fe8796a4-2a02-41a0-9d27-7aa1e995feb6"
    paths = ["ui/", "ui/requests", "ui/requests/new", "ui/hotline", "ui/review",
             "ui/search?q=198.51.100.7", "ui/search?q=APT19", "ui/admin",
             *(f"ui/requests/{node[k]}" for k in ("urgent", "routine", "incoming")),
             f"ui/objects/{SHARED_ID}", f"ui/objects/{apt19}", f"ui/objects/{node['us']}"]
    for width in WIDTHS:
        page = signed_in(chromium, node, width)
        escalated = page.locator(".state-escalated")
        until(page, lambda: escalated.count() > 0, 30,  # noqa: B023 (called at once)
              "the watcher to escalate the urgent request")
        seen = {}
        for path in paths:
            page.goto(node["url"] + path)
            assert "/ui/sign-in" not in page.url, (width, path)
            assert page.title() and "Not found" not in page.title(), path
            measured = page.evaluate(MEASURE)
            assert measured["scroll"] <= measured["width"], (width, path, measured)
            assert measured["cut"] == [], (width, path, measured)
            seen[path] = measured["deadlines"]
        # The pages showed the deadlines this test means to measure.
        assert seen["ui/"] >= 3 and seen["ui/requests"] >= 3, seen


def test_the_pages_say_words_not_codes(chromium: Browser, node: dict[str, str]):  # noqa: F811
    page = signed_in(chromium, node, 1366)
    # An address as people write it, not as the index keeps it.
    page.goto(node["url"] + "ui/search?q=198.51.100.7")
    main = page.locator("main")
    expect(main).to_contain_text("IPv4 address 198.51.100.7")
    assert "c6336407" not in main.inner_text()

    # The creator's identity is a page that exists.
    page.goto(f"{node['url']}ui/objects/{SHARED_ID}")
    expect(page.locator("main")).to_contain_text("IPv4 address 198.51.100.7")
    page.get_by_role("link", name=US, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(US)
    expect(page.locator("main")).to_contain_text("This node's own party")

    # ATT&CK's Markdown rendered; its citations are references to the object's own list.
    page.goto(node["url"] + "ui/search?q=APT19")
    page.get_by_role("link", name="APT19", exact=True).click()
    description = page.locator(".markdown").first
    expect(description).to_be_visible()
    text = description.inner_text()
    assert "(Citation:" not in text and "](" not in text and "**" not in text
    cite = description.locator("sup.cite a").first
    target = cite.get_attribute("href")
    assert target and page.locator(target).count() == 1
    assert "(Citation:" not in page.locator("main").inner_text()

    # A request: categories, urgencies, outcomes and reasons in words, the code in a title.
    page.goto(f"{node['url']}ui/requests/{node['urgent']}")
    until(page, lambda: page.locator("#what-to-do").count() > 0, 30, "the escalation")
    shown = page.locator("main").inner_text()
    for code in ("ip-theft", "acknowledgement-overdue", "information-provided"):
        assert code not in shown, code
    expect(page.locator("[title=ip-theft]")).to_have_text(
        "Theft of intellectual property / trade secrets")
    expect(page.locator("ol.timeline")).to_contain_text("Acknowledgement overdue")

    # The escalation is told the same way on the request, the hotline page and the dashboard.
    where = "level 1 of the escalation ladder (liaison officers)"
    none = "No hotline was notified: neither party has a hotline contact set on this node"
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text(f"escalated to {where}")
    expect(timeline).to_contain_text(none)
    expect(page.locator("#what-to-do")).to_contain_text(
        f"contact {CN}'s liaison officers directly")
    page.get_by_role("link", name="Hotline").click()
    row = page.locator("tr", has_text="Who exfiltrated")
    expect(row).to_contain_text(f"Acknowledgement overdue · {where}")
    expect(row).to_contain_text(none)
    page.get_by_role("link", name="Dashboard").click()
    expect(page.locator(".cards")).to_contain_text(
        f"Contact {CN}'s liaison officers (escalation level 1)")


def test_the_respond_form_names_outcomes_in_words(chromium: Browser, node: dict[str, str]):  # noqa: F811
    page = signed_in(chromium, node, 390)
    page.goto(f"{node['url']}ui/requests/{node['incoming']}")
    expect(page.get_by_label(re.compile("Information provided: you answer"))).to_be_visible()
    expect(page.locator("[title=information-provided]")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")


def test_what_was_typed_survives_a_change_of_language(chromium: Browser, node: dict[str, str]):  # noqa: F811
    # The officer typed a summary, then chose 中文 in the header: the form came back empty.
    page = signed_in(chromium, node, 1366)
    page.goto(f"{node['url']}ui/requests/new")
    page.locator("#summary").fill("Who operates 203.0.113.9?")
    page.get_by_role("button", name="中文（简体）").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.locator("#summary")).to_have_value("Who operates 203.0.113.9?")
    page.reload()  # put back once, then forgotten
    expect(page.locator("#summary")).to_have_value("")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
