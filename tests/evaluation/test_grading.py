"""Grading: the final answer of a solution against the reference, and the DSPy metric."""

import pytest

from ttc_modules.evaluation import grade, metric


@pytest.mark.parametrize("solution, reference", [
    ("\\frac{1}{2}", "0.5"), ("\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\pi/2)"), ("90^\\circ", "90"),
    ("1,000", "1000"), ("$18.00", "18"), ("\\dfrac{14}{3}", "\\frac{14}{3}"),
    ("so the answer is $x = 3$.", "3"), ("The answer is .35625.", "0.35625"), ("\\boxed{-4r-24+6r^2}", "6r^2-4r-24"),
    ("\\boxed{\\frac{-\\pi}{6}}", "-\\frac{\\pi}{6}"), ("The answer is $10.5$.", "\\frac{21}{2}")])
def test_equivalent_answers_are_correct(solution, reference):
    assert grade(solution, reference)


@pytest.mark.parametrize("solution, reference", [
    ("3", "4"), ("\\frac{1}{3}", "0.33"), (None, "1"), ("", "1"), ("\\boxed{5r^5}", "5"),
    ("\\boxed{6r^2-4r-24}", "24"), ("The answer is -3.", "3"), ("\\boxed{\\frac{1}{3}}", "3")])
def test_different_or_missing_answers_are_wrong(solution, reference):
    assert not grade(solution, reference)


def test_metric_works_with_dspy_evaluate():
    import dspy

    devset = [dspy.Example(question="q", answer="4").with_inputs("question"),
              dspy.Example(question="r", answer="Evelyn and Briana").with_inputs("question")]

    class Fixed(dspy.Module):
        def forward(self, question):
            if question == "q":
                return dspy.Prediction(answer="", reasoning="2 + 2 = 4. The answer is 4.")
            return dspy.Prediction(answer="Evelyn and Briana", reasoning="Both ran fastest.")

    assert dspy.Evaluate(devset=devset, metric=metric, display_progress=False)(Fixed()).score == 100.0
