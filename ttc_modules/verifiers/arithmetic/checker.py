"""``ArithmeticChecker``: a process verifier that checks the arithmetic of every step.

For each step it finds the equations written in it (``equations.py``) and checks that their sides
agree, solving for an unknown where one is used (``3x + 2 = 11`` makes x = 3; a later ``x = 4`` is
wrong). It also asks where each number comes from: the question (as numerals, in words, or a
unit's constant: ``grounding.py``), an earlier step, or one operation on known numbers ("3 boxes of
12 is 36"). A step's own verdict is

- ``wrong`` (0.05) when an equation's sides disagree;
- ``ungrounded`` (0.5) when its arithmetic is right but an operand comes from nowhere;
- ``unchecked`` (0.7) when it states a new number without arithmetic that derives it;
- 1.0 otherwise (sound arithmetic, or prose that only restates known numbers).

A step stating the final answer keeps its verdict when the answer is a known number and is
multiplied by ``unsupported`` (0.5) when it is not. The process score of step k is the product
of the verdicts up to k: the chance, as this checker sees it, that the solution so far is sound. A
wrong result is still what later steps build on, so one error costs once.

Deterministic, needs no model, and costs about a fifth of a millisecond per step in pure Python. A
solution's steps are checked once: what a prefix established is kept (the last few thousand
prefixes, in this process), so scoring a beam's next candidates checks their new steps only. That is
cheaper than a disk cache or a thread: the checker is ``inline`` (scored in the caller's thread,
its scores kept in memory).

Example:
    >>> checker = ArithmeticChecker()
    >>> inputs = {"question": "Sam has 5 pencils and buys 3 more. How many pencils?"}
    >>> checker.score(inputs, ["5 + 3 = 8.", "The answer is 8."])
    [1.0, 1.0]
    >>> checker.score(inputs, ["5 + 3 = 9.", "The answer is 9."])
    [0.05, 0.05]
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from fractions import Fraction

from ttc_modules.answers import extract_answer, has_final_answer
from ttc_modules.verifiers.arithmetic.equations import Equation, equations_in
from ttc_modules.verifiers.arithmetic.expressions import evaluate
from ttc_modules.verifiers.arithmetic.grounding import (
    ALWAYS_KNOWN,
    known_numbers,
    stated_numbers,
    unit_constants,
    worded_numbers,
)


@dataclass
class Solution:
    """What a solution has established so far: known numbers and the values of its unknowns."""

    known: set[Fraction]
    unknowns: dict[str, Fraction] = field(default_factory=dict)

    def copy(self) -> Solution:
        return Solution(set(self.known), dict(self.unknowns))

    def derivable(self, value: Fraction, extra: set[Fraction] = frozenset()) -> bool:
        """True when ``value`` is known, or one operation on two numbers the text states (``3 boxes of 12``:
        36); the numbers known to every text (1, 2, 100) do not count there, or every number would be."""
        if value in self.known or value in extra:
            return True
        pool = (self.known | extra) - ALWAYS_KNOWN
        return any(value - a in pool or a - value in pool or value * a in pool
                   or (a != 0 and value != 0 and (value / a in pool or a / value in pool)) for a in pool)


class ArithmeticChecker:
    """Process verifier checking the arithmetic and the grounding of each step (see the module docstring)."""

    name = "arithmetic"
    process = True
    oracle = False
    inline = True  # cheaper than a disk cache or a thread (the module docstring)

    def __init__(self, wrong: float = 0.05, ungrounded: float = 0.5, unchecked: float = 0.7,
                 unsupported: float = 0.5):
        self.wrong, self.ungrounded, self.unchecked, self.unsupported = wrong, ungrounded, unchecked, unsupported

    @property
    def cache_id(self) -> str:
        return f"arithmetic-v3:{self.wrong}:{self.ungrounded}:{self.unchecked}:{self.unsupported}"

    def score(self, inputs: dict, steps: list[str]) -> list[float]:
        question = str(inputs.get("question", ""))
        for k in range(_RECURSION_STRIDE, len(steps), _RECURSION_STRIDE):  # a long solution, checked in strides:
            _checked(self, question, tuple(steps[:k]))  # each stride's recursion stops at the one before
        return list(_checked(self, question, tuple(steps))[0])

    def check_step(self, step: str, solution: Solution) -> float:
        """This step's own verdict; what it establishes is added to ``solution``."""
        stated = stated_numbers(step)  # each numeral with its readings: the step is read once
        written = {value for readings in stated for value in readings}
        own_words = (ALWAYS_KNOWN | worded_numbers(step) | unit_constants(step)) - written
        verdict, results = 1.0, set()
        for equation in equations_in(step):
            outcome = self._check_equation(equation, solution)
            if outcome is None:
                continue
            agrees, values = outcome
            if not agrees:
                solution.known |= results | values
                return self.wrong
            if not all(solution.derivable(n, own_words | results) for n in self._operands(equation)):
                verdict = min(verdict, self.ungrounded)
            results |= values
        solution.known |= results | own_words
        if has_final_answer(step):  # the answer it states is checked by the caller, not made known
            return verdict
        new = [readings for readings in stated
               if not any(n in results or solution.derivable(n, own_words | results) for n in readings)]
        solution.known |= written
        return min(verdict, self.unchecked) if new else verdict

    @staticmethod
    def _check_equation(equation: Equation, solution: Solution) -> tuple[bool, set[Fraction]] | None:
        """(sides agree, values established), or None for an equation not to check."""
        left = equation.left.value.substitute(solution.unknowns)
        right = equation.right.value.substitute(solution.unknowns)
        if left.is_constant and right.is_constant:
            if equation.is_statement:
                return None
            return equation.agrees(left.const, right.const), {left.const, right.const}
        if left.var and right.var and left.var != right.var:
            return None
        if left.const == right.const == 0:  # "200g + 100g = 300g", "2 * 2S = 4S": compare the coefficients
            return equation.agrees(left.coef, right.coef), set()
        slope = left.coef - right.coef
        if slope == 0:  # "S + 30 + 113 = S + 143": compare what is added
            return equation.agrees(left.const, right.const), {right.const}
        value = (right.const - left.const) / slope
        solution.unknowns[left.var or right.var] = value
        return True, {value}

    @staticmethod
    def _operands(equation: Equation) -> list[Fraction]:
        """The numbers an equation computes from: its expression side's (``12 = 3 * 4`` reads right to left);
        none for algebra (``S + 2S + 4S = 7S``), whose coefficients come from rewriting, not the question."""
        if not (equation.left.value.is_constant and equation.right.value.is_constant):
            return []
        if equation.left.bare is not None and equation.right.bare is None:
            return equation.right.numbers
        return equation.left.numbers

    def _answer_verdict(self, step: str, verdict: float, solution: Solution) -> float:
        """A "The answer is N." line is sound when N is known; otherwise it costs ``unsupported``."""
        answer = extract_answer(step)
        value = evaluate(answer) if answer else None
        return verdict if value is not None and value in solution.known else verdict * self.unsupported


_RECURSION_STRIDE = 200  # steps :func:`_checked` recurses through at most (Python's limit is 1,000 frames)


@functools.lru_cache(maxsize=4096)
def _checked(checker: ArithmeticChecker, question: str, steps: tuple[str, ...]) -> tuple[tuple[float, ...], Solution]:
    """The process scores of ``steps`` and what they established, each prefix checked once per process (the
    last few thousand kept): a beam's next candidates cost their new steps only. The ``Solution`` returned
    is shared by the cache: copy it before changing it."""
    if not steps:
        return (), Solution(known_numbers(question))
    scores, before = _checked(checker, question, steps[:-1])
    solution = before.copy()
    verdict = checker.check_step(steps[-1], solution)
    if has_final_answer(steps[-1]):
        verdict = checker._answer_verdict(steps[-1], verdict, solution)
    return (*scores, (scores[-1] if scores else 1.0) * verdict), solution
