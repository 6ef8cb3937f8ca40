"""Earlier attempts shown to a program: an input field added to its signature, as ``dspy.Refine`` adds
its ``hint_``.

A revision runs the program again with one more input, ``previous_attempts``: each earlier attempt
with its own fields (``answer: Paris``; a value of several lines below its name), oldest first,
never rewritten into another shape. :func:`with_attempts` adds the field to every predictor
call of a module (through the adapter, as Refine does: ``added_field.py``), :func:`signature_with_attempts` to one
signature.

Example:
    >>> print(attempts_text([{"answer": "Lyon"}, {"answer": "Paris"}], ["answer"]))
    Attempt 1:
    answer: Lyon
    <BLANKLINE>
    Attempt 2:
    answer: Paris
    >>> list(signature_with_attempts(dspy.Signature("question -> answer")).input_fields)
    ['question', 'previous_attempts']
"""

from __future__ import annotations

import dspy

from ttc_modules.programs.added_field import with_input_field
from ttc_modules.programs.fields import render_outputs

ATTEMPTS = "previous_attempts"
DESCRIPTION = "earlier attempts at this task, oldest first; they may contain mistakes: write a new, better one"


def attempts_text(attempts: list[dict], names: list[str]) -> str:
    """The attempts' fields as one text (see the module docstring)."""
    return "\n\n".join(f"Attempt {i}:\n{render_outputs(outputs, names, named=True)}"
                       for i, outputs in enumerate(attempts, 1))


def signature_with_attempts(signature: type[dspy.Signature]) -> type[dspy.Signature]:
    """``signature`` with the ``previous_attempts`` input field."""
    return signature.append(ATTEMPTS, dspy.InputField(desc=DESCRIPTION), type_=str)


def with_attempts(adapter: dspy.Adapter, attempts: str) -> dspy.Adapter:
    """A copy of ``adapter`` (its settings kept) that shows ``attempts`` to every predictor it formats for."""
    return with_input_field(adapter, ATTEMPTS, DESCRIPTION, lambda signature: attempts)
