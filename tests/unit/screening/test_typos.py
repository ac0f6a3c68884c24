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


@pytest.mark.parametrize(("typed", "listed"), [
    ("aptc36", "apt36"),  # APT-C-36 (Blind Eagle) is not APT36 (Transparent Tribe)
    ("fim7", "fin7"), ("txa505", "ta505"), ("unc2452", "uc2452"), ("apt3x6", "apt36"),
])
def test_in_a_code_another_letter_is_another_code(typed, listed):
    assert not one_typo_apart(typed, listed) and not one_typo_apart(listed, typed)


@pytest.mark.parametrize(("typed", "listed"), [
    ("aptt19", "apt19"), ("appt19", "apt19"), ("tta505", "ta505"), ("ucn2452", "unc2452"),
])
def test_in_a_code_a_key_held_or_two_letters_swapped_is_a_typo(typed, listed):
    assert one_typo_apart(typed, listed) and one_typo_apart(listed, typed)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=12), st.data())
def test_leaving_out_any_one_letter_is_one_typo(word, data):
    at = data.draw(st.integers(0, len(word) - 1))
    shorter = word[:at] + word[at + 1 :]
    assert one_typo_apart(shorter, word) and one_typo_apart(word, shorter)
    assert shorter in deletions(word)


def test_a_digit_drawn_like_the_letter_it_stands_for_is_a_typo():
    # "UglyG0rilla" and "ug1ygorilla" found nothing: a difference touching a digit never was
    # a typo. A digit written for the letter it looks like is a disguise, and is one.
    assert one_typo_apart("uglyg0rilla", "uglygorilla")
    assert one_typo_apart("ug1ygorilla", "uglygorilla")
    assert one_typo_apart("si1ence", "silence")
    # A number still names one thing: no digit for another, none added or left out.
    assert not one_typo_apart("apt10", "apt19")
    assert not one_typo_apart("apt1", "apt19")
    assert not one_typo_apart("uglygorilla1", "uglygorilla")
    assert not one_typo_apart("g0rilla", "gorila")  # a disguise and a typo: two
    # A digit at a word's end, or beside another, is a number: names of their own.
    assert not one_typo_apart("groups", "group5")
    assert not one_typo_apart("teamts", "teamt5")
    assert not one_typo_apart("apt2b", "apt28")
    assert not one_typo_apart("apt1o", "apt10")
