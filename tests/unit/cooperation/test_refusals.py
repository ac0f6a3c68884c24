"""The desk's refusals: English where they are raised, any language where they are said."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accord.cooperation.refusals import CooperationError, Moment, require_activity_order
from accord.i18n.catalogue import catalogue

T = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_a_refusal_reads_in_english_and_in_the_reader_s_language():
    error = CooperationError("cannot {act} {id}: it was withdrawn at {when}", act="escalate",
                             id="x-accord-request--1", when=Moment(T))
    assert str(error) == \
        "cannot escalate x-accord-request--1: it was withdrawn at 2026-11-01 12:00 UTC"
    assert error.words(catalogue("en").gettext) == str(error)
    assert error.words(catalogue("zh-Hans").gettext) == \
        "无法对 x-accord-request--1 执行“升级”：该请求已于 2026-11-01 12:00 UTC 撤回"


def test_a_refusal_without_places_is_said_as_written_even_with_braces():
    error = CooperationError('indicator: pattern "{bad}" is not STIX')
    assert str(error) == error.words(catalogue("zh-Hans").gettext)


def test_an_activity_may_not_end_before_it_starts():
    require_activity_order(T, T)
    require_activity_order(T, None)
    require_activity_order(None, T)
    with pytest.raises(CooperationError, match=r"the activity ends \(2026-11-01 11:00 UTC\) "
                                               r"before it starts \(2026-11-01 12:00 UTC\)"):
        require_activity_order(T, T - timedelta(hours=1))
    with pytest.raises(CooperationError) as refused:
        require_activity_order(T, T - timedelta(hours=1))
    assert refused.value.about == ("activity_start", "activity_end")


def test_an_activity_seen_after_now_is_refused_as_of_its_start():
    with pytest.raises(CooperationError, match="after now") as refused:
        require_activity_order(T + timedelta(days=2), None, T)
    assert refused.value.about == ("activity_start",)


def test_a_refusal_names_the_fields_it_is_about_apart_from_its_words():
    error = CooperationError("{what}: no party {party!r} on this node", what="--share-with",
                             party="summary", about=("shared_with",))
    assert error.about == ("shared_with",)
    assert str(error) == "--share-with: no party 'summary' on this node"
    assert CooperationError("cannot {act} {id}", act="escalate", id="x").about == ()


def test_a_refusal_of_a_part_is_about_that_part_of_the_whole():
    error = CooperationError("kind: not a property", about=("texts.kind", "lang", "texts"))
    within = error.within(texts="translations.zh-Hans", lang="translations.zh-Hans")
    assert within.about == ("translations.zh-Hans.kind", "translations.zh-Hans",
                            "translations.zh-Hans")
    assert str(within) == "kind: not a property"
