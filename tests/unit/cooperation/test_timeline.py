"""The timeline's words on an escalation: what a person wrote, not what the watcher wrote."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from accord.cooperation.model import Escalation
from accord.cooperation.timeline import written_note

T = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def escalation(reason: str, note: str) -> Escalation:
    return Escalation("x-accord-escalation--1", "x-accord-request--1", "identity--us", T,
                      reason=reason, note=note)  # type: ignore[arg-type]


@pytest.mark.parametrize("reason", ["acknowledgement-overdue", "response-overdue"])
def test_the_watcher_s_own_words_are_left_to_the_reason_code(reason):
    said = f"the {reason.split('-')[0]} deadline passed"
    assert written_note(escalation(reason, said)) == ""


@pytest.mark.parametrize(("reason", "note"), [
    ("manual", "the acknowledgement deadline passed"),  # a person may write the same words
    ("response-overdue", "called their duty officer, no answer"),
    ("disputed", "we do not accept the attribution"),
    ("acknowledgement-overdue", "the response deadline passed"),  # not this reason's words
])
def test_what_a_person_wrote_is_kept(reason, note):
    assert written_note(escalation(reason, note)) == note
