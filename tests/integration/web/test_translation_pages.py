"""Translations on the request page: either officer adds one with the form; both see the
original, marked authoritative, beside it with who translated and when; a refusal says why."""

from __future__ import annotations

from html import unescape

import pytest

from accord.cooperation.desk import Actor, Desk, Draft
from accord.store.guidelines import GuidelinesStore


@pytest.fixture
def rid(world):
    GuidelinesStore(world.node.engine).add('[required]\ninformation = []\n',
                                           "2000-01-01T00:00:00.000000Z")
    return Desk(world.node).create(Actor(world.own), Draft(
        world.other.name, "information", "intrusion", "urgent", "Who runs 198.51.100.7?",
        description="Seen since Monday")).request.id


def test_the_addressee_translates_the_request_and_both_see_it_side_by_side(world, browser, rid):
    cn = browser(world.other_token)
    page = cn.get(f"/ui/requests/{rid}")
    assert "Add translation" in page.text and f'action="/ui/requests/{rid}/translations"' \
        in page.text
    done = cn.post(f"/ui/requests/{rid}/translations", {
        "object": rid, "lang": "zh-Hans", "text-summary": "谁在运行 198.51.100.7？",
        "text-description": "自周一起可见"})
    assert done.status_code == 303, done.text
    assert done.headers["location"].endswith("?done=translate#translations")
    for officer in (cn, browser(world.admin_token)):
        shown = officer.get(f"/ui/requests/{rid}")
        assert "original · 原文" in shown.text
        assert "谁在运行 198.51.100.7？" in shown.text and "自周一起可见" in shown.text
        assert f"Chinese (Simplified), translated by {world.other.name}" in shown.text
        assert 'lang="zh-Hans"' in shown.text
    # shown with the request, not as evidence shared with the requester
    assert "language-content--" not in browser(world.admin_token).get("/ui/").text


def test_a_refused_translation_says_why_on_the_page(world, browser, rid):
    cn = browser(world.other_token)
    cn.get(f"/ui/requests/{rid}")
    refused = cn.post(f"/ui/requests/{rid}/translations",
                      {"object": rid, "lang": "en", "text-summary": "same language"})
    assert refused.status_code == 400
    assert "written in en: a translation is into another language" in refused.text
    # In the officer's language, its slips too.
    assert cn.post("/ui/language", {"lang": "zh-Hans", "next": "/ui/"}).status_code == 303
    for form, said in (({"lang": "中文", "text-summary": "谁？"},
                        "语言 '中文' 不是 RFC 5646 语言代码"),
                       # The fields in the officer's words, not as properties ("summary").
                       ({"lang": "zh-Hans", "text-summary": " "},
                        "翻译至少需要以下其中一项的译文：摘要，描述"),
                       ({"lang": "en", "text-summary": "Who?"}, "此文本以 en 写成")):
        refused = cn.post(f"/ui/requests/{rid}/translations", {"object": rid, **form})
        assert refused.status_code == 400 and said in unescape(refused.text), form


def test_the_section_reads_in_chinese(world, browser, rid):
    cn = browser(world.other_token)
    page = cn.get(f"/ui/requests/{rid}", headers={"Accept-Language": "zh-CN"})
    assert "添加译文" in page.text and "原文" in page.text


def test_a_new_request_carries_the_languages_the_guidelines_require(world, browser):
    GuidelinesStore(world.node.engine).add(
        '[required]\ninformation = []\n[languages]\nrequired = ["en", "zh-Hans"]\n',
        "2000-01-01T00:00:00.000000Z")
    us = browser(world.admin_token)
    form = us.get("/ui/requests/new")
    assert "The guidelines require every request in: en, zh-Hans" in form.text
    fields = {"to": world.other.id, "kind": "information", "category": "intrusion",
              "urgency": "urgent", "summary": "Who runs 198.51.100.7?"}
    refused = us.post("/ui/requests/new", fields)
    assert refused.status_code == 400 and "require this request in zh-Hans" in refused.text
    assert 'value="Who runs 198.51.100.7?"' in refused.text  # nothing typed is lost
    sent = us.post("/ui/requests/new", {**fields, "tr_lang": "zh-Hans",
                                        "tr_summary": "谁在运行 198.51.100.7？"})
    assert sent.status_code == 303, sent.text
    page = browser(world.other_token).get(sent.headers["location"].split("?")[0])
    assert "谁在运行 198.51.100.7？" in page.text and "original · 原文" in page.text


