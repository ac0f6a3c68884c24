"""Which new request repeats one just sent (issue 13, defect 1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from accord.cooperation.duplicates import likely_duplicate
from accord.cooperation.model import Request

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
US, CN, RU = "identity--us", "identity--cn", "identity--ru"


def sent(summary: str = "Who runs 198.51.100.7?", *, to: str = CN, ago: timedelta = timedelta(
        hours=1), description: str = "", evidence: tuple[str, ...] = ("indicator--1",),
         rid: str = "x-accord-request--1") -> Request:
    return Request(rid, NOW - ago, US, to, "information", "intrusion", "routine", summary,
                   description, evidence=evidence)


def repeats(*earlier: Request, summary: str = "Who runs 198.51.100.7?", to: str = CN,
            description: str = "", evidence: tuple[str, ...] = ("indicator--1",)
            ) -> Request | None:
    return likely_duplicate(earlier, US, to, summary, description, evidence, NOW)


def test_the_same_words_and_evidence_to_the_same_party_within_a_day_repeat():
    assert repeats(sent()) == sent()


def test_case_and_spacing_do_not_make_another_request():
    assert repeats(sent(), summary="  who RUNS   198.51.100.7? ") is not None


def test_the_order_of_the_evidence_does_not_matter():
    earlier = sent(evidence=("indicator--1", "indicator--2"))
    assert repeats(earlier, evidence=("indicator--2", "indicator--1")) == earlier


def test_another_addressee_other_words_or_evidence_or_an_old_one_are_not_copies():
    assert repeats(sent(to=RU)) is None
    assert repeats(sent(description="first")) is None
    assert repeats(sent(evidence=("indicator--9",))) is None
    assert repeats(sent(ago=timedelta(days=2))) is None


def test_the_newest_copy_is_named():
    older = sent(ago=timedelta(hours=5), rid="x-accord-request--old")
    newer = sent(ago=timedelta(minutes=5), rid="x-accord-request--new")
    assert repeats(older, newer) == newer
