"""The whole request cycle in Chinese, in a real browser (Debian's Chromium) on two federated
nodes: China's liaison officer switches Accord to 中文, files a request for assistance with
evidence, the US acknowledges and answers it, and she rates the response — every page she sees
(sign-in, dashboard, new request, request, requests, hotline, review, search, object) is in
Chinese, with no English word of the UI left on it; the administration is shown in Chinese too.
The zh-*.png screenshots in docs/screenshots come from this test, each at desktop and at phone
width (390 px)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect
from tests.e2e.conftest import NodeDatabases, created, run_accord, serving
from tests.e2e.test_ui_browser import CN, US, chromium, indicator, shot, sign_in, until

__all__ = ["chromium"]  # the module's browser fixture, shared with the English test

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
EVIDENCE_ID = "indicator--7b2d1c8e-2222-4b3c-8d4e-00000000c001"
EVIDENCE_NAME = "天津托管服务器上的 C2 地址"
SUMMARY = "谁通过 198.51.100.7 窃取了人事档案？"
ANSWER = "The server sits at a hosting provider in Virginia; its logs are preserved."
# Words that stay as they are in a Chinese page: names of standards and formats, the TLP
# labels (FIRST TLP 2.0), STIX type names, the language switcher's own name for English, and
# what the people in this test typed or are called (their words, not the UI's).
SAME_IN_EVERY_LANGUAGE = {"Accord", "STIX", "TAXII", "REST", "TLP", "CLEAR", "GREEN", "AMBER",
                          "RED", "STRICT", "UTC", "API", "CSV", "JSON", "HTML", "PDF", "Markdown",
                          "MD", "IPv4", "IPv6", "URL", "ID", "ATT", "CK", "APT", "DDoS", "English",
                          "indicator", "identity", "intrusion", "set", "marking-definition",
                          "RFC", "en", "zh-Hans",  # language tags, as BCP 47 / RFC 5646 write them
                          "original", "translation",  # the bilingual tags "original · 原文"
                          "min"}  # of durations ("2 min"), worded with the countdowns below
# Countdowns ("due in 3 h", "overdue by 2 min") belong to the work on times people read
# (issue 13, "Times people read"), which words them in the reader's language; until it is
# merged they are left out of the check (the <time> elements are skipped below).
NAMES = [US, CN, "Officer Wang", "Officer Smith", "US node", "CN node", ANSWER,
         "Received; looking into it", "us", "china", "evidence", "Evidence", EVIDENCE_NAME]


def visible_english(page: Page) -> list[str]:
    """English words in the page's header and main landmark, minus what is not the UI's:
    code and ids, times (<time>), STIX property names and relationship verbs (an object's
    properties, its graph and JSON), and the review report (worded by its own module)."""
    text = page.evaluate("""() => {
        const skip = "code, pre, time, script, svg, em, details, .props, .report, .language, "
                     + "[hidden]";
        const parts = [];
        for (const landmark of document.querySelectorAll("header, main")) {
            const walk = document.createTreeWalker(landmark, NodeFilter.SHOW_TEXT);
            while (walk.nextNode()) {
                if (!walk.currentNode.parentElement.closest(skip)) {
                    parts.push(walk.currentNode.textContent);
                }
            }
        }
        return parts.join("\\n");
    }""")
    for name in sorted(NAMES, key=len, reverse=True):
        text = re.sub(rf"(?<![A-Za-z]){re.escape(name)}(?![A-Za-z])", " ", text)
    text = re.sub(r"[a-z-]+--[0-9a-f-]{36}", " ", text)
    # Hexadecimal (an address as stored, a hash) is not a word.
    return [word for word in re.findall(r"[A-Za-z][A-Za-z0-9'’-]*[A-Za-z0-9]", text)
            if word not in SAME_IN_EVERY_LANGUAGE
            and not re.fullmatch(r"[0-9a-f]*\d[0-9a-f]*", word)]


def in_chinese(page: Page, name: str, *, shoot: bool = True) -> None:
    """The page is in Chinese, all of it; screenshots at desktop and phone width."""
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    assert re.search(r"[\u4e00-\u9fff]", page.locator("main").inner_text()), name
    left = visible_english(page)
    assert not left, f"{name}: English words of the UI left on the Chinese page: {left}"
    if not shoot:
        return
    shot(page, f"zh-{name}")
    page.set_viewport_size(PHONE)
    shot(page, f"zh-{name}-phone")
    page.set_viewport_size(DESKTOP)


def test_a_chinese_liaison_officer_does_the_request_cycle_in_chinese(
        databases: NodeDatabases, tmp_path: Path,
                                                                    chromium: Browser):
    us_db, cn_db = databases.new("us"), databases.new("cn")
    created("init", "--party", US, db=us_db)
    cn_admin = created("init", "--party", CN, db=cn_db)
    live = ("--tick", "1s", "--sync-every", "1s")
    with serving(us_db, tmp_path / "us.log", options=live) as us_url, \
            serving(cn_db, tmp_path / "cn.log", options=live) as cn_url:
        created("party", "add", US, db=cn_db)
        us_on_cn = created("token", "create", "--party", US, "--role", "liaison",
                           "--name", "US node", "--machine", db=cn_db)
        created("peer", "add", "china", "--url", cn_url, "--token", us_on_cn, "--insecure",
                db=us_db)
        cn_on_us = created("token", "create", "--party", CN, "--role", "liaison",
                           "--name", "CN node", "--machine", db=us_db)
        created("peer", "add", "us", "--url", us_url, "--token", cn_on_us, "--party", US,
                "--insecure", db=cn_db)
        us_officer = created("token", "create", "--party", US, "--role", "liaison",
                             "--name", "Officer Smith", db=us_db)
        cn_officer = created("token", "create", "--party", CN, "--role", "liaison",
                             "--name", "Officer Wang", db=cn_db)
        # China's evidence, shared with the US (TLP:AMBER), named in Chinese.
        cn_id = json.loads(run_accord("peer", "list", "--json", db=us_db).stdout)["party_id"]
        bundle = tmp_path / "evidence.json"
        bundle.write_text(json.dumps({"type": "bundle", "id": "bundle--2", "objects": [
            indicator(EVIDENCE_ID, EVIDENCE_NAME, "198.51.100.7", cn_id,
                      "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421")]},
            ensure_ascii=False), encoding="utf-8")
        assert run_accord("import", str(bundle), "--collection", "evidence",
                          db=cn_db).returncode == 0
        assert run_accord("collection", "grant", "evidence", "--party", US, "--read",
                          db=cn_db).returncode == 0

        cn_page = chromium.new_context(viewport=DESKTOP, locale="en-US").new_page()
        us_page = chromium.new_context(viewport=DESKTOP, locale="en-US").new_page()

        # 0. Before anyone signs in, the sign-in page too is in Chinese once chosen.
        visitor = chromium.new_context(viewport=DESKTOP, locale="en-US").new_page()
        visitor.goto(cn_url + "ui/")
        visitor.get_by_role("button", name="中文（简体）").click()
        expect(visitor.get_by_role("heading", level=1)).to_contain_text("登录")
        in_chinese(visitor, "sign-in")

        # 1. Her browser asks for English; she signs in and switches to 中文 (kept with her).
        sign_in(cn_page, cn_url, cn_officer)
        cn_page.get_by_role("button", name="中文（简体）").click()
        expect(cn_page.get_by_role("heading", level=1)).to_have_text("工作台")
        in_chinese(cn_page, "dashboard-empty", shoot=False)

        # 2. She files a request for assistance, finding her evidence by its address.
        cn_page.get_by_role("link", name="新建请求").first.click()
        cn_page.get_by_label("接收方").select_option(label=US)
        cn_page.get_by_label("信息", exact=True).check()
        cn_page.get_by_label("活动类别").select_option("ip-theft")
        cn_page.get_by_label("紧急").check()
        cn_page.locator("#summary").fill(SUMMARY)
        expect(cn_page.locator("#missing")).to_contain_text("证据")
        cn_page.get_by_label(re.compile("查找证据")).fill("198.51.100.7")
        cn_page.get_by_role("button", name=f"附加 {EVIDENCE_NAME}").click()
        expect(cn_page.get_by_label(re.compile("已附加"))).to_have_value(EVIDENCE_ID)
        expect(cn_page.locator("#missing")).to_be_hidden()
        in_chinese(cn_page, "new-request")
        cn_page.get_by_role("button", name="发送请求").click()
        expect(cn_page.get_by_role("status")).to_contain_text("请求已发送")
        rid = cn_page.url.split("/ui/requests/")[1].split("?")[0]
        in_chinese(cn_page, "request-sent")

        # 3. The US officer, in English, acknowledges and answers it.
        sign_in(us_page, us_url, us_officer)
        until(us_page, lambda: us_page.get_by_text(SUMMARY).count() > 0, 30,
              "the request to reach the US node")
        us_page.goto(f"{us_url}ui/requests/{rid}")
        us_page.get_by_label("Note to the requester").fill("Received; looking into it")
        us_page.get_by_role("button", name="Acknowledge").click()
        expect(us_page.get_by_role("status")).to_contain_text("Acknowledged")
        us_page.get_by_label(re.compile("Information provided:")).check()
        us_page.get_by_label("Answer", exact=True).fill(ANSWER)
        us_page.get_by_role("button", name="Send response").click()
        expect(us_page.get_by_role("status")).to_contain_text("Response sent")
        us_page.set_viewport_size(PHONE)
        shot(us_page, "request-phone")

        # 4. The answer reaches her: her dashboard says to rate it, and she does, in Chinese.
        cn_page.goto(f"{cn_url}ui/")
        rate = cn_page.get_by_role("link", name=re.compile("评价答复"))
        until(cn_page, lambda: rate.count() > 0, 30, "the response to reach China's node")
        in_chinese(cn_page, "dashboard")
        rate.click()
        cn_page.get_by_label("4", exact=True).check()
        cn_page.locator("#rate-comment").fill("答复及时、完整。")
        cn_page.get_by_role("button", name="提交评价").click()
        expect(cn_page.get_by_role("status")).to_contain_text("评价已发送")
        timeline = cn_page.locator("ol.timeline")
        for step in ("请求已发送", "接收方节点已收到", "已确认收到", "答复", "已评价",
                     "确认收到期限", "答复期限"):
            expect(timeline).to_contain_text(step)
        expect(cn_page.locator("main")).to_contain_text("已提供信息")
        in_chinese(cn_page, "request")

        # 5. Every other page of her cycle: the lists, the hotline, the review, search.
        nav = cn_page.get_by_role("navigation", name="主导航")
        nav.get_by_role("link", name="请求", exact=True).click()
        expect(cn_page.get_by_role("heading", level=1)).to_have_text("请求")
        in_chinese(cn_page, "requests")
        nav.get_by_role("link", name="热线").click()
        expect(cn_page.get_by_role("heading", level=1)).to_have_text("热线")
        in_chinese(cn_page, "hotline")
        nav.get_by_role("link", name="评估").click()
        expect(cn_page.get_by_role("heading", level=1)).to_have_text("及时性与质量评估")
        in_chinese(cn_page, "review")
        nav.get_by_role("link", name="搜索").click()
        cn_page.get_by_label("值、名称、ID 或类型").fill("198.51.100.7")
        cn_page.get_by_role("button", name="搜索").click()
        expect(cn_page.get_by_role("link", name=EVIDENCE_NAME).first).to_be_visible()
        in_chinese(cn_page, "search")
        cn_page.get_by_role("link", name=EVIDENCE_NAME).first.click()
        expect(cn_page.get_by_role("heading", name="属性")).to_be_visible()
        in_chinese(cn_page, "object")

        # 6. And back to English, from any page: the same page.
        cn_page.get_by_role("button", name="English").click()
        expect(cn_page.get_by_role("heading", name="Properties")).to_be_visible()
        expect(cn_page.locator("html")).to_have_attribute("lang", "en")

        # 7. The node's administrator reads the administration in Chinese too.
        admin = chromium.new_context(viewport=DESKTOP, locale="en-US").new_page()
        sign_in(admin, cn_url, cn_admin)
        admin.get_by_role("button", name="中文（简体）").click()
        admin.get_by_role("navigation", name="主导航").get_by_role("link", name="管理").click()
        expect(admin.get_by_role("heading", level=1)).to_have_text(f"{CN} 的管理")
        expect(admin.get_by_role("heading", name="参与方", exact=True)).to_be_visible()
        shot(admin, "zh-admin")
        admin.set_viewport_size(PHONE)
        shot(admin, "zh-admin-phone")
