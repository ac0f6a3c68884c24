"""The mechanism's codes as a reader's words: every code of every closed vocabulary has its
words, in Chinese too, and a code nobody gave words to is shown as it is."""

from __future__ import annotations

from accord.attribution.model import BASES, POSITIONS
from accord.cooperation.model import (
    CATEGORIES,
    ESCALATION_REASONS,
    KINDS,
    OUTCOMES,
    STATES,
    URGENCIES,
)
from accord.i18n.catalogue import catalogue
from accord.trust.tokens import ROLES
from accord.web.format import LABELS, label


def test_every_code_of_every_vocabulary_has_its_words() -> None:
    for table, codes in (("state", STATES), ("urgency", URGENCIES), ("kind", KINDS),
                         ("category", CATEGORIES), ("outcome", OUTCOMES),
                         ("reason", ESCALATION_REASONS), ("role", ROLES),
                         ("position", POSITIONS), ("basis", tuple(BASES))):
        assert set(codes) <= set(LABELS[table]), table


def test_a_code_reads_in_the_reader_s_language() -> None:
    chinese = catalogue("zh-Hans").gettext
    assert label("response-overdue", "reason") == "response overdue"
    assert label("response-overdue", "reason", chinese) == "答复逾期"
    assert label("urgent", "urgency", chinese) == "紧急"
    assert label("escalated", "state", chinese) == "已升级"


def test_a_code_without_words_is_shown_as_it_is() -> None:
    assert label("x-new-state", "state", catalogue("zh-Hans").gettext) == "x-new-state"
    assert label("Level three (ministers)", "ladder") == "Level three (ministers)"
