"""The REST API's documentation page in a real browser (Debian's Chromium via Playwright), on a
node that can reach nothing but itself: Swagger UI renders from the node's own assets, under a
Content-Security-Policy that the page never violates."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx
from playwright.sync_api import Browser, expect
from tests.e2e.conftest import NodeDatabases, created, serving
from tests.e2e.test_ui_browser import chromium  # noqa: F401  (fixture)


def test_the_api_docs_render_offline_under_a_strict_policy(databases: NodeDatabases, tmp_path: Path,
                                                           chromium: Browser):  # noqa: F811
    db = databases.new("node")
    token = created("init", "--party", "United States (US-CERT)", db=db)
    with serving(db, tmp_path / "serve.log") as base:
        docs = httpx.get(base + "api/v1/docs")
        policy = docs.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy

        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        elsewhere: list[str] = []
        refused: list[str] = []
        own = urlsplit(base).netloc

        def only_this_node(route, request) -> None:  # an isolated network, as on an air gap
            if urlsplit(request.url).netloc != own and not request.url.startswith("data:"):
                elsewhere.append(request.url)
                route.abort()
            else:
                route.continue_()

        page.route("**/*", only_this_node)
        page.on("console", lambda m: refused.append(m.text)
                if "Content Security Policy" in m.text else None)
        page.goto(base + "api/v1/docs")
        expect(page.get_by_role("heading", name="Accord REST API")).to_be_visible()
        expect(page.locator(".opblock-summary-path", has_text="/requests").first).to_be_visible()

        # The description's security schemes drive Swagger's "Authorize", and a call made
        # from the page reaches the API (connect-src 'self').
        page.get_by_role("button", name="Authorize").first.click()
        page.get_by_label("auth-bearer-value").fill(token)
        page.get_by_role("button", name="Apply credentials").first.click()
        page.get_by_role("button", name="Close").first.click()
        page.locator(".opblock-summary-path", has_text="/node").first.click()
        page.get_by_role("button", name="Try it out").click()
        page.get_by_role("button", name="Execute").click()
        expect(page.locator(".response .response-col_status").first).to_have_text("200")

        assert elsewhere == [], f"the page asked for {elsewhere}"
        assert refused == [], f"the Content-Security-Policy refused: {refused}"
