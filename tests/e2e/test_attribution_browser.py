"""The disputed-attribution page in a real browser (Debian's Chromium through Playwright): the
US's liaison officer attributes a campaign from its object page, China's denies it on the same
node, the page says why it stands contested; a third party sees none of it. The screenshot
docs/screenshots/attribution.png comes from this test."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect
from tests.e2e.conftest import NodeDatabases, created, run_accord, serving
from tests.e2e.test_ui_browser import chromium, shot, sign_in  # noqa: F401  (fixture)
from tests.opm import APT19, OPM, opm_bundle

US, CN, RU = "United States (US-CERT)", "China (CNCERT/CC)", "Russia (GOV-CERT.RU)"


def test_a_claim_is_made_and_denied_in_the_browser(
        databases: NodeDatabases, tmp_path: Path, chromium: Browser):  # noqa: F811
    db = databases.new("us")
    created("init", "--party", US, db=db)
    created("party", "add", CN, db=db)
    bundle = opm_bundle(tmp_path / "opm.json")
    assert run_accord("import", str(bundle), "--collection", "evidence", db=db).returncode == 0
    assert run_accord("collection", "grant", "evidence", "--party", CN, "--read",
                      db=db).returncode == 0
    us_officer = created("token", "create", "--party", US, "--role", "liaison", db=db)
    cn_officer = created("token", "create", "--party", CN, "--role", "liaison", db=db)
    with serving(db, tmp_path / "node.log") as base:
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        sign_in(page, base, us_officer)
        page.goto(f"{base}ui/objects/{OPM}")
        page.get_by_role("link", name="Attribution: who is held responsible").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("OPM intrusions")
        page.get_by_label("Attributed to").fill(APT19)
        page.get_by_label("Sponsoring state").fill("CN")
        page.get_by_label("technical forensics").check()
        page.get_by_label("an indictment").check()
        page.get_by_label("Confidence").fill("80")
        page.get_by_label("Summary").fill("The OPM intrusions are APT19's work.")
        page.get_by_role("button", name="Make the claim").click()
        expect(page.locator(".standing")).to_contain_text("Uncontested")
        page.context.clear_cookies()

        sign_in(page, base, cn_officer)
        page.goto(f"{base}ui/attribution/{OPM}")
        page.get_by_label("Position", exact=True).select_option("deny")
        page.get_by_label("In your words").fill("China firmly opposes groundless accusations.")
        page.get_by_label("a government statement").first.check()
        page.get_by_role("button", name="Take this position").click()
        expect(page.locator(".standing")).to_contain_text(
            f"Contested: {US} asserts it, but {CN} denies it.")
        expect(page.get_by_role("cell", name="China firmly opposes")).to_be_visible()
        shot(page, "attribution")
        page.context.clear_cookies()

        created("party", "add", RU, db=db)
        ru_officer = created("token", "create", "--party", RU, "--role", "liaison", db=db)
        sign_in(page, base, ru_officer)
        page.goto(f"{base}ui/attribution/{OPM}")
        expect(page.locator(".standing")).to_contain_text("No party attributes this activity.")
        assert "APT19's work" not in page.content()
