"""What an evaluation or a calibration measures: a program, and the metric that grades its answers.

Without a program it is the math word-problem program graded by :func:`~ttc_modules.evaluation.grade`
(the final answer of the solution against ``example.answer``). With one, examples carry the
program's input fields and whatever labels the metric reads, each candidate is graded by the
metric on a ``dspy.Prediction`` of the program's fields (DSPy's ``metric(example, pred, trace=None)``),
and banked samples vote under the program's equivalence. The same grading serves the sample bank,
the search rows of ``ttc eval`` and every plan the planner scores, so no figure is graded another
way.

Example:
    >>> import dspy
    >>> exact = lambda example, pred, trace=None: pred.answer.lower() == example.answer
    >>> subject = ProgramUnderTest("question -> answer", metric=exact)
    >>> example = dspy.Example(question="Capital of France?", answer="paris").with_inputs("question")
    >>> subject.inputs(example), subject.grade(example, dspy.Prediction(answer="Paris"))
    ({'question': 'Capital of France?'}, 1.0)
    >>> ProgramUnderTest().grade(example.copy(answer="4"), dspy.Prediction(reasoning="2 + 2 = 4.", answer="4"))
    1.0
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import dspy

from ttc_modules.evaluation.grading import grade
from ttc_modules.generation import MATH_FIELDS
from ttc_modules.graph import Node
from ttc_modules.programs import ProgramError, ProgramFields, as_module, describe
from ttc_modules.user_code import load_attribute, load_program


@dataclass(frozen=True)
class ProgramUnderTest:
    """A program (None: the math word-problem program) and its metric (None: the math grade).

    Attributes:
        program: a signature or a ``dspy.Module``.
        metric: ``metric(example, pred, trace=None) -> float | bool``; needed with a program.
    """

    program: Any = None
    metric: Callable | None = None

    def __post_init__(self):
        if self.program is not None and self.metric is None:
            raise ProgramError("a program of yours needs a metric to be graded: pass metric=my_metric "
                               "(ttc eval/calibrate --metric module:function), a DSPy metric(example, pred, trace=None)")

    @classmethod
    def named(cls, program: str | None = None, metric: str | None = None) -> ProgramUnderTest:
        """The program and metric named as ``--program`` and ``--metric`` name them (``module:attribute``; the
        program also as a signature written out), loaded from the user's code; the math program without them.

        Example:
            >>> subject = ProgramUnderTest.named("question -> answer", "ttc_modules.tasks.coin_flip:metric")
            >>> subject.program, subject.input_fields, ProgramUnderTest.named().input_fields
            ('question -> answer', ['question'], None)
        """
        return cls(load_program(program) if program else None, load_attribute(metric) if metric else None)

    @property
    def input_fields(self) -> list[str] | None:
        """The fields an example gives the program (None for the math program, whose data sets hold questions)."""
        return self.fields.inputs if self.program is not None else None

    @cached_property
    def fields(self) -> ProgramFields:
        return MATH_FIELDS if self.program is None else describe(as_module(self.program))

    def inputs(self, example) -> dict:
        """The program's inputs of ``example``: its ``question``, or the program's input fields."""
        names = self.fields.inputs
        missing = [name for name in names if name not in example]
        if missing:
            raise ProgramError(f"example {getattr(example, 'id', '')!r} has no {', '.join(missing)}; the program "
                               f"takes {', '.join(names)}: give every example those fields")
        return {name: example[name] for name in names}

    def grade(self, example, prediction) -> float:
        """How right ``prediction`` (a call's answer) is for ``example``: the metric, or the math grade."""
        if self.metric is None:
            return float(grade(prediction.get("reasoning") or prediction.get("answer"), example.answer))
        try:
            return float(self.metric(example, prediction, None))
        except Exception as error:  # one line naming the metric and the example, not a traceback
            raise ProgramError(f"the metric {self.metric_name} failed on example {getattr(example, 'id', '')!r} "
                               f"({type(error).__name__}: {error}); check that the examples hold the labels it "
                               f"reads (this one has {', '.join(sorted(example.keys()))}), and make it return "
                               "False for a prediction it cannot read") from None

    def grade_sample(self, example, node: Node, text: str) -> float | bool:
        """How right a banked sample (its graph ``node``, its solution ``text``) is for ``example``."""
        if self.program is None:
            if self.metric is None:
                return grade(text, example.answer)
            return self.grade(example, dspy.Prediction(reasoning=text, answer=node.answer))
        outputs = node.outputs
        return 0.0 if outputs is None else self.grade(example, dspy.Prediction(**outputs))

    @property
    def metric_name(self) -> str | None:
        """``module.qualname`` of the metric (stable across processes), or None."""
        if self.metric is None:
            return None
        named = self.metric if hasattr(self.metric, "__qualname__") else type(self.metric)
        return f"{named.__module__}.{named.__qualname__}"

    def identity(self) -> dict:
        """What rows and banks made with this program depend on: its fields and instructions, and the metric
        (empty for the math program graded by the math grade, as before there were programs)."""
        if self.program is None:
            return {"metric": self.metric_name} if self.metric is not None else {}
        return {"program": program_digest(self.fields), "metric": self.metric_name}


def program_digest(fields: ProgramFields) -> str:
    """A short, stable identity of a program: its name, instructions, fields and how its answers are compared
    (what a policy fitted on it records, so it is not applied to another)."""
    described = {"instructions": fields.instructions, "inputs": fields.inputs, "outputs": fields.outputs,
                 "answer": fields.answer, "equivalence": fields.equivalence.name, "program": fields.name}
    return hashlib.sha256(json.dumps(described, sort_keys=True, default=str).encode()).hexdigest()[:16]
