"""Counts in words, as commands and reports print them."""

import pytest

from accord.words import how_many, printable


def test_the_noun_agrees_with_the_count_and_thousands_are_marked():
    assert how_many(1, "record") == "1 record"
    assert how_many(0, "record") == "0 records"
    assert how_many(2000, "record") == "2,000 records"


def test_an_irregular_plural_is_given():
    assert how_many(1, "index", "indexes") == "1 index"
    assert how_many(53, "index", "indexes") == "53 indexes"
    assert how_many(1, "entry", "entries") == "1 entry"


@pytest.mark.parametrize(("text", "shown"), [
    ("Shared with China", "Shared with China"),
    ("共享的 APT10 报告", "共享的 APT10 报告"),
    ("\x1b[2J\x1b[31mOK", "\\x1b[2J\\x1b[31mOK"),  # would clear the screen, colour the rest
    ("safe\rforged", "safe\\x0dforged"),  # would print "forged" over "safe"
    ("evil\u202efdp.exe", "evil\\u202efdp.exe"),  # a right-to-left override
    ("a\u200bb", "a\\u200bb"),  # a zero-width space: two ids that look the same
    ("关于\u3000APT19\xa0报告", "关于\u3000APT19\xa0报告"),  # spaces of other widths stay
])
def test_printable_writes_out_what_a_terminal_would_act_on(text, shown):
    assert printable(text) == shown
