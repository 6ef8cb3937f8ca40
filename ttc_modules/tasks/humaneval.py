"""HumanEval (Chen et al. 2021): complete a Python function from its signature and docstring.

The 164 problems ship with the package (``evaluation/data/humaneval.jsonl.gz``, MIT). A program
answers with the whole function (:class:`CompleteFunction`); :func:`code_of` turns the answer into
the program to run. Two checks run it in :func:`ttc_modules.sandbox.run_python`:

- :func:`metric`: HumanEval's hidden test (``check(<entry_point>)``) passes: the task's score;
- :func:`examples_reward`: the fraction of the docstring's own examples (:func:`docstring_examples`)
  the code gets right: a reward for ``dspy.BestOfN`` and the like, which sees only the prompt.

Example:
    >>> problem = examples(limit=1)[0]
    >>> problem.id, problem.entry_point, sorted(problem.inputs().keys())
    ('HumanEval/0', 'has_close_elements', ['prompt'])
    >>> code_of("```python\\ndef f(x):\\n    return x\\n```", "import math\\n\\n\\ndef f(x):\\n", "f")
    'import math\\n\\n\\ndef f(x):\\n    return x\\n'
    >>> code_of("    return x + 1", "def f(x):\\n", "f")
    'def f(x):\\n    return x + 1\\n'
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import secrets
from collections.abc import Mapping
from importlib import resources
from typing import Any

import dspy

from ttc_modules.sandbox import run_python
from ttc_modules.tasks.docstring_examples import docstring_examples

__all__ = ["CompleteFunction", "code_of", "docstring_examples", "entry_point_of", "examples",
           "examples_reward", "metric", "TIMEOUT"]

logger = logging.getLogger(__name__)

TIMEOUT = 5.0  # seconds per sandbox run: HumanEval's tests take well under a second
DATA = resources.files("ttc_modules.evaluation") / "data" / "humaneval.jsonl.gz"
CHECK = """

def _ttc_check(example):
    import contextlib, io
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            passed = bool(example())
    except BaseException:
        passed = False
    print("\\nMARKER", "pass" if passed else "fail", flush=True)

"""  # run after the candidate's code: one example, its output swallowed, its verdict on a line of its own
FENCE = re.compile(r"```[ \t]*(?:python3?|py)?[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL | re.IGNORECASE)


class CompleteFunction(dspy.Signature):
    """Complete the Python function: write the whole function, its signature included."""

    prompt: str = dspy.InputField(desc="the function's signature and docstring")
    code: str = dspy.OutputField(desc="the complete function in Python")


def examples(limit: int | None = None) -> list[dspy.Example]:
    """The shipped problems, in order: ``id``, ``prompt`` (the input), ``test``, ``entry_point``.

    Args:
        limit: the first ``limit`` problems only; all 164 when None.
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit={limit!r} must be a whole number of problems (0..164) or None for all")
    with DATA.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    return [dspy.Example(id=row["task_id"], prompt=row["prompt"], test=row["test"],
                         entry_point=row["entry_point"]).with_inputs("prompt")
            for row in rows[:limit]]


def _unfenced(text: str) -> str:
    """The inside of the first Markdown code fence, or the text itself when it has none."""
    match = FENCE.search(text)
    return match.group(1) if match else text


def _def_lines(code: str, name: str = r"\w+") -> list[re.Match]:
    """The lines of ``code`` that define a function whose name matches ``name`` (a regex), the name in group 1."""
    return list(re.finditer(rf"^[ \t]*(?:async[ \t]+)?def[ \t]+({name})[ \t]*\(", code, re.MULTILINE))


def _compiles(code: str) -> bool:
    try:
        compile(code, "<answer>", "exec")  # compiling runs nothing
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _indentations(body: str) -> list[str]:
    """Ways to indent a body whose first line lost its indentation (DSPy strips the fields it parses)."""
    lines = body.splitlines(keepends=True)
    rest = [len(line) - len(line.lstrip(" ")) for line in lines[1:] if line.strip()]
    widths = [width for width in (min(rest, default=0), min(rest, default=0) - 4) if width > 0]
    return [*(" " * width + body for width in widths), "".join("    " + line for line in lines)]


