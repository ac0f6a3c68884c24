"""In Chromium: the addressee's officer opens a request written in English, adds a Chinese
translation with the form, and reads it beside the original, marked authoritative; then finds
the request in the list by the words of that translation, which a party that may not read the
request does not."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect
from tests.e2e.conftest import NodeDatabases, created, run_accord, serving
from tests.e2e.test_ui_browser import chromium, shot, sign_in  # noqa: F401  (fixture)

US, CN = "United States (US-CERT)", "China (CNCERT/CC)"


def test_an_officer_adds_a_translation_and_reads_it_beside_the_original(databases: NodeDatabases,
        tmp_path: Path, chromium: Browser):  # noqa: F811
    db = databases.new("node")
    created("init", "--party", US, db=db)
    created("party", "add", CN, db=db)
    token = created("token", "create", "--party", CN, "--role", "liaison", db=db)
    policy = tmp_path / "guidelines.toml"
    policy.write_text("[required]\ninformation = []\n")
    created("guidelines", "set", str(policy), db=db)
    rid = created("request", "create", "--to", CN, "--kind", "information", "--category",
                  "intrusion", "--urgency", "urgent", "--summary",
                  "Who operates the C2 server at 198.51.100.7?", "--description",
                  "Seen beaconing from three ministries since Monday.", db=db)
    with serving(db, tmp_path / "node.log") as base:
        page = chromium.new_page(viewport={"width": 1366, "height": 900})
        sign_in(page, base, token)
        page.goto(f"{base}ui/requests/{rid}")
        article = page.locator(f"[id='tr-{rid}']")
        article.get_by_text("Add translation").first.click()
        article.get_by_label("Language of the translation").fill("zh-Hans")
        article.get_by_label("Summary").fill("谁在运营 198.51.100.7 的 C2 服务器？")
        article.get_by_label("Description").fill("自周一以来，在三个部委发现其信标通信。")
        article.get_by_role("button", name="Add translation").click()
        expect(page.get_by_role("status")).to_contain_text("Translation added")
        article = page.locator(f"[id='tr-{rid}']")
        expect(article.locator(".original")).to_contain_text("original · 原文")
        expect(article.locator(".translation")).to_contain_text("谁在运营 198.51.100.7")
        expect(article.locator(".translation")).to_contain_text(f"translated by {CN}")
        shot(page, "request-translation")
        page.close()


def test_an_officer_finds_a_request_by_the_words_of_its_translation_in_the_list(
        databases: NodeDatabases, tmp_path: Path, chromium: Browser):  # noqa: F811
    db = databases.new("node")
    created("init", "--party", US, db=db)
    created("party", "add", CN, db=db)
    created("party", "add", "Russia", db=db)
    wang = created("token", "create", "--party", CN, "--role", "liaison", db=db)
    ivanov = created("token", "create", "--party", "Russia", "--role", "liaison", db=db)
    policy = tmp_path / "guidelines.toml"
    policy.write_text("[required]\ninformation = []\n")
    created("guidelines", "set", str(policy), db=db)
    rid = created("request", "create", "--to", CN, "--kind", "information", "--category",
                  "intrusion", "--urgency", "urgent", "--summary",
                  "Who operates the C2 server at 198.51.100.7?", "--description",
                  "Seen beaconing from three ministries since Monday.", db=db)
    # Russia reads the requests collection, and is no party to this request.
    assert run_accord("collection", "grant", "requests", "--party", "Russia", "--read",
                      db=db).returncode == 0
    with serving(db, tmp_path / "node.log") as base:
        page = chromium.new_page(viewport={"width": 1366, "height": 900})
        sign_in(page, base, wang)
        page.goto(f"{base}ui/requests/{rid}")
        article = page.locator(f"[id='tr-{rid}']")
        article.get_by_text("Add translation").first.click()
        article.get_by_label("Language of the translation").fill("zh-Hans")
        article.get_by_label("Summary").fill("谁在运营 198.51.100.7 的 C2 服务器？")
        article.get_by_label("Description").fill("自周一以来，在三个部委发现其信标通信。")
        article.get_by_role("button", name="Add translation").click()
        expect(page.get_by_role("status")).to_contain_text("Translation added")

        # In Chinese, the words of the translated description find the request, and its row
        # says what the request is in Chinese, marked as a translation.
        page.goto(f"{base}ui/requests")
        page.locator("form.language button[value=zh-Hans]").click()
        page.locator("#f-q").fill("信标")
        page.locator("#f-q").press("Enter")
        rows = page.locator("table.list tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("Who operates the C2 server at 198.51.100.7?")
        translated = rows.first.locator(".translated")
        expect(translated).to_have_attribute("lang", "zh-Hans")
        expect(translated).to_contain_text("谁在运营 198.51.100.7 的 C2 服务器？")
        expect(translated).to_contain_text(f"中文（简体），由 {CN} 翻译")

        # A party that may not read the request finds nothing by the same words.
        other = chromium.new_page(viewport={"width": 1366, "height": 900})
        sign_in(other, base, ivanov)
        other.goto(f"{base}ui/requests?q=%E4%BF%A1%E6%A0%87")
        expect(other.locator("table.list tbody")).to_contain_text("No request matches.")
        page.close()
        other.close()
