"""What a strategy needs to know of the program it searches: its inputs, its outputs, where its text
reasoning is, and which output the votes are on.

A program is a DSPy signature (a string such as ``"context, question -> answer"`` or a
``dspy.Signature`` class), which becomes a ``dspy.Predict``, or any ``dspy.Module``
(:func:`as_module`). :func:`describe` reads its fields: for a module of one predictor (``Predict``,
``ChainOfThought``) that predictor's signature; for a program of several, the inputs its
``forward`` takes and the outputs of its last predictor. The *reasoning* is an output field named
``reasoning`` holding text (``ChainOfThought`` adds one); step-level search cuts steps from it. The
*answer field* is the one votes group candidates by: ``answer_field=``, or the last output field,
under the equivalence its type implies or the one given (``equivalence.py``).

Example:
    >>> import dspy
    >>> fields = describe(as_module(dspy.ChainOfThought("context, question -> answer")))
    >>> fields.inputs, fields.outputs, fields.reasoning, fields.answer
    (['context', 'question'], ['reasoning', 'answer'], 'reasoning', 'answer')
    >>> render_outputs({"answer": "Paris"}, ["answer"]), render_outputs({"a": 1, "b": "x\\ny"}, ["a", "b"])
    ('Paris', 'a: 1\\n\\nb:\\nx\\ny')
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

import dspy

from ttc_modules.programs.equivalence import Equivalence, equivalence_for

REASONING = "reasoning"
SEARCH_ATTRIBUTES = ("graph", "spent", "chosen", "plan", "difficulty")
"""What a search's prediction carries beside the program's fields (``strategies.run.SearchPrediction``):
names an output field may not take."""


class ProgramError(ValueError):
    """A program a strategy cannot search, or inputs it cannot take: one line naming the fix."""


@dataclass(frozen=True)
class ProgramFields:
    """The fields of a program (see the module docstring).

    Attributes:
        name: how messages name the program ("the program ChainOfThought").
        instructions: its instructions (the signature's docstring), shown to judges.
        inputs: the input field names, in order.
        outputs: the output field names, in order.
        reasoning: the output field holding text reasoning, or None.
        answer: the output field votes are on.
        annotations: each output field's type, where the signature says it.
        equivalence: when two values of the answer field are the same answer.
        signature: the signature when the program is one predictor (else None: the last predictor's).
        answer_in_text: the answer is read from the candidate's text, not from an output field (the math
            word-problem program, whose candidates are solutions ending "The answer is N.").
    """

    name: str
    instructions: str
    inputs: list[str]
    outputs: list[str]
    reasoning: str | None
    answer: str
    annotations: dict[str, Any] = field(default_factory=dict)
    equivalence: Equivalence = field(default_factory=lambda: Equivalence("text"))
    signature: type[dspy.Signature] | None = None
    answer_in_text: bool = False

    def check_inputs(self, inputs: dict, labels: bool = False) -> dict:
        """``inputs`` when every input field is given and none is unknown, else one line naming the fix;
        with ``labels``, other names are let through (labels an oracle verifier reads, in evaluation)."""
        missing = [name for name in self.inputs if name not in inputs]
        unknown = [] if labels else [name for name in inputs if name not in self.inputs]
        if missing or unknown:
            problem = " and ".join(part for part in (f"is missing {', '.join(missing)}" if missing else "",
                                                     f"got no field {', '.join(unknown)}" if unknown else "") if part)
            raise ProgramError(f"{self.name} {problem}; call it with its inputs: "
                               f"{', '.join(f'{name}=...' for name in self.inputs)}")
        return inputs


def as_module(program) -> dspy.Module:
    """``program`` as a module: a signature (string or class) becomes ``dspy.Predict``, a module stays."""
    if isinstance(program, dspy.Module):
        return program
    if isinstance(program, str) or (isinstance(program, type) and issubclass(program, dspy.Signature)):
        try:
            return dspy.Predict(program)
        except Exception as error:  # DSPy's own message says what is wrong with the string
            raise ProgramError(f"cannot read the signature {program!r} ({error}); write it as "
                               "'question -> answer'") from None
    raise ProgramError(f"cannot search {program!r}: pass a dspy.Module (Predict, ChainOfThought, your own) or a "
                       "signature such as 'question -> answer'")


def describe(module: dspy.Module, answer_field: str | None = None, equivalent=None, normalize=None) -> ProgramFields:
    """The fields of ``module`` (see the module docstring); ``answer_field`` chooses the voted field,
    ``equivalent`` or ``normalize`` its equivalence (:func:`~ttc_modules.programs.equivalence.equivalence_for`)."""
    predictors = [predictor for _, predictor in module.named_predictors()]
    if not predictors:
        raise ProgramError(f"the program {type(module).__name__} has no predictor, so it has no output fields; "
                           "search a signature, a dspy.Predict or a module built of them")
    last = predictors[-1].signature
    outputs = list(last.output_fields)
    if not outputs:
        raise ProgramError(f"the program {type(module).__name__} has no output fields; give its signature one, "
                           "e.g. 'question -> answer'")
    taken = [name for name in outputs if name in SEARCH_ATTRIBUTES]
    if taken:
        raise ProgramError(f"the program {type(module).__name__} has an output field '{taken[0]}', a name the search's "
                           f"prediction keeps for its own ({', '.join(SEARCH_ATTRIBUTES)}); rename the field")
    answer = answer_field or next((name for name in reversed(outputs) if name != REASONING), outputs[-1])
    if answer not in outputs:
        raise ProgramError(f"answer_field {answer!r} is not an output of {type(module).__name__}; "
                           f"use one of {', '.join(outputs)}")
    reasoning = REASONING if REASONING in outputs and last.output_fields[REASONING].annotation in (str, None) else None
    annotations = {name: info.annotation for name, info in last.output_fields.items()}
    return ProgramFields(name=f"the program {type(module).__name__}", instructions=last.instructions or "",
                         inputs=_inputs(module, predictors), outputs=outputs, reasoning=reasoning, answer=answer,
                         annotations=annotations, equivalence=equivalence_for(annotations[answer], equivalent, normalize),
                         signature=last if len(predictors) == 1 else None)


def _inputs(module: dspy.Module, predictors: list) -> list[str]:
    """The inputs ``forward`` names (for a program of several predictors), else the first predictor's."""
    if len(predictors) > 1:
        # read off the class: DSPy warns when an instance's forward is reached for directly
        parameters = list(inspect.signature(type(module).forward).parameters.values())[1:]
        named = [p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        if named:
            return named
    return list(predictors[0].signature.input_fields)


def render_outputs(outputs: dict, names: list[str], named: bool | None = None) -> str:
    """A candidate's fields as text: one field's value alone, several as ``name: value`` blocks (a value
    of several lines below its name); ``named=True`` names a single field too."""
    shown = [name for name in names if name in outputs]
    if len(shown) == 1 and not named:
        return str(outputs[shown[0]])
    return "\n\n".join(f"{name}:{_gap(outputs[name])}{outputs[name]}" for name in shown)


def _gap(value) -> str:
    return "\n" if "\n" in str(value) else " "
