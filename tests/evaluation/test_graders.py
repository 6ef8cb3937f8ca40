"""Graders: equivalent answers are correct, and the metric works with dspy.Evaluate."""

import pytest

from ttc_modules.evaluation.graders import is_correct, metric


@pytest.mark.parametrize("predicted, reference", [
    ("\\frac{1}{2}", "0.5"), ("\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\pi/2)"), ("90^\\circ", "90"),
    ("1,000", "1000"), ("$18.00", "18"), ("\\dfrac{14}{3}", "\\frac{14}{3}")])
def test_equivalent_answers_are_correct(predicted, reference):
    assert is_correct(predicted, reference)


@pytest.mark.parametrize("predicted, reference", [("3", "4"), ("\\frac{1}{3}", "0.33"), (None, "1"), ("", "1")])
def test_different_or_missing_answers_are_wrong(predicted, reference):
    assert not is_correct(predicted, reference)


def test_metric_works_with_dspy_evaluate():
    import dspy

    devset = [dspy.Example(question="q", answer="4").with_inputs("question")]

    class Fixed(dspy.Module):
        def forward(self, question):
            return dspy.Prediction(answer="", reasoning="2 + 2 = 4. The answer is 4.")

    assert dspy.Evaluate(devset=devset, metric=metric, display_progress=False)(Fixed()).score == 100.0
