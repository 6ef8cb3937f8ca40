"""Grading answers: exact numbers for GSM8K-style answers, math-verify for LaTeX ones.

:func:`is_correct` compares a predicted answer with a reference: numerically and exactly when both
are numbers (``1,000`` = ``1000.0``), otherwise with math-verify, which parses both as LaTeX into
sympy and checks equivalence (``\\frac{1}{2}`` = ``0.5``, ``\\left( 3, \\frac{\\pi}{2} \\right)`` =
``(3,\\pi/2)``, ``90^\\circ`` = ``90``). :func:`metric` has DSPy's metric signature, so it works with
``dspy.Evaluate`` and optimizers. An answer the model never finished (None or empty) is wrong.

Example:
    >>> is_correct("1,000", "1000.0"), is_correct("\\\\frac{1}{2}", "0.5"), is_correct(None, "3")
    (True, True, False)
"""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation

from ttc_modules.steps import extract_answer, normalize_answer


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except (InvalidOperation, TypeError, ValueError):
        return None


def is_correct(predicted: str | None, reference: str) -> bool:
    """True when ``predicted`` is equivalent to ``reference``."""
    if predicted is None or not str(predicted).strip():
        return False
    left, right = normalize_answer(str(predicted)), normalize_answer(str(reference))
    if left == right:
        return True
    a, b = _number(left or ""), _number(right or "")
    if a is not None and b is not None:
        return a == b
    return _math_verify(str(predicted), str(reference))


def _math_verify(predicted: str, reference: str) -> bool:
    from math_verify import parse, verify

    logging.getLogger("math_verify").setLevel(logging.ERROR)
    try:  # no signal-based timeouts: they fail off the main thread
        gold = parse(f"${reference}$", parsing_timeout=None)
        guess = parse(f"${predicted}$", parsing_timeout=None)
        return bool(gold and guess and verify(gold, guess, timeout_seconds=None))
    except Exception:
        return False


def metric(example, prediction, trace=None) -> bool:
    """DSPy metric: is ``prediction.answer`` (or the answer in its reasoning) the example's answer?"""
    answer = getattr(prediction, "answer", None)
    if not answer:
        answer = extract_answer(getattr(prediction, "reasoning", "") or "")
    return is_correct(answer, example.answer)
