"""What may be a name here: bounded, and nothing a terminal or a page would act on rather than
show; every script's letters, and the joiners some scripts write names with."""

from __future__ import annotations

import pytest

from accord.store.names import MOST_NAME, name_problem, shown


@pytest.mark.parametrize("name", [
    "China (CNCERT/CC)", "国家互联网应急中心", "Служба безопасности", "می‌خواهم",  # ZWNJ
    "CERT\u3000Polska", "x" * MOST_NAME,
])
def test_names_of_every_script_are_names(name):
    assert name_problem(name) is None


@pytest.mark.parametrize(("name", "said"), [
    ("Evil\x1b[31mRED\x07", "\\x1b\\x07"),
    ("two\nlines", "\\x0a"),
    ("gro\u202eup", "\\u202e"),
    ("x" * (MOST_NAME + 1), f"{MOST_NAME + 1:,} characters"),
])
def test_what_a_terminal_would_act_on_or_a_flood_is_not(name, said):
    problem = name_problem(name)
    assert problem is not None
    message, values = problem
    assert said in message.format(**values)


def test_a_long_request_is_repeated_cut():
    assert shown("x" * 100_000) == repr("x" * 80 + "…")
    assert shown("China") == "'China'"