def test_a_refused_translation_comes_back_with_what_was_typed_in_the_officers_words(
        world, browser, rid):
    cn = browser(world.other_token)
    cn.get(f"/ui/requests/{rid}")
    assert cn.post("/ui/language", {"lang": "zh-Hans", "next": "/ui/"}).status_code == 303
    cn.get(f"/ui/requests/{rid}")
    long = "长" * 20_001
    refused = cn.post(f"/ui/requests/{rid}/translations", {
        "object": rid, "lang": "zh-Hans", "text-summary": "谁在运行？", "text-description": long})
    page = unescape(refused.text)
    assert refused.status_code == 400
    assert "描述：共 20,001 个字符；译文最多 20,000 个字符" in page, page[-3000:]
    assert "characters" not in page
    # Nothing typed is lost: the form opens again holding it.
    assert ">谁在运行？</textarea>" in page and f">{long}</textarea>" in page
    assert 'name="lang" required list="tr-languages" spellcheck="false" value="zh-Hans"' in page


@pytest.mark.parametrize(("fields", "said"), [
    ({"lang": "en", "tr_lang": "en", "tr_summary": "Who?"}, "此文本以 en 写成"),
    ({"tr_lang": "zh-Hans", "tr_summary": ""}, "翻译至少需要以下其中一项的译文"),
    ({"tr_lang": "zh-Hans", "tr_impact": "影响"}, "影响：原文没有此项，无可翻译"),
    ({"tr_lang": "zh_Hans!", "tr_summary": "谁？"}, "不是 RFC 5646 语言代码"),
])
def test_the_new_request_forms_translation_is_refused_in_the_officers_words(
        world, browser, fields, said):
    GuidelinesStore(world.node.engine).add('[required]\ninformation = []\n',
                                           "2000-01-01T00:00:00.000000Z")
    us = browser(world.admin_token)
    us.get("/ui/requests/new")
    assert us.post("/ui/language", {"lang": "zh-Hans", "next": "/ui/"}).status_code == 303
    us.get("/ui/requests/new")
    refused = us.post("/ui/requests/new", {
        "to": world.other.id, "kind": "information", "category": "intrusion",
        "urgency": "urgent", "summary": "Who runs 198.51.100.7?", "lang": "en", **fields})
    page = unescape(refused.text)
    assert refused.status_code == 400 and said in page, page[page.find("<main"):][:2500]
    assert "x-accord-request--" not in page  # no id of a request that was never made


def test_a_text_is_shown_with_its_translation_into_the_readers_language(world, browser, rid):
    cn = browser(world.other_token)
    cn.get(f"/ui/requests/{rid}")
    assert cn.post(f"/ui/requests/{rid}/translations", {
        "object": rid, "lang": "zh-Hans", "text-summary": "谁在运行 198.51.100.7？",
        "text-description": "自周一起可见"}).status_code == 303
    in_chinese = cn.get(f"/ui/requests/{rid}", headers={"Accept-Language": "zh-CN"}).text
    head = in_chinese.split('<section aria-labelledby="translations"', 1)[0]
    assert '<div class="translated summary" lang="zh-Hans">' in head
    assert "谁在运行 198.51.100.7？" in head
    assert '<div class="translated description" lang="zh-Hans">' in head and "自周一起可见" in head
    # Its English reader reads the original alone: it is in English.
    in_english = browser(world.admin_token).get(f"/ui/requests/{rid}").text
    assert 'class="translated"' not in in_english