def _as_body(body: str, prompt: str) -> str:
    """The answer as the function's body: as written, or indented when that is what makes it compile."""
    if body[:1] in (" ", "\t") or not body.strip():
        return body
    return next((indented for indented in _indentations(body) if _compiles(prompt + indented)), body)


def code_of(text: str, prompt: str, entry_point: str) -> str:
    """The program to run from a model's answer.

    The answer's Markdown code fence is dropped. An answer that defines ``entry_point`` is the whole
    function: what the prompt has before its ``def`` (imports, helper functions) goes before it.
    Anything else is the function's body, put after the prompt (indented when its first line is not,
    as DSPy strips the fields it parses).
    """
    code = _unfenced(text or "")
    prompt_defs = _def_lines(prompt, re.escape(entry_point))
    if _def_lines(code, re.escape(entry_point)):
        program = (prompt[: prompt_defs[-1].start()] if prompt_defs else "") + code
    else:
        program = prompt + _as_body(code, prompt)
    return program if program.endswith("\n") else program + "\n"


def entry_point_of(prompt: str) -> str | None:
    """The name of the function to complete: the last ``def name(`` in the prompt."""
    lines = _def_lines(prompt)
    return lines[-1].group(1) if lines else None


def _answer(pred: Any) -> str:
    """The ``code`` field of a prediction (a ``dspy.Prediction`` or a mapping) as text; '' when missing."""
    value = pred.get("code") if isinstance(pred, Mapping) else getattr(pred, "code", None)
    return value if isinstance(value, str) else ""


def _examples_program(code: str, pairs: list[tuple[str, str]], marker: str) -> str:
    """The code, then each example checked with ``==`` (output swallowed), printing ``MARKER pass|fail``."""
    checks = [f"_ttc_check(lambda: ({call}) == ({expected}))" for call, expected in pairs]
    return "\n".join([code, CHECK.replace("MARKER", marker), *checks, ""])


def _passed_fraction(output: str, marker: str, total: int) -> float:
    words = [line.split()[-1] for line in output.splitlines() if line.startswith(marker + " ")]
    return words.count("pass") / total


def examples_reward(args: dict, pred: Any) -> float:
    """The fraction of the prompt's docstring examples the predicted code gets right, in [0, 1].

    A reward function as ``dspy.BestOfN`` calls it. All the examples run in one sandbox process, each
    in its own ``try``; code that does not run scores 0.0. With no examples in the docstring, code
    that defines the function without an error scores 1.0. It never raises for bad model output.

    Args:
        args: the program's inputs: ``{"prompt": ...}``.
        pred: a prediction with a ``code`` field.
    """
    prompt = args.get("prompt", "") if isinstance(args, dict) else ""
    entry_point = entry_point_of(prompt)
    if entry_point is None:
        logger.warning("examples_reward: the prompt defines no function (no 'def name('); the reward is 0.0")
        return 0.0
    code = code_of(_answer(pred), prompt, entry_point)
    pairs = docstring_examples(prompt, entry_point)
    if not pairs:
        defined = run_python(f"{code}\nif not callable({entry_point}):\n    raise SystemExit(1)\n",
                             timeout=TIMEOUT)
        return 1.0 if defined.passed else 0.0
    marker = f"ttc-example-{secrets.token_hex(8)}"
    result = run_python(_examples_program(code, pairs, marker), timeout=TIMEOUT)
    logger.debug("examples_reward: %s (%s)", result.status, result.message)
    return 0.0 if result.status == "refused" else _passed_fraction(result.output, marker, len(pairs))


def metric(example: dspy.Example, pred: Any, trace: Any = None) -> bool:
    """Whether the predicted code passes the problem's hidden HumanEval test."""
    code = code_of(_answer(pred), example.prompt, example.entry_point)
    result = run_python(f"{code}\n\n{example.test}\n\ncheck({example.entry_point})\n", timeout=TIMEOUT)
    logger.debug("humaneval metric %s: %s (%s)", example.get("id"), result.status, result.message)
    return result.passed
