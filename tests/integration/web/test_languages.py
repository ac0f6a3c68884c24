"""The UI in the reader's language: the browser's Accept-Language as the first guess, then the
person's own choice, kept with the person and switchable on every page."""

from __future__ import annotations


def test_the_browser_language_is_the_first_guess_before_sign_in(world, browser):
    anonymous = browser(None)
    chinese = anonymous.get("/ui/sign-in", headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert '<html lang="zh-Hans">' in chinese.text and "登录" in chinese.text
    english = anonymous.get("/ui/sign-in", headers={"accept-language": "fr-FR,en;q=0.5"})
    assert '<html lang="en">' in english.text and "Sign in to" in english.text
    # Traditional Chinese is not guessed as Simplified.
    assert '<html lang="en">' in anonymous.get(
        "/ui/sign-in", headers={"accept-language": "zh-TW"}).text


def test_before_sign_in_a_choice_is_kept_in_the_browser_only(world, browser):
    anonymous = browser(None)
    anonymous.get("/ui/sign-in")
    chosen = anonymous.post("/ui/language", {"lang": "zh-Hans", "next": "/ui/sign-in"})
    assert chosen.status_code == 303 and chosen.headers["location"] == "/ui/sign-in"
    assert "登录" in anonymous.get("/ui/sign-in").text
    refused = anonymous.post("/ui/sign-in", {"token": "accord_wrong", "next": "/ui/"})
    assert refused.status_code == 401 and "该令牌在此无效" in refused.text


def test_a_person_s_choice_is_kept_with_the_person_on_every_browser(world, browser):
    officer = browser(world.other_token)
    assert "Dashboard" in officer.get("/ui/").text
    switched = officer.post("/ui/language", {"lang": "zh-Hans", "next": "/ui/hotline"})
    assert switched.headers["location"] == "/ui/hotline"
    assert '<html lang="zh-Hans">' in officer.get("/ui/").text
    # Another browser of the same person, asking for English, still gets the choice.
    elsewhere = browser(world.other_token)
    assert '<html lang="zh-Hans">' in elsewhere.get(
        "/ui/", headers={"accept-language": "en"}).text
    elsewhere.post("/ui/language", {"lang": "en", "next": "/ui/"})
    assert '<html lang="en">' in officer.get("/ui/").text


def test_a_choice_without_the_page_s_anti_forgery_token_changes_nothing(world, browser):
    officer = browser(world.other_token)
    officer.get("/ui/")
    officer.post("/ui/language", {"lang": "zh-Hans", "next": "/ui/"}, csrf="forged")
    assert '<html lang="en">' in officer.get("/ui/").text
    # Only pages of this UI as the way back, and only languages Accord speaks.
    away = officer.post("/ui/language", {"lang": "zh-Hans", "next": "https://evil.example/"})
    assert away.headers["location"] == "/ui/"
    officer.post("/ui/language", {"lang": "xx-Klingon", "next": "/ui/"})
    assert '<html lang="zh-Hans">' in officer.get("/ui/").text


def test_an_overlong_field_is_refused_by_its_label_in_the_reader_s_language(world, browser):
    from tests.integration.web.test_request_pages import REQUEST, at_new_request

    officer = at_new_request(world, browser, accord_lang="zh-Hans")
    refused = officer.post("/ui/requests/new", {**REQUEST, "to": world.other.id,
                                                "description": "x" * 20_001})
    assert refused.status_code == 400
    assert "有 20,001 个字符：最多只能有 20,000 个" in refused.text
    assert "x-accord-request" not in refused.text
