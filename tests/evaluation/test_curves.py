"""Accuracy curves: expected accuracy over subsets of the samples, and bootstrap intervals."""

import pytest

from ttc_modules.evaluation.curves import bootstrap_interval, expected_accuracy

SAMPLES = [{"answer": "7", "correct": True, "score": 0.6}, {"answer": "7", "correct": True, "score": 0.6},
           {"answer": "9", "correct": False, "score": 0.9}]


def test_expected_accuracy_enumerates_small_subsets_exactly():
    assert expected_accuracy(SAMPLES, 1, "pass") == pytest.approx(2 / 3)
    assert expected_accuracy(SAMPLES, 3, "weighted") == 1.0 and expected_accuracy(SAMPLES, 3, "naive") == 0.0
    # k = 2: subsets {7,7} right; {7,9} majority tie -> first seen, weighted 0.6 < 0.9 -> wrong
    assert expected_accuracy(SAMPLES, 2, "weighted") == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="needs 1 to 3"):
        expected_accuracy(SAMPLES, 4, "pass")


def test_bootstrap_interval_contains_the_mean_and_narrows_with_data():
    low, high = bootstrap_interval([1.0, 0.0] * 5)
    wide = bootstrap_interval([1.0, 0.0])
    assert low <= 0.5 <= high and (high - low) < (wide[1] - wide[0])
