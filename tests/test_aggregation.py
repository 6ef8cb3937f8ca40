"""Selecting an answer among samples: majority and weighted votes."""

import pytest

from ttc_modules.aggregation import majority_vote, weighted_vote


def test_majority_vote_ignores_missing_answers_and_breaks_ties_by_order():
    assert majority_vote([None, "3", "4", "4", "3"]) == "3"
    assert majority_vote([None, None]) is None


def test_weighted_vote_sums_scores_per_answer():
    assert weighted_vote(["a", "b", "b"], [0.9, 0.4, 0.4]) == "a"
    assert weighted_vote(["a", "b", "b"], [0.7, 0.4, 0.4]) == "b"
    with pytest.raises(ValueError, match="one score per answer"):
        weighted_vote(["a"], [])
