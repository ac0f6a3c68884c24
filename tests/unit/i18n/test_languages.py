"""Choosing the reader's language, and naming the languages parties write in."""

from __future__ import annotations

import pytest

from accord.i18n.languages import (
    chosen,
    from_accept_language,
    known,
    language_name,
    written_in,
)


@pytest.mark.parametrize(("header", "expected"), [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh-Hans"),
    ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
    ("fr-FR,de;q=0.9", "en"),  # none of ours: English
    ("zh-TW", "en"),  # Traditional is not guessed as Simplified
    ("fr;q=1,zh-Hans;q=0.3", "zh-Hans"),
    ("zh-Hans;q=0, en;q=0.1", "en"),  # q=0 means "not this one"
    ("", "en"),
    (None, "en"),
    ("zh-CN;q=nonsense", "en"),
])
def test_the_browser_s_languages_give_the_first_guess(header, expected) -> None:
    assert from_accept_language(header) == expected


def test_a_person_s_own_choice_wins_over_the_browser() -> None:
    assert chosen("zh-Hans", "en-US") == "zh-Hans"
    assert chosen("", "zh-CN") == "zh-Hans"
    assert chosen("tlh", "zh-CN") == "zh-Hans"  # a stored tag we do not speak is ignored
    assert known("zh_CN") == "zh-Hans" and known("en-GB") == "en" and known("ja") is None


def test_languages_are_named_in_the_reader_s_language() -> None:
    assert language_name("zh-Hans", "en") == "Chinese (Simplified)"
    assert language_name("en", "zh-Hans") == "英语"
    # Chinese sets the parentheses full width, as the language chooser does.
    assert language_name("zh-Hant", "zh-Hans") == "中文（繁体）"
    assert language_name("xx-Klingon", "en") == "xx-Klingon"  # unknown: the tag as written


@pytest.mark.parametrize(("texts", "tag"), [
    (("Who operates the C2 server at 198.51.100.7?",), "en"),
    (("请协助查明198.51.100.7的控制服务器运营者",), "zh-Hans"),
    (("請協助查明該伺服器的運營者",), "zh-Hant"),
    (("APT19 的 C2", "Beaconing from OPM hosts to the server"), "en"),  # mostly English
    (("", ""), "en"),
])
def test_the_language_of_what_was_written_is_read_from_it(texts, tag) -> None:
    assert written_in(*texts) == tag
