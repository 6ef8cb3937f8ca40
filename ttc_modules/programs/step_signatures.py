"""The signatures step-level search asks a chat model with, made from the program's own.

Where the reply cannot be begun for the model (a hosted chat API), a program's reasoning grows
through two signatures derived from the program's: :func:`next_step_signature` takes the program's
inputs and the reasoning so far and writes one more step (and whether the reasoning is complete);
:func:`finish_signature` takes the program's inputs and the finished reasoning and writes the
program's other outputs. Both keep the program's instructions, field types and descriptions; no
other wording is added beyond saying what a step is.

Example:
    >>> import dspy
    >>> cot = dspy.ChainOfThought("context, question -> answer").predict.signature
    >>> list(next_step_signature(cot).input_fields), list(next_step_signature(cot).output_fields)
    (['context', 'question', 'partial_reasoning'], ['next_step', 'complete'])
    >>> list(finish_signature(cot).input_fields), list(finish_signature(cot).output_fields)
    (['context', 'question', 'reasoning'], ['answer'])
"""

from __future__ import annotations

import dspy

from ttc_modules.programs.fields import REASONING

PARTIAL = "partial_reasoning"
NEXT_STEP = "next_step"
COMPLETE = "complete"
STEP_INSTRUCTIONS = ("Continue the reasoning by exactly one step (one paragraph): write only that step. Set "
                     "complete to True when the reasoning needs no further step.")


def _without_outputs(signature: type[dspy.Signature]) -> type[dspy.Signature]:
    for name in list(signature.output_fields):
        signature = signature.delete(name)
    return signature


def next_step_signature(signature: type[dspy.Signature]) -> type[dspy.Signature]:
    """The program's inputs and the reasoning so far -> the next step, and whether the reasoning is complete."""
    step = _without_outputs(signature)
    step = step.append(PARTIAL, dspy.InputField(desc="the reasoning so far, steps separated by blank lines; "
                                                     "empty at the start"), type_=str)
    step = step.append(NEXT_STEP, dspy.OutputField(desc="the next step of the reasoning, one paragraph"), type_=str)
    step = step.append(COMPLETE, dspy.OutputField(desc="True when the reasoning is complete after this step"),
                       type_=bool)
    instructions = "\n\n".join(part for part in (signature.instructions, STEP_INSTRUCTIONS) if part)
    return step.with_instructions(instructions)


def finish_signature(signature: type[dspy.Signature]) -> type[dspy.Signature]:
    """The program's inputs and its finished reasoning -> the program's other outputs."""
    finish = signature.delete(REASONING)
    description = signature.output_fields[REASONING].json_schema_extra.get("desc") or ""
    description = "the reasoning" if description.startswith("${") or not description else description
    return finish.append(REASONING, dspy.InputField(desc=f"{description} (already written)"), type_=str)
