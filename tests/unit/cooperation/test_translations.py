"""Translations of what parties write: language-content objects that name the version they
translate, valid STIX, bounded, versioned by their translator alone, shown beside the
original only when they translate the version shown; each object records its language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accord.cooperation.guidelines import GuidelinesError, parse_guidelines, to_toml
from accord.cooperation.model import Request, StatusReport
from accord.cooperation.objects import check as check_cooperation
from accord.cooperation.objects import from_stix as cooperation_from_stix
from accord.cooperation.objects import to_stix as cooperation_to_stix
from accord.cooperation.translations import (
    MAX_LANGUAGES,
    MAX_TEXT,
    Rendition,
    TranslationError,
    check,
    for_reader,
    from_stix,
    is_translation,
    missing_languages,
    original_of,
    renditions,
    to_stix,
    translate,
)
from accord.stix.validation import validate
from accord.trust.markings import MARKING_FOR, Tlp

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
US = "identity--11111111-1111-4111-8111-111111111111"
CN = "identity--22222222-2222-4222-8222-222222222222"
OTHER = "identity--33333333-3333-4333-8333-333333333333"
RID = "x-accord-request--44444444-4444-4444-8444-444444444444"
TID = "language-content--55555555-5555-4555-8555-555555555555"


def request(lang: str = "en") -> Request:
    return Request(RID, T0, US, CN, "information", "intrusion", "urgent", "Phishing wave",
                   description="Mails from a spoofed ministry", lang=lang)


def original(lang: str = "en"):  # type: ignore[no-untyped-def]
    found = original_of(cooperation_to_stix(request(lang)))
    assert found is not None
    return found


def test_the_watchers_own_words_on_an_escalation_are_not_offered_for_translation() -> None:
    # Every page says them in its reader's language from the reason: nobody wrote them.
    from accord.cooperation.model import Escalation
    from accord.cooperation.timeline import automatic_note

    eid = "x-accord-escalation--66666666-6666-4666-8666-666666666667"
    automatic = Escalation(eid, RID, US, T0, reason="acknowledgement-overdue",
                           note=automatic_note("acknowledgement-overdue"))
    assert original_of(cooperation_to_stix(automatic)) is None
    written = Escalation(eid, RID, US, T0, reason="manual", note="No answer for a week.")
    found = original_of(cooperation_to_stix(written))
    assert found is not None and found.texts == {"note": "No answer for a week."}


def test_each_text_bearing_object_records_its_language_and_reads_it_back() -> None:
    obj = cooperation_to_stix(request("zh-Hans"))
    assert obj["lang"] == "zh-Hans"
    assert cooperation_from_stix(obj) == request("zh-Hans")
    report = StatusReport("x-accord-status-report--66666666-6666-4666-8666-666666666666", RID,
                          CN, T0, lang="zh-Hans", text="正在调查")
    assert cooperation_to_stix(report)["lang"] == "zh-Hans"


def test_an_object_without_lang_is_english_as_stix_says() -> None:
    obj = cooperation_to_stix(request())
    del obj["lang"]
    made = cooperation_from_stix(obj)
    assert isinstance(made, Request) and made.lang == "en"


def test_a_malformed_lang_is_refused_naming_the_property() -> None:
    obj = cooperation_to_stix(request()) | {"lang": "not a language!"}
    assert any(p.startswith("x-accord-request.lang:") for p in check_cooperation(obj))


def test_a_translation_is_valid_stix_and_reads_back() -> None:
    made = translate(original(), RID, CN, "zh-Hans", {"summary": "网络钓鱼"}, T0, TID)
    obj = to_stix(made)
    assert is_translation(obj)
    assert validate(obj) == []
    assert any("TLP:AMBER+STRICT or TLP:RED (it is unmarked)" in p for p in check(obj))
    obj["object_marking_refs"] = [MARKING_FOR[Tlp.CLEAR]]
    assert any("(it is TLP:CLEAR)" in p for p in check(obj))
    obj["object_marking_refs"] = [MARKING_FOR[Tlp.AMBER_STRICT]]
    assert check(obj) == []
    assert obj["object_modified"] == cooperation_to_stix(request())["modified"]
    assert from_stix(obj) == made


@pytest.mark.parametrize(("lang", "texts", "words", "about"), [
    ("zh Hans", {"summary": "x"}, "not an RFC 5646", ("lang",)),
    ("EN", {"summary": "x"}, "this text is written in en", ("lang",)),
    ("zh-Hans", {"summary": "  "}, "at least one of", ("texts",)),
    ("zh-Hans", {"impact": "x"}, "impact: the text translated has none to translate",
     ("texts.impact",)),
    ("zh-Hans", {"kind": "x"}, "not a property a translation may hold", ("texts.kind",)),
    ("zh-Hans", {"summary": "x" * (MAX_TEXT + 1)}, "at most", ("texts.summary",)),
])
def test_a_bad_translation_is_refused_saying_why_and_of_which_field(
        lang: str, texts: dict[str, str], words: str, about: tuple[str, ...]) -> None:
    with pytest.raises(TranslationError, match=words) as refused:
        translate(original(), RID, CN, lang, texts, T0, TID)
    assert refused.value.about == about


def test_a_new_version_keeps_other_languages_and_is_later_even_on_a_slow_clock() -> None:
    first = translate(original(), RID, CN, "zh-Hans", {"summary": "钓鱼"}, T0, TID)
    second = translate(original(), RID, CN, "fr", {"summary": "Hameçonnage"}, T0, "ignored",
                       first)
    assert second.id == first.id and second.modified > first.modified
    assert set(second.contents) == {"zh-Hans", "fr"}
    third = translate(original(), RID, CN, "zh-hans", {"description": "来自假冒部委的邮件"},
                      T0 + timedelta(hours=1), "ignored", second)
    assert third.contents["zh-hans"] == {"summary": "钓鱼", "description": "来自假冒部委的邮件"}


def test_only_the_translator_versions_a_translation() -> None:
    first = translate(original(), RID, CN, "zh-Hans", {"summary": "钓鱼"}, T0, TID)
    with pytest.raises(TranslationError, match="only its translator") as refused:
        translate(original(), RID, US, "zh-Hans", {"summary": "钓鱼!"}, T0, TID, first)
    assert refused.value.about == ()  # of no field: of whose the translation is


def test_languages_per_translation_are_bounded() -> None:
    made = translate(original(), RID, CN, "zh-Hans", {"summary": "x"}, T0, TID)
    for n in range(MAX_LANGUAGES - 1):
        made = translate(original(), RID, CN, f"x-l{n}", {"summary": "x"}, T0, TID, made)
    with pytest.raises(TranslationError, match=f"at most {MAX_LANGUAGES} languages"):
        translate(original(), RID, CN, "de", {"summary": "x"}, T0, TID, made)


def test_check_names_what_is_wrong_with_a_received_translation() -> None:
    obj = to_stix(translate(original(), RID, CN, "zh-Hans", {"summary": "x"}, T0, TID))
    obj["contents"]["zh-Hans"]["kind"] = "x"
    obj["object_ref"] = "indicator--44444444-4444-4444-8444-444444444444"
    del obj["object_modified"]
    problems = check(obj)
    assert any("object_ref" in p for p in problems)
    assert any("object_modified: required" in p for p in problems)


def test_a_page_shows_the_newest_version_of_each_translation_of_the_version_shown() -> None:
    first = translate(original(), RID, CN, "zh-Hans", {"summary": "钓鱼"}, T0, TID)
    second = translate(original(), RID, CN, "zh-Hans", {"summary": "网络钓鱼"},
                       T0 + timedelta(minutes=1), TID, first)
    stale = translate(original(), RID, US, "fr", {"summary": "x"}, T0,
                      "language-content--77777777-7777-4777-8777-777777777777")
    stale = type(stale)(**{**{f: getattr(stale, f) for f in stale.__slots__},
                           "object_modified": T0 - timedelta(days=1)})
    outsider = translate(original(), RID, OTHER, "de", {"summary": "x"}, T0,
                         "language-content--88888888-8888-4888-8888-888888888888")
    shown = renditions([original()], [first, second, stale, outsider], [US, CN])
    [only] = shown[RID]
    assert only.texts == {"summary": "网络钓鱼"} and only.version == 2 and only.translator == CN


def test_missing_languages_counts_only_whole_translations() -> None:
    partial = translate(original(), RID, US, "zh-Hans", {"summary": "钓鱼"}, T0, TID)
    assert missing_languages(original(), [partial], ["en", "zh-Hans"]) == ["zh-Hans"]
    whole = translate(original(), RID, US, "zh-Hans", {"description": "邮件"}, T0, TID, partial)
    assert missing_languages(original(), [whole], ["en", "zh-Hans"]) == []


def test_guidelines_name_the_languages_a_request_must_carry() -> None:
    policy = parse_guidelines('[languages]\nrequired = ["en", "zh-Hans"]\n', version=3,
                              effective=T0)
    assert policy.languages == ("en", "zh-Hans")
    again = parse_guidelines(to_toml(policy), version=3, effective=T0)
    assert again.languages == policy.languages
    with pytest.raises(GuidelinesError, match="languages.required"):
        parse_guidelines('[languages]\nrequired = ["en", "not a tag"]\n', version=3,
                         effective=T0)


def test_a_reader_is_given_the_newest_translation_into_its_language_its_own_tag_first() -> None:
    english, chinese = original("en"), original("zh-Hans")

    def made(lang: str, hours: int, text: str) -> Rendition:
        return Rendition(lang, CN, T0 + timedelta(hours=hours), {"summary": text}, TID, 1)

    shown = {english.id: [made("zh-Hans", 1, "旧"), made("zh-Hans", 2, "新"),
                          made("zh-CN", 3, "变体"), made("fr", 4, "Qui ?")]}
    chosen = for_reader({english.id: english}, shown, "zh-Hans")
    assert chosen[english.id]["summary"].texts["summary"] == "新"
    assert for_reader({english.id: english}, {english.id: [made("zh-CN", 1, "变体")]},
                      "zh-Hans")[english.id]["summary"].lang == "zh-CN"
    assert for_reader({english.id: english}, shown, "en") == {}  # read as written
    assert for_reader({chinese.id: chinese}, {chinese.id: shown[english.id]}, "zh-Hans") == {}
