"""Why a name matched, as words any language can say: English as the reason is written, another
language from its catalogue, and a kept reason read back the same."""

from __future__ import annotations

import pytest

from accord.attribution.arrivals import Flag
from accord.i18n.catalogue import catalogue
from accord.screening import Listed, Screener
from accord.screening.reasons import said_from_json


@pytest.fixture(scope="module")
def found():  # type: ignore[no-untyped-def]
    screener = Screener([Listed("silence", "Sichuan Silence Information Technology Co., Ltd.",
                                kind="organization"),
                         Listed("lab", "Harmless Research Lab", kind="organization")])
    [match] = screener.screen("{Sichuan} Silence Information Technology Company, Limited")
    return match


def test_a_reason_in_english_is_its_why(found):
    assert found.reason is not None and found.reason.english() == found.why
    assert "on its distinctive words 'silence', ignoring the legal form" in found.why


def test_a_reason_in_chinese_quotes_the_names_as_written(found):
    zh = found.reason.render(catalogue("zh-Hans").gettext)
    assert "依据其特征词 “silence”，不计法律形式" in zh
    assert "“{Sichuan} Silence" in zh  # a brace in a name is a name, never a place to fill
    assert "distinctive" not in zh


def test_a_kept_reason_reads_back_the_same(found):
    import orjson

    kept = orjson.loads(orjson.dumps(found.reason.as_json()))
    assert said_from_json(kept) == found.reason
    with pytest.raises(ValueError, match="not a screening reason"):
        said_from_json({"said": "x", "values": {"a": {"run": [{"nothing": 1}]}}})


def test_a_translation_that_does_not_fit_its_message_shows_the_english(found):
    flag = Flag(1, "2026-12-05T00:00:00Z", "identity--x", "c", "x", "d", "x", found.score,
                found.why, found.reason)
    broken = {found.reason.template: "{frame}：{笔记}"}
    assert flag.why_in(lambda message: broken.get(message, message)) == found.why
    from dataclasses import replace

    assert replace(flag, reason=None).why_in(lambda m: "x") == found.why  # none kept: English


def test_several_names_are_quoted_and_joined_as_the_language_does():
    screener = Screener([Listed("apt", "Wuhan Xiaoruizhi Science and Technology Co",
                                kind="organization")])
    [close] = screener.screen("Xiaoruizhi Science Beijing Company")
    assert "without 'technology', 'wuhan'" in close.why
    zh = close.reason.render(catalogue("zh-Hans").gettext)
    assert "缺少 “technology”，“wuhan”" in zh and "'" not in zh
