"""HumanEval: the shipped problems, turning answers into programs, the docstring examples, reward and metric."""

from __future__ import annotations

import gzip
import json
import sys
from concurrent.futures import ThreadPoolExecutor

import dspy
import pytest

from ttc_modules.tasks import humaneval
from ttc_modules.tasks.humaneval import (
    CompleteFunction,
    code_of,
    docstring_examples,
    entry_point_of,
    examples,
    examples_reward,
    metric,
)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox is tested on Linux")

PROBLEMS = examples()
with gzip.open(humaneval.DATA.open("rb"), "rt", encoding="utf-8") as _rows:
    CANONICAL = {row["task_id"]: row["canonical_solution"] for row in map(json.loads, _rows)}
MEASURED_WITH_EXAMPLES = 150  # prompts whose docstring yields at least one example (of 164)
WRONG_DOCSTRINGS = {"HumanEval/47", "HumanEval/116", "HumanEval/148"}  # upstream examples that contradict the tests


def _canonical(problem: dspy.Example) -> dspy.Prediction:
    return dspy.Prediction(code=problem.prompt + CANONICAL[problem.id])


def _in_parallel(function, items) -> list:
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(function, items))


def test_the_164_problems_load_with_their_fields():
    assert len(PROBLEMS) == 164 and len({problem.id for problem in PROBLEMS}) == 164
    first = PROBLEMS[0]
    assert (first.id, first.entry_point) == ("HumanEval/0", "has_close_elements")
    assert set(first.inputs().keys()) == {"prompt"} and "def check(candidate)" in first.test
    assert [problem.id for problem in examples(limit=3)] == ["HumanEval/0", "HumanEval/1", "HumanEval/2"]


@pytest.mark.parametrize("limit", [-1, 2.5, True])
def test_a_bad_limit_is_named(limit):
    with pytest.raises(ValueError, match="limit="):
        examples(limit=limit)


def test_the_signature_asks_for_the_whole_function():
    assert list(CompleteFunction.input_fields) == ["prompt"] and list(CompleteFunction.output_fields) == ["code"]
    assert "whole function" in CompleteFunction.instructions and "math" not in CompleteFunction.instructions.lower()


def test_the_entry_point_is_the_last_def_of_every_prompt():
    assert all(entry_point_of(problem.prompt) == problem.entry_point for problem in PROBLEMS)
    assert entry_point_of("no function here") is None


PROMPT = "import math\n\n\ndef helper(x):\n    return x\n\n\ndef area(r):\n    \"\"\"The area of a circle.\"\"\"\n"


@pytest.mark.parametrize("answer", [
    "```python\ndef area(r):\n    return math.pi * r * r\n```",
    "Here it is:\n```\ndef area(r):\n    return math.pi * r * r\n```\nIt multiplies.",
    "def area(r):\n    return math.pi * r * r",
])
def test_an_answer_with_the_whole_function_gets_what_the_prompt_has_before_it(answer):
    assert code_of(answer, PROMPT, "area") == PROMPT.split("def area")[0] + "def area(r):\n    return math.pi * r * r\n"


@pytest.mark.parametrize("answer", [
    "    return math.pi * r * r",
    "```python\n    return math.pi * r * r\n```",
    "return math.pi * r * r",  # DSPy strips the fields it parses: the body's indentation is put back
])
def test_an_answer_with_the_body_goes_after_the_prompt(answer):
    assert code_of(answer, PROMPT, "area") == PROMPT + "    return math.pi * r * r\n"


@pytest.mark.parametrize(("answer", "body"), [
    ("if r < 0:\n        return 0.0\n    return r", "    if r < 0:\n        return 0.0\n    return r\n"),
    ("total = r\nfor _ in range(2):\n    total *= r\nreturn total",
     "    total = r\n    for _ in range(2):\n        total *= r\n    return total\n"),
])
def test_a_body_that_lost_its_indentation_is_indented_again(answer, body):
    assert code_of(answer, PROMPT, "area") == PROMPT + body


def test_an_empty_or_broken_answer_still_gives_a_program():
    assert code_of("", PROMPT, "area") == PROMPT
    assert code_of("def (:", PROMPT, "area").startswith(PROMPT)


@pytest.mark.parametrize("index", [0, 10, 32, 38, 53, 80, 100, 129, 150, 163])
def test_the_metric_passes_the_canonical_solution(index):
    problem = PROBLEMS[index]
    assert metric(problem, _canonical(problem)) is True


def test_the_metric_fails_a_wrong_body_and_bad_predictions():
    problem = PROBLEMS[53]  # add(x, y)
    assert metric(problem, dspy.Prediction(code="    return x - y")) is False
    assert metric(problem, dspy.Prediction(code=None)) is False
    assert metric(problem, {"code": "    return x + y"}) is True


