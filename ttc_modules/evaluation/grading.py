"""Grading: is a solution's final answer the reference answer? One function for every figure.

:func:`grade` extracts the final answer from a solution (or takes a bare answer as it is:
:func:`~ttc_modules.answers.extract_answer`) and compares it with the reference: exactly when both
are plain numbers, otherwise with math-verify, timeouts on (:func:`~ttc_modules.answers.matches`).
Nothing is re-serialised in between: ``5r^5`` is not ``5``, ``x = 3`` is ``3``. The harness, the
sample bank, the planner, :func:`metric` (DSPy's metric signature, for ``dspy.Evaluate`` and
optimizers) and ``ttc eval`` all grade with it. A solution without an answer is wrong.

Example:
    >>> grade("3 + 4 = 7.\\n\\nThe answer is 7.", "7"), grade("\\\\frac{1}{2}", "0.5"), grade(None, "3")
    (True, True, False)
    >>> grade("so $5r^5$", "5"), grade("The answer is x = 3.", "3")
    (False, True)
"""

from __future__ import annotations

from ttc_modules.answers import extract_answer, matches, stating_answer


def grade(solution: str | None, reference: str) -> bool:
    """True when the final answer of ``solution`` (a solution, or a bare answer) is ``reference``."""
    answer = extract_answer(solution)
    return answer is not None and matches(str(reference), answer)


def metric(example, prediction, trace=None) -> bool:
    """DSPy metric: is the prediction's answer (its ``answer`` field, else the answer in its ``reasoning``)
    the example's answer?"""
    return grade(stating_answer(getattr(prediction, "reasoning", ""), getattr(prediction, "answer", "")), example.answer)
