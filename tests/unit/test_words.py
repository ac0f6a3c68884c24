"""Counts in words, as commands and reports print them."""

from accord.words import how_many


def test_the_noun_agrees_with_the_count_and_thousands_are_marked():
    assert how_many(1, "record") == "1 record"
    assert how_many(0, "record") == "0 records"
    assert how_many(2000, "record") == "2,000 records"


def test_an_irregular_plural_is_given():
    assert how_many(1, "index", "indexes") == "1 index"
    assert how_many(53, "index", "indexes") == "53 indexes"
    assert how_many(1, "entry", "entries") == "1 entry"
