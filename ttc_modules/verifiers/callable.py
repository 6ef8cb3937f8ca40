"""Verifiers from plain Python: functions, DSPy reward functions, DSPy metrics and DSPy modules, via
:func:`as_verifier`.

- ``fn(inputs, steps) -> float | list[float]``: a score in [0, 1] for the solution, or one per step.
- ``reward(args, pred) -> float | bool``: DSPy's reward shape, called exactly as ``dspy.BestOfN`` and
  ``dspy.Refine`` call it: ``args`` are the call's inputs, ``pred`` a ``dspy.Prediction`` with the
  candidate's fields as the program wrote them (for the math program: ``reasoning``, ``answer`` and
  ``steps``). Recognised by a second parameter named ``pred``, ``prediction``, ``outputs`` or
  ``output``, or annotated ``dspy.Prediction`` (or say so: ``as_verifier(fn, shape="reward")``).
  Any finite number is a reward (no need to keep to [0, 1]; weighted votes want scores >= 0).
- ``metric(example, pred, trace=None)``: a DSPy metric, recognised by a third parameter named
  ``trace``; it reads the reference labels, so it is an oracle, for evaluation only (the example
  is the call's inputs and the labels passed with them).
- a ``dspy.Module``: called with the inputs plus ``solution``; its prediction's ``score``
  (a number) or ``correct`` (a bool) is the score.

Example:
    >>> v = as_verifier(lambda inputs, pred: pred.answer == "8")
    >>> v.score({"question": "5 + 3?"}, ["5 + 3 = 8.", "The answer is 8."])
    [1.0]
    >>> v.score_candidate(Candidate({"country": "France"}, [], outputs={"capital": "Paris", "answer": "8"}))
    [1.0]
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable
from typing import Literal

import dspy

from ttc_modules.answers import extract_answer
from ttc_modules.programs.fields import render_outputs
from ttc_modules.verifiers.base import Candidate, Verifier, VerifierError

_PREDICTION_NAMES = {"pred", "prediction", "outputs", "output"}
Shape = Literal["steps", "reward", "metric"]


def solution_prediction(steps: list[str]) -> dspy.Prediction:
    """The ``dspy.Prediction`` a reward function sees for a math solution given as steps."""
    text = "\n\n".join(steps)
    return dspy.Prediction(reasoning=text, answer=extract_answer(text) or "", steps=list(steps))


def candidate_prediction(candidate: Candidate) -> dspy.Prediction:
    """The ``dspy.Prediction`` a reward sees: the candidate's fields as written; before they are (a partial
    candidate of a program's reasoning), its reasoning so far and the other fields None; for the math
    program, :func:`solution_prediction`."""
    if candidate.outputs is not None:
        return dspy.Prediction(**candidate.outputs)
    if candidate.program is None or candidate.program.answer_in_text:
        return solution_prediction(candidate.steps)
    fields = dict.fromkeys(candidate.program.outputs)
    if candidate.program.reasoning:
        fields[candidate.program.reasoning] = "\n\n".join(candidate.steps)
    return dspy.Prediction(**fields)


def _shape_of(fn: Callable) -> Shape:
    parameters = list(inspect.signature(fn).parameters.values())
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]
    if len(positional) < 2 and not any(p.kind == p.VAR_POSITIONAL for p in positional):
        raise VerifierError(f"the verifier function {getattr(fn, '__name__', fn)!r} takes "
                            f"{len(positional)} argument(s); a verifier takes (inputs, steps), a reward (args, pred) "
                            "as dspy.BestOfN calls it, a metric (example, pred, trace=None)")
    if len(parameters) >= 3 and parameters[2].name == "trace":
        return "metric"
    if len(parameters) >= 2 and (parameters[1].name in _PREDICTION_NAMES
                                 or parameters[1].annotation in (dspy.Prediction, "dspy.Prediction", "Prediction")):
        return "reward"
    return "steps"


class CallableVerifier:
    """A function as a verifier (see the module docstring for the accepted shapes)."""

    cache_id = None  # a function's behaviour has no stable identity: cache in memory only

    def __init__(self, fn: Callable, name: str | None = None, process: bool | None = None, shape: Shape | None = None):
        self.fn = fn
        self.name = name or getattr(fn, "__name__", type(fn).__name__)
        self.shape: Shape = shape or _shape_of(fn)
        if self.shape not in ("steps", "reward", "metric"):
            raise VerifierError(f"unknown verifier shape {self.shape!r}; use steps, reward or metric")
        self.reward = self.shape != "steps"  # any finite number is a score
        self.oracle = self.shape == "metric"
        self.process = bool(process) if process is not None else self.shape == "steps"

    @property
    def takes_prediction(self) -> bool:
        return self.shape != "steps"

    def score(self, inputs: dict, steps: list[str]) -> list[float]:
        return self.score_candidate(Candidate(inputs, steps))

    def score_candidate(self, candidate: Candidate) -> list[float]:
        if self.shape == "steps":
            result = self.fn(candidate.inputs, candidate.steps)
        elif self.shape == "reward":
            result = self.fn(candidate.inputs, candidate_prediction(candidate))
        else:
            result = self.fn(dspy.Example(**candidate.inputs), candidate_prediction(candidate), None)
        return [float(result)] if isinstance(result, numbers.Real) else result  # anything else: checked by the runner


class ModuleVerifier:
    """A ``dspy.Module`` judging a solution; its sub-predictors stay optimisable."""

    process = False
    oracle = False
    cache_id = None

    def __init__(self, module, name: str | None = None):
        self.module = module
        self.name = name or type(module).__name__

    def score(self, inputs: dict, steps: list[str]) -> list[float]:
        return self.score_candidate(Candidate(inputs, steps))

    def score_candidate(self, candidate: Candidate) -> list[float]:
        solution = "\n\n".join(candidate.steps)
        if candidate.outputs is not None and candidate.program is not None:
            solution = render_outputs(candidate.outputs, candidate.program.outputs, named=True)
        prediction = self.module(**candidate.inputs, solution=solution)
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


def as_verifier(obj, shape: Shape | None = None) -> Verifier:
    """A :class:`Verifier` from a verifier, a function (its ``shape`` read from its parameters unless given),
    a DSPy reward function or metric, or a dspy.Module."""
    if isinstance(obj, Verifier):
        return obj
    if isinstance(obj, dspy.Module):
        return ModuleVerifier(obj)
    if callable(obj):
        return CallableVerifier(obj, shape=shape)
    raise VerifierError(f"cannot use {obj!r} as a verifier; pass a Verifier, a function (inputs, steps) -> "
                        "score, a reward function (inputs, pred) -> score, or a dspy.Module")
