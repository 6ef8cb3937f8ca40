"""Answering one question with a test-time compute strategy: the library under ``ttc solve``.

:func:`question_for` reads what a question fills (the math program's ``question``, or the one input of
a program of the user's); :func:`solve_options` checks the budget and gives the strategy's options;
:func:`strategy_solver` builds the strategy with its verifier (named as ``--verifier`` names it) and
limits; :func:`solution_report` is what ``ttc solve`` prints, or writes as JSON. With a fitted policy
instead of a strategy, ``planners.policies.policy_solver`` and ``policy_report`` do the same.

Example:
    >>> from ttc_modules.testing import scripted_lm
    >>> lm = scripted_lm(lambda prompt, seed: "2 + 3 = 5.\\n\\nThe answer is 5.")
    >>> question = question_for("What is 2 + 3?")
    >>> solver = strategy_solver(solve_options("best_of_n", 2), lm, verifier="none", seed=0)
    >>> report = solution_report(solver(**question.inputs), question, lm.label)
    >>> report["answer"], len(report["candidates"]), report["spent"]["generations"]
    ('5', 2, 2)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from ttc_modules.budget import Budget
from ttc_modules.graph import Node, solution_steps, terminal_nodes
from ttc_modules.programs import as_module, describe
from ttc_modules.strategies import (
    Strategy,
    build_strategy,
    check_question,
    needs_verifier,
    options_for_budget,
)
from ttc_modules.user_code import load_program
from ttc_modules.verifiers.named import verifier_from_name


@dataclass(frozen=True)
class Question:
    """A question as the program answering it is asked it.

    Attributes:
        text: the question as given.
        program: the program that answers it (a signature or a ``dspy.Module``; None: the math
            word-problem program).
        inputs: the program's inputs, the question filling its one input.
        answer_field: the program's output that holds its answer.
    """

    text: str
    program: Any
    inputs: dict
    answer_field: str


def question_for(text: str, program: str | None = None) -> Question:
    """``text`` as the question of ``program`` (``module:attribute``, or a signature such as ``"question ->
    answer"``; None: the math word-problem program), or one clear error: the question is empty, or the
    program takes other than one input.

    Example:
        >>> question_for("Capital of France?", "question -> city").inputs, question_for(" 2 + 2? ").inputs
        ({'question': 'Capital of France?'}, {'question': '2 + 2?'})
    """
    if program is None:
        return Question(text, None, {"question": check_question(text)}, "answer")
    searched = load_program(program)
    fields = describe(as_module(searched))
    if len(fields.inputs) != 1 or not text.strip():
        raise ValueError(f"ttc solve fills one input with QUESTION, and {fields.name} takes "
                         f"{', '.join(fields.inputs)}{' (QUESTION is empty)' if len(fields.inputs) == 1 else ''}; "
                         "use ttc eval --program with a file of its inputs, or Python")
    return Question(text, searched, {fields.inputs[0]: text}, fields.answer)


def solve_options(strategy: str, n: int, **given: Any) -> dict:
    """The options of ``strategy`` at a budget of ``n`` generations (``given`` options, None ones ignored,
    on top), or one clear error for a budget below one sample or options that do not fit.

    Example:
        >>> solve_options("beam_search", 8, beam_width=2)["beam_width"]
        2
    """
    if n < 1:
        raise ValueError(f"--n must be >= 1, got {n}; ask for at least one sample")
    return options_for_budget(strategy, n, **given)


def options_given(pairs: list[str] | None) -> dict[str, Any]:
    """``KEY=VALUE`` pairs (``ttc solve --option``) as options, each value read as YAML (``3``, ``0.5``,
    ``true``, text), or one line naming the pair that is not one.

    Example:
        >>> options_given(["first=3", "selection=weighted", "threshold=0.9"])
        {'first': 3, 'selection': 'weighted', 'threshold': 0.9}
        >>> options_given(["first"])
        Traceback (most recent call last):
        ValueError: --option takes KEY=VALUE, got 'first'; e.g. --option first=3
    """
    given = {}
    for pair in pairs or []:
        key, equals, value = pair.partition("=")
        if not equals or not key.strip():
            raise ValueError(f"--option takes KEY=VALUE, got {pair!r}; e.g. --option first=3")
        given[key.strip()] = yaml.safe_load(value) if value.strip() else None
    return given


def strategy_solver(options: dict, lm, verifier: str = "auto", seed: int = 0, program=None,
                    tokens: int | None = None, flops: float | None = None) -> Strategy:
    """The strategy ``options`` describe, on ``lm`` and over ``program`` (None: the math word-problem program),
    seeded with ``seed``, its verifier named as ``ttc solve --verifier`` names it (``auto``: the arithmetic
    checker where the strategy needs one), each call held to ``tokens`` and ``flops`` (None: no limit).

    Example:
        >>> from ttc_modules.testing import scripted_lm
        >>> lm = scripted_lm(lambda prompt, seed: "The answer is 4.")
        >>> type(strategy_solver(solve_options("best_of_n", 4, selection="weighted"), lm)).__name__
        'BestOfN'
    """
    needed = needs_verifier(options)
    chosen = verifier_from_name(verifier, needed, lm, program=program is not None)
    if needed and chosen is None:
        votes = ", or --selection majority (votes alone)" if "selection" in options else ""
        raise ValueError(f"{options['kind']} with these options needs a verifier, and --verifier is {verifier}; "
                         f"pass --verifier arithmetic (math word problems), judge or module:function{votes}")
    return build_strategy({**options, "seed": seed}, lm=lm, verifier=chosen, budget=Budget(tokens=tokens, flops=flops),
                          program=program)


def solution_report(prediction, question: Question, model: str) -> dict:
    """What ``ttc solve`` reports of ``prediction`` (a strategy's answer to ``question`` from ``model``): the
    answer and reasoning, every output, every finished candidate (``node``, solution ``text``, ``answer``,
    ``score``), what was spent and why the search stopped early, if it did."""
    graph = prediction.graph
    candidates = [{"node": node, "text": "\n\n".join(solution_steps(graph, node)) or Node(graph, node).text,
                   "answer": Node(graph, node).answer, "score": Node(graph, node).score}
                  for node in terminal_nodes(graph)]
    return {"question": question.text, "strategy": graph.graph["strategy"],
            "answer": prediction.get(question.answer_field), "reasoning": prediction.get("reasoning"),
            "outputs": prediction.toDict(), "candidates": candidates, "spent": prediction.spent,
            "stopped": graph.graph.get("stopped"), "model": model}
