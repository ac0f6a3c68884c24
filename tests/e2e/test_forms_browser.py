"""Forms safe to send, in Chromium (issue 13, defects 1-4), on two federated nodes: Back and
Send again makes no second request; a request typed while the session ended comes back after
signing in, and the sign-in page says why; escalating and withdrawing ask for words and a
confirmation; the urgencies show the deadlines of the addressee's node, read from it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.e2e.conftest import NodeDatabases, created, run_accord, serving
from tests.e2e.test_ui_browser import CN, US, chromium  # noqa: F401 (a fixture)

# China answers urgent requests within 20 s of their arrival: the US form must say so. Both
# nodes ask nothing but a summary (the US form asks what China's node requires too), so the
# test types little.
CN_GUIDELINES = ('[urgency.urgent]\nacknowledge = "PT20S"\nrespond = "PT50S"\n'
                 '[required]\ninformation = []\n')
US_GUIDELINES = '[required]\ninformation = []\n'


@dataclass(frozen=True)
class Nodes:
    us_url: str
    us_officer: str


@pytest.fixture(scope="module")
def nodes(module_databases: NodeDatabases) -> Iterator[Nodes]:
    tmp = module_databases.folder
    us_db, cn_db = module_databases.new("us"), module_databases.new("cn")
    created("init", "--party", US, db=us_db)
    created("init", "--party", CN, db=cn_db)
    for text, db in ((CN_GUIDELINES, cn_db), (US_GUIDELINES, us_db)):
        (tmp / "g.toml").write_text(text)
        assert run_accord("guidelines", "set", str(tmp / "g.toml"), db=db).returncode == 0
    live = ("--tick", "1s", "--sync-every", "1s")
    with serving(us_db, tmp / "us.log", options=live) as us_url, \
            serving(cn_db, tmp / "cn.log", options=live) as cn_url:
        created("party", "add", US, db=cn_db)
        us_on_cn = created("token", "create", "--party", US, "--role", "liaison",
                           "--name", "US node", "--machine", db=cn_db)
        created("peer", "add", "china", "--url", cn_url, "--token", us_on_cn, "--insecure",
                db=us_db)
        created("party", "add", "Russia", db=us_db)
        officer = created("token", "create", "--party", US, "--role", "liaison",
                          "--name", "Officer Smith", db=us_db)
        yield Nodes(us_url, officer)


def signed_in(chromium: Browser, nodes: Nodes, script: bool = True) -> Page:  # noqa: F811
    page = chromium.new_context(viewport={"width": 1280, "height": 900},
                                java_script_enabled=script).new_page()
    page.goto(nodes.us_url + "ui/")
    page.get_by_label("API token").fill(nodes.us_officer)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    return page


def fill_request(page: Page, summary: str, to: str = CN) -> None:
    page.get_by_label("Addressed to").select_option(label=to)
    page.locator("#summary").fill(summary)
    page.locator("#description").fill(f"Details of: {summary}")


def sent_with(page: Page, nodes: Nodes, summary: str) -> int:
    page.goto(nodes.us_url + "ui/requests")
    return page.locator("body").inner_text().count(summary)


def test_back_then_send_again_makes_no_second_request(chromium: Browser,  # noqa: F811
                                                      nodes: Nodes):
    page = signed_in(chromium, nodes)
    page.goto(nodes.us_url + "ui/requests/new")
    fill_request(page, "Who runs 198.51.100.7? (sent once)")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator(".notice.ok")).to_contain_text("Request sent")
    first = page.url.split("?")[0]
    page.go_back()
    expect(page.locator("#summary")).to_have_value("Who runs 198.51.100.7? (sent once)")
    page.get_by_role("button", name="Send request").click()
    # The form's key came back with what was typed: the request it made is shown.
    expect(page.locator("#sent-before")).to_contain_text("This form was sent before")
    assert page.url.split("?")[0] == first
    assert sent_with(page, nodes, "Who runs 198.51.100.7? (sent once)") == 1


def test_without_script_back_then_send_again_asks_first(chromium: Browser,  # noqa: F811
                                                        nodes: Nodes):
    page = signed_in(chromium, nodes, script=False)
    page.goto(nodes.us_url + "ui/requests/new")
    fill_request(page, "Who runs 203.0.113.9? (no script)")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator(".notice.ok")).to_contain_text("Request sent")
    first = page.url.split("?")[0].split(nodes.us_url.rstrip("/"))[1]
    page.go_back()
    expect(page.locator("#summary")).to_have_value("Who runs 203.0.113.9? (no script)")
    page.get_by_role("button", name="Send request").click()
    # A new key (nothing kept it), but the same words to the same party: a likely copy.
    expect(page.locator("#duplicate")).to_contain_text("with the same summary, description "
                                                       "and evidence")
    expect(page.locator("#duplicate a")).to_have_attribute("href", first)
    expect(page.get_by_role("button", name="Send anyway")).to_be_visible()
    assert sent_with(page, nodes, "Who runs 203.0.113.9? (no script)") == 1


def test_a_request_typed_when_the_session_ended_comes_back(chromium: Browser,  # noqa: F811
                                                           nodes: Nodes):
    page = signed_in(chromium, nodes)
    page.goto(nodes.us_url + "ui/requests/new")
    other_tab = page.context.new_page()
    other_tab.goto(nodes.us_url + "ui/")
    other_tab.get_by_role("button", name="Sign out").click()
    expect(other_tab.get_by_label("API token")).to_be_visible()
    fill_request(page, "Typed while signed out elsewhere")
    # The form's check learns that the session ended: it says so and stays on the page.
    expect(page.locator("#missing")).to_contain_text("Your session has ended")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator("#sign-in-why")).to_contain_text(
        "Your session ended (signed out in another tab, or 12 hours passed)")
    expect(page.locator("#sign-in-why")).to_contain_text("What you typed is kept")
    page.get_by_label("API token").fill(nodes.us_officer)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#form-notice")).to_contain_text("What you typed before your session "
                                                         "ended is back")
    expect(page.locator("#summary")).to_have_value("Typed while signed out elsewhere")
    expect(page.locator("#description")).to_have_value(
        "Details of: Typed while signed out elsewhere")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator(".notice.ok")).to_contain_text("Request sent")


def test_escalate_and_withdraw_ask_for_words_and_a_confirmation(chromium: Browser,  # noqa: F811
                                                                 nodes: Nodes):
    page = signed_in(chromium, nodes)
    page.goto(nodes.us_url + "ui/requests/new")
    fill_request(page, "A request to escalate, then withdraw")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator(".notice.ok")).to_contain_text("Request sent")
    page.get_by_label("Reason", exact=True).select_option("disputed")
    page.get_by_label(re.compile("Note \\(required\\)")).fill("   ")
    page.get_by_role("button", name="Escalate").click()
    expect(page.locator("#act-error")).to_contain_text("Say in the note why you escalate")
    expect(page.get_by_label("Reason", exact=True)).to_have_value("disputed")
    page.get_by_label(re.compile("Note \\(required\\)")).fill("No word from China in a week")
    page.get_by_role("button", name="Escalate").click()
    expect(page.locator("#confirm-escalate")).to_be_visible()
    expect(page.locator("#timeline ~ ol .event-escalated")).to_have_count(0)
    page.get_by_role("button", name="Yes, escalate").click()
    expect(page.locator(".event-escalated")).to_contain_text("No word from China in a week")

    page.get_by_role("button", name="Withdraw request").click()  # empty: the browser asks
    expect(page.locator("#confirm-withdraw")).to_have_count(0)
    page.get_by_label("Reason (required)").fill("Solved at home")
    page.get_by_role("button", name="Withdraw request").click()
    expect(page.locator("#confirm-withdraw")).to_contain_text("cannot be undone")
    expect(page.get_by_label("Reason (required)")).to_have_value("Solved at home")
    page.get_by_role("button", name="Yes, withdraw").click()
    expect(page.locator(".event-withdrawn")).to_contain_text("Solved at home")


def test_the_urgencies_show_the_addressee_node_deadlines(chromium: Browser,  # noqa: F811
                                                         nodes: Nodes):
    page = signed_in(chromium, nodes)
    deadline = time.monotonic() + 30
    while True:  # China's guidelines arrive with the first sync
        page.goto(nodes.us_url + "ui/requests/new")
        page.get_by_label("Addressed to").select_option(label=CN)
        if "20 s" in page.locator("[data-deadline=urgent]").inner_text():
            break
        assert time.monotonic() < deadline, "China's guidelines never arrived"
        time.sleep(1)
    expect(page.locator("[data-deadline=urgent]")).to_have_text(
        "acknowledge within 20 s, respond within 50 s")
    expect(page.locator("#their-deadlines")).to_contain_text(
        f"set by the guidelines of {CN}'s node (version 1")
    # China's node requires what its defaults require of the other kinds: said whose they are.
    expect(page.locator("#g-source")).to_contain_text(f"what the node of {CN} requires")
    page.get_by_label("Addressed to").select_option(label="Russia")  # a party of this node
    expect(page.locator("[data-deadline=urgent]")).to_have_text(
        "acknowledge within 1 d, respond within 3 d")
    expect(page.locator("#g-source")).to_have_text(
        "This node's guidelines (version 1) for requests to the chosen party.")
    expect(page.locator("#their-deadlines")).to_contain_text("this node's guidelines")
