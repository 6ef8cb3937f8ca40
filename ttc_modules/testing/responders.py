"""What the OpenAI stub server answers: a responder makes each choice's text from the prompt, the
choice's index, the seed and the temperature, never from the order of calls.

- :func:`arithmetic_responder`: a short arithmetic solution, in the fields of DSPy's chat adapter when
  the prompt asks for them (the default).
- :func:`steps_responder`: a solution of a given number of steps, one step per request when asked with
  the step delimiter as a stop string (step-level search on a text route).

Example:
    >>> arithmetic_responder("What is 2 + 3?", 0, 7, 0.8) == arithmetic_responder("What is 2 + 3?", 0, 7, 0.8)
    True
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

Responder = Callable[[str, int, "int | None", float], str]  # (prompt, index, seed, temperature) -> text


def arithmetic_responder(prompt: str, index: int, seed: int | None, temperature: float) -> str:
    """A short arithmetic solution whose numbers depend on (prompt, seed, index) only; in the fields of
    DSPy's chat adapter when the prompt asks for them, as an instruction-following model would (any
    program's fields: a ``Literal`` gets its first value, a ``bool`` True, a step-level search's
    ``complete`` True, any other field the sum)."""
    digest = hashlib.sha256(f"{prompt}|{seed}|{index if temperature > 0 else 0}".encode()).digest()
    a, b = digest[0] % 20, digest[1] % 20
    if "[[ ## next_step ## ]]" in prompt:
        complete = "\n\n[[ ## complete ## ]]\nTrue" if "[[ ## complete ## ]]" in prompt else ""
        return f"[[ ## next_step ## ]]\n{a} + {b} = {a + b}.{complete}\n\n[[ ## completed ## ]]"
    if "[[ ## reasoning ## ]]" in prompt and "`answer`" in prompt:
        return f"[[ ## reasoning ## ]]\n{a} + {b} = {a + b}.\n\n[[ ## answer ## ]]\n{a + b}\n\n[[ ## completed ## ]]"
    fields = _OUTPUT_FIELDS.search(prompt)
    if fields:
        values = {"reasoning": f"{a} + {b} = {a + b}."}
        return "".join(f"[[ ## {name} ## ]]\n{values.get(name) or _value_of(kind, a + b)}\n\n"
                       for name, kind in _FIELD.findall(fields.group(1))) + "[[ ## completed ## ]]"
    return f"Step 1: {a} + {b} = {a + b}\n\nThe answer is {a + b}."


def steps_responder(length: int) -> Responder:
    r"""A responder for step-level search on a text route: after the prompt's last ``Answer:`` (the partial
    solution so far) it writes the rest of a ``length``-step solution, step k as ``100k + c = r.`` (c - 2
    is the choice's index), a blank line between steps, then the answer line. Asked with the step
    delimiter as a stop string, a request gets one step; asked without, the whole solution.

    Example:
        >>> respond = steps_responder(2)
        >>> respond("Question: 2 + 3?\nAnswer: 0 + 2 = 2.", 1, 5, 0.8)
        '100 + 3 = 103.\n\nThe answer is 103.'
        >>> respond("Question: 2 + 3?\nAnswer:", 0, 5, 0.8)
        '0 + 2 = 2.\n\n100 + 2 = 102.\n\nThe answer is 102.'
    """
    def respond(prompt: str, index: int, seed: int | None, temperature: float) -> str:
        results = re.findall(r"= (\d+)\.", prompt.rsplit("Answer:", 1)[-1])
        steps = [(f"{k * 100} + {index + 2}", k * 100 + index + 2) for k in range(len(results), length)]
        last = steps[-1][1] if steps else (results or ["0"])[-1]
        return "\n\n".join([*(f"{sum_} = {value}." for sum_, value in steps), f"The answer is {last}."])

    return respond


_OUTPUT_FIELDS = re.compile(r"Your output fields are:\n((?:\d+\. `\w+`.*\n?)+)")
_FIELD = re.compile(r"^\d+\. `(\w+)` \((.*?)\)", re.M)


def _value_of(kind: str, total: int) -> str:
    """A value of the adapter's type ``kind`` (its first literal, True, or ``total``)."""
    literal = re.match(r"Literal\[(['\"])(.*?)\1", kind)
    return literal.group(2) if literal else "True" if kind == "bool" else str(total)
