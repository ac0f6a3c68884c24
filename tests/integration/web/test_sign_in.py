"""Signing in with a token, sessions, anti-forgery, and the headers every page carries."""

from __future__ import annotations

import re

from accord.store.audit_log import AuditQuery


def test_a_valid_token_opens_a_session_and_a_wrong_one_is_told_why(world, browser):
    anonymous = browser(None)
    first = anonymous.get("/ui/")
    assert first.status_code == 200 and "Sign in to United States (US-CERT)" in first.text
    assert str(first.url).endswith("/ui/sign-in?next=/ui/")
    refused = anonymous.post("/ui/sign-in", {"token": "accord_not-a-token", "next": "/ui/"})
    assert refused.status_code == 401
    assert "not valid here" in refused.text and "accord_not-a-token" not in refused.text
    signed = anonymous.post("/ui/sign-in", {"token": world.other_token, "next": "/ui/hotline"})
    assert signed.status_code == 303 and signed.headers["location"] == "/ui/hotline"
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui/" in cookie
    assert world.other_token not in cookie  # the browser holds a session, never the token
    page = anonymous.get("/ui/")
    assert page.status_code == 200 and "China (CNCERT/CC)" in page.text
    world.node.reads.flush()
    actions = [r.event.action for r in world.node.audit.query(AuditQuery(limit=50))]
    assert "ui.sign-in" in actions and "auth.refused" in actions


def test_sign_in_only_sends_you_to_pages_of_this_ui(world, browser):
    anonymous = browser(None)
    for target in ("https://evil.example/", "//evil.example/ui/", "/api/v1/audit"):
        anonymous.get("/ui/sign-in")
        signed = anonymous.post("/ui/sign-in", {"token": world.other_token, "next": target})
        assert signed.headers["location"] == "/ui/", target


def test_the_sign_in_form_needs_its_own_anti_forgery_token(world, browser):
    anonymous = browser(None)
    anonymous.get("/ui/sign-in")
    forged = anonymous.post("/ui/sign-in", {"token": world.other_token}, csrf="guessed")
    assert forged.status_code == 403 and "expired" in forged.text
    assert anonymous.get("/ui/").url.path == "/ui/sign-in"


def test_signing_out_or_revoking_the_token_ends_the_session(world, browser):
    officer = browser(world.other_token)
    assert officer.get("/ui/").status_code == 200
    secret = officer.client.cookies.get("accord_session")
    forced = officer.post("/ui/sign-out", csrf="from-another-site")
    assert forced.status_code == 403 and officer.get("/ui/").status_code == 200
    out = officer.post("/ui/sign-out")
    assert out.status_code == 303 and out.headers["location"] == "/ui/sign-in"
    assert officer.get("/ui/").url.path == "/ui/sign-in"
    # On the trail as the officer's party's act, as the sign-in was (not the operator's).
    from accord.store.audit_log import AuditQuery

    world.node.reads.flush()
    [signed_out] = world.node.audit.query(AuditQuery(action="ui.sign-out"))
    assert signed_out.event.party_id == world.other.id
    replayed = browser(None)  # the old cookie, copied: the session has ended on the node
    replayed.client.cookies.set("accord_session", secret, path="/ui/")
    assert replayed.get("/ui/").url.path == "/ui/sign-in"

    again = browser(world.other_token)
    assert again.get("/ui/hotline").url.path == "/ui/hotline"
    token_id = next(t.id for t in world.node.directory.tokens()
                    if t.party_name == world.other.name)
    world.node.directory.revoke_token(token_id)
    assert again.get("/ui/hotline").url.path == "/ui/sign-in"


def test_a_form_without_the_pages_anti_forgery_token_changes_nothing(world, browser):
    officer = browser(world.other_token)
    officer.get("/ui/requests/new")
    forged = officer.post("/ui/admin/party", {"name": "Forged"}, csrf="")
    assert forged.status_code == 403
    other_site = officer.post("/ui/requests/new", {"summary": "x"},
                              headers={"Origin": "https://evil.example"})
    assert other_site.status_code == 403 and "expired" in other_site.text
    assert world.node.directory.find_party("Forged") is None


def test_every_page_carries_the_security_headers_and_no_inline_script(world, browser):
    admin = browser(world.admin_token)
    for path in ("/ui/", "/ui/requests/new", "/ui/hotline", "/ui/review", "/ui/search?q=x",
                 "/ui/admin", "/ui/sign-in"):
        page = admin.get(path)
        assert page.status_code == 200, path
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert page.headers["cache-control"] == "no-store"
        if path != "/ui/sign-in":  # the node's own admins see how long a page took
            assert page.headers["server-timing"].startswith("app;dur="), path
        assert "<script>" not in page.text and "style=" not in page.text, path
    # Nobody else: a party timing the search for what others hold got the server's own time.
    officer = browser(world.other_token)
    for path in ("/ui/", "/ui/search?q=x", "/ui/sign-in"):
        assert "server-timing" not in officer.get(path).headers, path
    assert admin.get("/ui/static/accord.js").headers["content-type"].startswith(
        "text/javascript")


def test_a_page_that_does_not_exist_is_an_html_page_not_a_traceback(world, browser):
    admin = browser(world.admin_token)
    missing = admin.get("/ui/no-such-page")
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
    assert "There is no such page" in missing.text
    # For the signed-in officer, a page as any other: the menu, and language buttons that
    # work (their form had no anti-forgery token, and did nothing).
    csrf = re.search(r'<form class="language"[^>]*>\s*<input type="hidden" name="csrf" '
                     r'value="([^"]*)"', missing.text)
    assert csrf and csrf.group(1)
    assert 'href="/ui/hotline"' in missing.text
    switched = admin.post("/ui/language", {"lang": "zh-Hans", "next": "/ui/no-such-page",
                                           "csrf": csrf.group(1)})
    assert switched.status_code == 303
    assert '<html lang="zh-Hans">' in admin.get("/ui/no-such-page").text
    assert admin.get("/").headers.get("location") is None  # followed to the UI
    assert admin.get("/").url.path in ("/ui/", "/ui/sign-in")


def test_a_failure_inside_a_page_is_a_plain_500_page_without_details(world, browser,
                                                                      monkeypatch):
    from accord.store.browse import Browse

    def broken(*_args, **_kwargs):
        raise RuntimeError("secret internals: indicator--deadbeef")

    monkeypatch.setattr(Browse, "recent", broken)
    admin = browser(world.admin_token, raise_server_errors=False)
    failed = admin.get("/ui/")
    assert failed.status_code == 500 and "Something went wrong" in failed.text
    assert "secret internals" not in failed.text and "Traceback" not in failed.text


def test_failed_sign_ins_are_in_the_admin_pages_audit_log_without_the_token(world, browser):
    anonymous = browser(None)
    anonymous.get("/ui/sign-in")
    assert anonymous.post("/ui/sign-in", {"token": "accord_wrongGuess42"}).status_code == 401
    world.node.reads.flush()
    page = browser(world.admin_token).get("/ui/admin?action=auth")
    assert "auth.refused" in page.text and "not authenticated" in page.text
    assert "sign-in" in page.text and "wrongGuess42" not in page.text
