"""Selecting an answer among samples: majority and weighted votes, answers that say the same as one vote."""

import pytest

from ttc_modules.aggregation import majority_vote, select, weighted_vote


def test_majority_vote_ignores_missing_answers_and_breaks_ties_by_order():
    assert majority_vote([None, "3", "4", "4", "3"]) == "3"
    assert majority_vote([None, None]) is None


def test_weighted_vote_sums_scores_per_answer():
    assert weighted_vote(["a", "b", "b"], [0.9, 0.4, 0.4]) == "a"
    assert weighted_vote(["a", "b", "b"], [0.7, 0.4, 0.4]) == "b"
    with pytest.raises(ValueError, match="one score per answer"):
        weighted_vote(["a"], [])


def test_answers_that_say_the_same_are_one_vote():
    assert majority_vote(["11", "10.5", "$10.5$", "\\frac{21}{2}", "11"]) == "10.5"
    assert select(["11", "10.5", "\\frac{21}{2}"], [0.9, 0.2, 0.8], "majority") == 2  # the best scored of the winners
