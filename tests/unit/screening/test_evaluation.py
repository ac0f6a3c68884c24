"""Precision and recall of the default threshold on the labelled evaluation set."""

import json
from pathlib import Path

import pytest

from accord.screening import Listed, Screener

FIXTURES = Path(__file__).parents[2] / "fixtures" / "screening"


def evaluate(screener: Screener, queries: list[dict]) -> tuple[int, int, int]:
    """True positives, false positives, false negatives over (query, listed entry) pairs."""
    true = false = missed = 0
    for labelled in queries:
        matched = {found.id for found in screener.screen(labelled["query"]) if found.match}
        expected = labelled["expect"]
        true += expected in matched
        missed += expected is not None and expected not in matched
        false += len(matched - {expected})
    return true, false, missed


@pytest.fixture(scope="module")
def counts():
    listed = [
        Listed(e["id"], e["name"], tuple(e.get("aliases", ())), e["kind"])
        for e in json.loads((FIXTURES / "listed.json").read_text())
    ]
    queries = json.loads((FIXTURES / "queries.json").read_text())
    return evaluate(Screener(listed), queries)


def test_precision_on_the_labelled_set_is_at_least_095(counts):
    true, false, _ = counts
    assert true / (true + false) >= 0.95


def test_recall_on_the_labelled_set_is_at_least_095(counts):
    true, _, missed = counts
    assert true / (true + missed) >= 0.95


def test_evaluation_set_holds_both_kinds_and_enough_queries():
    queries = json.loads((FIXTURES / "queries.json").read_text())
    positives = sum(q["expect"] is not None for q in queries)
    assert positives >= 100 and len(queries) - positives >= 100