def test_the_examples_reward_scores_the_share_of_docstring_examples_passed():
    problem = PROBLEMS[0]  # has_close_elements: two doctest examples, False then True
    args = {"prompt": problem.prompt}
    assert examples_reward(args, _canonical(problem)) == 1.0
    assert examples_reward(args, dspy.Prediction(code="    return False")) == 0.5
    assert examples_reward(args, dspy.Prediction(code="    return numbers[0] / 0")) == 0.0
    assert examples_reward(args, dspy.Prediction(code="    return (")) == 0.0


def test_the_examples_reward_without_examples_asks_that_the_function_is_defined():
    problem = PROBLEMS[38]  # decode_cyclic: no example in its docstring
    assert docstring_examples(problem.prompt, problem.entry_point) == []
    assert examples_reward({"prompt": problem.prompt}, _canonical(problem)) == 1.0
    assert examples_reward({"prompt": problem.prompt}, dspy.Prediction(code="    return (")) == 0.0


def test_the_examples_reward_never_raises_for_bad_output(monkeypatch):
    monkeypatch.setattr(humaneval, "TIMEOUT", 1.0)
    args = {"prompt": PROBLEMS[0].prompt}
    assert examples_reward(args, dspy.Prediction(code="    while True:\n        pass")) == 0.0
    assert examples_reward(args, dspy.Prediction(code="    open('/etc/owned', 'w')\n    return True")) == 0.0
    assert examples_reward(args, dspy.Prediction(code="    print('ttc-example pass')\n    return False")) == 0.5
    assert examples_reward(args, dspy.Prediction()) == 0.0
    assert examples_reward(args, None) == 0.0
    assert examples_reward({}, dspy.Prediction(code="def f(): pass")) == 0.0


@pytest.mark.parametrize(("docstring", "expected"), [
    (">>> f(1)\n    2\n    >>> f([])\n\n", [("f(1)", "2"), ("f([])", "None")]),
    (">>> f(1) == 2", [("f(1)", "2")]),
    ("f(1) ==> 2\n    f('a') => 'b'\n    f(2) -> true", [("f(1)", "2"), ("f('a')", "'b'"), ("f(2)", "True")]),
    ("* f(1) ➞ [2]\n    for f(3) == (4, 5)", [("f(1)", "[2]"), ("f(3)", "(4, 5)")]),
    ("For example: f(1) = 2.\n    f(2) should return 3.", [("f(1)", "2"), ("f(2)", "3")]),
    ("f(1)   # returns \"x\"\n    f(2) returns 4 # four", [("f(1)", "'x'"), ("f(2)", "4")]),
    ("Input: arr = [1, 2], k = 1\n    Output: [2]", [("f([1, 2], 1)", "[2]")]),
    ("For lst = [1,2] the output should be 3\n    For s = 'ab', c = 'b', the result should be ('a',False)",
     [("f([1, 2])", "3"), ("f('ab', 'b')", "('a', False)")]),
])
def test_docstring_examples_in_each_style(docstring, expected):
    prompt = f'def f(x):\n    """Does f.\n    {docstring}\n    """\n'
    assert docstring_examples(prompt, "f") == expected


@pytest.mark.parametrize("docstring", [
    "f(abc) => 1",  # an unquoted string
    "f(3) = 1 + 2 = 3",  # a calculation, not a value
    "g(1) == 2",  # another function
    ">>> round(f(1), 2)\n    0.5",  # the entry point inside another call
    "f(n) = f(n - 1) + 1\n    f(1) = 1",  # stated by equations: '=' is maths here
    "f(__import__('os').system('x')) == 1",  # only literals are ever run
])
def test_docstring_examples_leave_out_what_is_not_a_literal_example(docstring):
    prompt = f'def f(x):\n    """Does f.\n    {docstring}\n    """\n'
    assert docstring_examples(prompt, "f") == []


def test_most_prompts_yield_docstring_examples():
    with_examples = sum(bool(docstring_examples(problem.prompt, problem.entry_point)) for problem in PROBLEMS)
    assert with_examples >= MEASURED_WITH_EXAMPLES


def test_canonical_solutions_pass_their_docstring_examples():
    problems = [problem for problem in PROBLEMS if docstring_examples(problem.prompt, problem.entry_point)]
    rewards = _in_parallel(lambda problem: examples_reward({"prompt": problem.prompt}, _canonical(problem)), problems)
    short = {problem.id for problem, reward in zip(problems, rewards, strict=True) if reward < 1.0}
    assert short == WRONG_DOCSTRINGS
