"""Whether a step moves its solution forward: step-level search ends the beams that stop making progress.

A small model's beam may go on writing correct but useless steps ("22 + 1 = 23.", "23 + 1 = 24.")
until the search's round cap, costing rounds, not accuracy. A step adds nothing when it

- **repeats an earlier step** of its solution (case, spaces and end punctuation aside): any program;
- **recomputes a known value**: every equation it writes ends in a value an earlier step's equation
  already reached (the math program);
- **repeats the last operation on its result**: the previous step was ``a op c = b`` and this one is
  ``b op c = d`` (the math program: counting up, halving again).

A step that adds nothing ends its beam there (``Run`` marks the node ``ended="no progress: ..."``),
and the beam's answer is read from the solution before that step. A program of the user's may bring
its own rule: a ``no_progress(inputs, steps, step)`` method on its module returning the reason, or
None (``ProgramGenerator.no_progress``); without one, a repeated step ends its beam.

Example:
    >>> no_progress_in_math(["3 + 4 = 7.", "21 + 1 = 22."], "22 + 1 = 23.")
    'repeats the last operation on its result'
    >>> no_progress_in_math(["3 + 4 = 7."], "So 4 + 3 = 7.")
    'recomputes a known value'
    >>> repeated_step(["Add the apples.", "3 + 4 = 7."], "add the apples")
    'repeats step 1'
    >>> no_progress_in_math(["3 + 4 = 7."], "7 - 2 = 5.") is None
    True
"""

from __future__ import annotations

import re

_EQUATION = re.compile(r"(-?\d[\d,]*(?:\.\d+)?)\s*([-+*/×x÷])\s*(-?\d[\d,]*(?:\.\d+)?)\s*=\s*\$?(-?\d[\d,]*(?:\.\d+)?)")
_RESULT = re.compile(r"=\s*\$?(-?\d[\d,]*(?:\.\d+)?)")


def _normalised(step: str) -> str:
    return re.sub(r"\s+", " ", step).strip().rstrip(".!,;:").lower()


def _number(text: str) -> str:
    return text.replace(",", "").rstrip(".")


def repeated_step(steps: list[str], step: str) -> str | None:
    """``"repeats step k"`` when ``step`` says what step k of ``steps`` said, else None."""
    said = _normalised(step)
    if not said:
        return None
    return next((f"repeats step {k}" for k, earlier in enumerate(steps, 1) if _normalised(earlier) == said), None)


def no_progress_in_math(steps: list[str], step: str) -> str | None:
    """Why the math step ``step`` adds nothing after ``steps`` (see the module docstring), or None."""
    reason = repeated_step(steps, step)
    if reason:
        return reason
    results = [_number(value) for value in _RESULT.findall(step)]
    known = {_number(value) for earlier in steps for value in _RESULT.findall(earlier)}
    if results and all(value in known for value in results):
        return "recomputes a known value"
    if steps and _repeats_last_operation(steps[-1], step):
        return "repeats the last operation on its result"
    return None


def _repeats_last_operation(previous: str, step: str) -> bool:
    before, now = _EQUATION.findall(previous), _EQUATION.findall(step)
    if not before or not now:
        return False
    _, op, operand, result = (_number(part) if i != 1 else part for i, part in enumerate(before[-1]))
    left, op_now, operand_now, _ = (_number(part) if i != 1 else part for i, part in enumerate(now[0]))
    return left == result and op_now == op and operand_now == operand
