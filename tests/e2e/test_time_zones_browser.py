"""Times in the reader's zone in a real browser (Chromium): the browser's own zone is the first
guess (set by accord.js), a deadline says when it falls for both parties, and the live
countdown keeps the reader's language on one line at 1366 px."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import Browser, expect
from tests.e2e.conftest import NodeDatabases, created, run_accord, serving
from tests.e2e.test_ui_browser import chromium  # noqa: F401  (the browser fixture)

US, CN = "United States (US-CERT)", "China (CNCERT/CC)"
EVIDENCE_ID = "indicator--5a1c0b7e-1111-4a2b-9c3d-00000000f001"


def test_a_reader_in_beijing_reads_times_and_countdowns_in_her_zone(databases: NodeDatabases,
        tmp_path: Path, chromium: Browser) -> None:  # noqa: F811
    db = databases.new("us")
    token = created("init", "--party", US, db=db)
    created("party", "add", CN, db=db)
    for party, zone in ((US, "America/New_York"), (CN, "Asia/Shanghai")):
        assert run_accord("party", "time-zone", party, zone, db=db).returncode == 0
    bundle = tmp_path / "evidence.json"
    bundle.write_text(json.dumps({"type": "bundle", "id": "bundle--5a1c0b7e-1111-4a2b-9c3d-"
                                  "00000000f0ff", "objects": [{
                                      "type": "indicator", "spec_version": "2.1",
                                      "id": EVIDENCE_ID, "name": "C2 server",
                                      "created": "2015-06-04T10:00:00.000Z",
                                      "modified": "2015-06-04T10:00:00.000Z",
                                      "pattern": "[ipv4-addr:value = '198.51.100.7']",
                                      "pattern_type": "stix",
                                      "valid_from": "2015-06-04T10:00:00Z"}]}))
    assert run_accord("import", str(bundle), db=db).returncode == 0
    assert run_accord("collection", "grant", "evidence", "--party", CN, "--read",
                      db=db).returncode == 0
    rid = created("request", "create", "--to", CN, "--kind", "information",
                  "--category", "intrusion", "--urgency", "urgent",
                  "--summary", "Who operates the C2 server at 198.51.100.7?",
                  "--evidence", EVIDENCE_ID, db=db)
    with serving(db, tmp_path / "serve.log") as base:
        context = chromium.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                       viewport={"width": 1366, "height": 900})
        page = context.new_page()
        page.goto(base + "ui/")
        page.locator("#token").fill(token)
        page.locator("form.stack button[type=submit]").click()
        expect(page.locator("footer")).to_be_visible()
        # The first page told the script the browser's zone; from the next one on it is used.
        page.goto(base + f"ui/requests/{rid}")
        expect(page.locator("footer")).to_contain_text("Asia/Shanghai (UTC+8)")
        expect(page.locator("dd.sides")).to_contain_text(re.compile(
            # A side's time may say it falls on a weekend or outside office hours there:
            # the deadlines are days from whenever the test runs.
            r"纽约时间 \d\d?月\d\d?日 周. \d\d:\d\d(（[^）]+）)? · "
            r"上海时间 \d\d?月\d\d?日 周. \d\d:\d\d"))
        countdown = page.locator("time.countdown").first
        page.wait_for_timeout(1500)  # the script has counted at least once
        expect(countdown).to_contain_text("后到期")
        box = countdown.bounding_box()
        line = page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight) || 24")
        assert box is not None and box["height"] <= line * 1.5, box  # one line, never cut
        title = countdown.get_attribute("title") or ""
        assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", title)
        context.close()
        # A reader whose computer's clock runs 30 days fast: the countdown is the node's.
        fast = chromium.new_context(locale="en-US", timezone_id="Asia/Shanghai")
        page = fast.new_page()
        page.clock.set_system_time(datetime.now(UTC) + timedelta(days=30))
        page.goto(base + "ui/")
        page.locator("#token").fill(token)
        page.locator("form.stack button[type=submit]").click()
        expect(page.locator("footer")).to_be_visible()
        page.goto(base + f"ui/requests/{rid}")
        page.wait_for_timeout(1500)  # the script has counted at least once
        countdown = page.locator("time.countdown").first
        expect(countdown).to_contain_text("due in")
        expect(countdown).not_to_contain_text("overdue")
        fast.close()
