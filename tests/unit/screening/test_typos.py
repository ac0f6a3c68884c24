import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.screening.typos import deletions, one_typo_apart


@pytest.mark.parametrize(
    ("typed", "listed"),
    [("kailaing", "kailiang"), ("xnyu", "xinyu"), ("huangg", "huang"), ("hyang", "huang")],
)
def test_one_letter_left_out_added_changed_or_swapped_is_one_typo(typed, listed):
    assert one_typo_apart(typed, listed)
    assert deletions(typed) & deletions(listed)


@pytest.mark.parametrize(
    ("typed", "listed"), [("huang", "huang"), ("heiyang", "heying"), ("abc", "bca"), ("ab", "abcd")]
)
def test_equal_words_and_two_edits_are_not_one_typo(typed, listed):
    assert not one_typo_apart(typed, listed)


@pytest.mark.parametrize(("typed", "listed"), [
    ("apt19", "apt10"), ("apt1", "apt10"), ("apt91", "apt19"), ("404", "405"),
])
def test_a_different_number_is_another_name_not_a_typo(typed, listed):
    assert not one_typo_apart(typed, listed)
    assert one_typo_apart("aptt19", "apt19")  # a letter amiss beside the same number is one


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=12), st.data())
def test_leaving_out_any_one_letter_is_one_typo(word, data):
    at = data.draw(st.integers(0, len(word) - 1))
    shorter = word[:at] + word[at + 1 :]
    assert one_typo_apart(shorter, word) and one_typo_apart(word, shorter)
    assert shorter in deletions(word)
