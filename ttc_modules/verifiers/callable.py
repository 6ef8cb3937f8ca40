"""Verifiers from plain Python: functions, DSPy reward functions and DSPy modules, via :func:`as_verifier`.

- ``fn(inputs, steps) -> float | list[float]``: a score for the solution, or one per step.
- ``reward_fn(inputs, prediction) -> float | bool`` (DSPy's ``dspy.BestOfN``/``dspy.Refine`` shape,
  recognised by a second parameter named ``pred``, ``prediction`` or ``outputs``): it receives a
  ``dspy.Prediction`` with ``reasoning``, ``answer`` and ``steps``.
- a ``dspy.Module``: called with the inputs plus ``solution``; its prediction's ``score``
  (a number) or ``correct`` (a bool) is the score.

Example:
    >>> v = as_verifier(lambda inputs, pred: pred.answer == "8")
    >>> v.score({"question": "5 + 3?"}, ["5 + 3 = 8.", "The answer is 8."])
    [1.0]
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import dspy

from ttc_modules.answers import extract_answer
from ttc_modules.verifiers.base import Verifier, VerifierError

_PREDICTION_NAMES = {"pred", "prediction", "outputs", "output"}


def solution_prediction(steps: list[str]) -> dspy.Prediction:
    """The ``dspy.Prediction`` a reward function sees for a solution given as steps."""
    text = "\n\n".join(steps)
    return dspy.Prediction(reasoning=text, answer=extract_answer(text) or "", steps=list(steps))


class CallableVerifier:
    """A function as a verifier (see the module docstring for the accepted shapes)."""

    oracle = False
    cache_id = None  # a function's behaviour has no stable identity: cache in memory only

    def __init__(self, fn: Callable, name: str | None = None, process: bool | None = None):
        self.fn = fn
        self.name = name or getattr(fn, "__name__", type(fn).__name__)
        parameters = list(inspect.signature(fn).parameters)
        self.takes_prediction = len(parameters) >= 2 and parameters[1] in _PREDICTION_NAMES
        self.process = bool(process) if process is not None else not self.takes_prediction

    def score(self, inputs: dict, steps: list[str]) -> list[float]:
        result = self.fn(inputs, solution_prediction(steps)) if self.takes_prediction else self.fn(inputs, steps)
        if isinstance(result, bool):
            result = float(result)
        return [float(result)] if isinstance(result, (int, float)) else list(result)


class ModuleVerifier:
    """A ``dspy.Module`` judging a solution; its sub-predictors stay optimisable."""

    process = False
    oracle = False
    cache_id = None

    def __init__(self, module, name: str | None = None):
        self.module = module
        self.name = name or type(module).__name__

    def score(self, inputs: dict, steps: list[str]) -> list[float]:
        prediction = self.module(**inputs, solution="\n\n".join(steps))
        for field in ("score", "correct"):
            value = getattr(prediction, field, None) if hasattr(prediction, field) else None
            if value is not None:
                return [_as_unit_score(value, self.name)]
        raise VerifierError(f"module verifier '{self.name}' returned no 'score' or 'correct' field; "
                            "give its signature an output `score: float` in [0, 1] or `correct: bool`")


def _as_unit_score(value, name: str) -> float:
    if isinstance(value, str):
        value = value.strip().lower() in ("true", "yes", "1", "correct") if not _is_number(value) else float(value)
    score = float(value)
    return score / 10.0 if 1.0 < score <= 10.0 else score


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def as_verifier(obj) -> Verifier:
    """A :class:`Verifier` from a verifier, a function, a DSPy reward function or a dspy.Module."""
    if isinstance(obj, Verifier):
        return obj
    if isinstance(obj, dspy.Module):
        return ModuleVerifier(obj)
    if callable(obj):
        return CallableVerifier(obj)
    raise VerifierError(f"cannot use {obj!r} as a verifier; pass a Verifier, a function (inputs, steps) -> "
                        "score, a reward function (inputs, pred) -> score, or a dspy.Module")
