"""A programmatic process verifier for arithmetic word problems: it checks every ``a op b = c``.

The GSM8K calculator idea turned into a verifier. For each step it finds the equations written in
it (``3 + 4 = 7``, ``20 - 7 - 5 = 8``, ``4 x 6 = 24``), evaluates the left side exactly and compares
with the right side. A step whose arithmetic is wrong scores ``wrong`` (0.05); a step whose
equations are right but use a number found neither in the question nor in an earlier result
scores ``ungrounded`` (0.5); a step without any equation scores ``unchecked`` (0.7); a step whose
equations are all right and grounded scores 1.0. A step stating the final answer scores 1.0 when that answer is one of the
solution's results (or a number of the question), and ``unsupported`` (0.5) times its own score
otherwise. The process score of step k is the product of the step scores up to k: the chance, as
this checker sees it, that the solution so far is sound.

Cheap (microseconds per step), deterministic, and it needs no model: with the embedded model it
is the verifier that turns pass@N into accuracy.

Example:
    >>> checker = ArithmeticChecker()
    >>> inputs = {"question": "Sam has 5 pencils and buys 3 more. How many pencils?"}
    >>> checker.score(inputs, ["5 + 3 = 8.", "The answer is 8."])
    [1.0, 1.0]
    >>> checker.score(inputs, ["5 + 3 = 9.", "The answer is 9."])
    [0.05, 0.025]
"""

from __future__ import annotations

import re
from fractions import Fraction

from ttc_modules.answers import extract_answer, has_final_answer

_NUM = r"\$?\d[\d,]*(?:\.\d+)?"
_UNIT = r"(?:\s+[A-Za-z]{2,}){0,2}"  # "3 apples - 1 = 2": up to two unit words after a number
_TERM = rf"\(?\s*{_NUM}{_UNIT}\s*\)?"
_EQUATION = re.compile(rf"((?:{_TERM}\s*[-+*/x×÷]\s*)+{_TERM})\s*=\s*(-?{_NUM})")
_WORD = re.compile(r"[A-Za-z]{2,}")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _number(text: str) -> Fraction:
    return Fraction(text.replace(",", "").replace("$", ""))


def evaluate(expression: str) -> Fraction | None:
    """The exact value of an arithmetic expression of numbers, + - * / (x, × and ÷ too); None if unreadable.

    A small recursive-descent parser (``ast.parse`` is not safe to call from several threads on
    CPython 3.11, and strategies score concurrently).
    """
    cleaned = _WORD.sub(" ", expression).replace("÷", "/").replace("$", "").replace(",", "")
    tokens = _TOKEN.findall(re.sub(r"[x×]", "*", cleaned))
    if not tokens or "".join(tokens) != re.sub(r"\s+", "", re.sub(r"[x×]", "*", cleaned)):
        return None
    try:
        value, rest = _sum(tokens)
    except (IndexError, ValueError, ZeroDivisionError):
        return None
    return value if not rest else None


_TOKEN = re.compile(r"\d+(?:\.\d+)?|[-+*/()]")


def _sum(tokens: list[str]) -> tuple[Fraction, list[str]]:
    value, tokens = _product(tokens)
    while tokens and tokens[0] in "+-":
        op, (right, tokens) = tokens[0], _product(tokens[1:])
        value = value + right if op == "+" else value - right
    return value, tokens


def _product(tokens: list[str]) -> tuple[Fraction, list[str]]:
    value, tokens = _atom(tokens)
    while tokens and tokens[0] in "*/":
        op, (right, tokens) = tokens[0], _atom(tokens[1:])
        value = value * right if op == "*" else value / right
    return value, tokens


def _atom(tokens: list[str]) -> tuple[Fraction, list[str]]:
    head = tokens[0]
    if head == "(":
        value, rest = _sum(tokens[1:])
        if not rest or rest[0] != ")":
            raise ValueError("unbalanced parenthesis")
        return value, rest[1:]
    if head == "-":
        value, rest = _atom(tokens[1:])
        return -value, rest
    return Fraction(head), tokens[1:]


class ArithmeticChecker:
    """Process verifier checking the arithmetic of each step (see the module docstring)."""

    name = "arithmetic"
    process = True
    oracle = False

    def __init__(self, wrong: float = 0.05, ungrounded: float = 0.5, unchecked: float = 0.7,
                 unsupported: float = 0.5):
        self.wrong, self.ungrounded, self.unchecked, self.unsupported = wrong, ungrounded, unchecked, unsupported

    @property
    def cache_id(self) -> str:
        return f"arithmetic-v2:{self.wrong}:{self.ungrounded}:{self.unchecked}:{self.unsupported}"

    def score(self, inputs: dict, steps: list[str]) -> list[float]:
        known = {_number(n) for n in _NUMBER.findall(str(inputs.get("question", "")))}
        value, scores = 1.0, []
        for step in steps:
            step_score, results = self.check_step(step, known)
            known |= results
            if has_final_answer(step):
                step_score = self._answer_step_score(step, step_score, known)
            value *= step_score
            scores.append(value)
        return scores

    def _answer_step_score(self, step: str, step_score: float, known: set[Fraction]) -> float:
        """A bare "The answer is N." line is fine when N is a result; otherwise it costs ``unsupported``."""
        if step_score == self.unchecked:
            step_score = 1.0
        return step_score if self._supported(step, known) else step_score * self.unsupported

    def check_step(self, step: str, known: set[Fraction]) -> tuple[float, set[Fraction]]:
        """This step's own score and the results it establishes."""
        equations = _EQUATION.findall(step)
        if not equations:
            return self.unchecked, set()
        score, results = 1.0, set()
        for left, right in equations:
            value = evaluate(left)
            if value is None or value != _number(right):
                return self.wrong, results
            operands = {_number(n) for n in _NUMBER.findall(left)}
            if not operands <= known | results:
                score = min(score, self.ungrounded)
            results.add(value)
        return score, results

    @staticmethod
    def _supported(step: str, known: set[Fraction]) -> bool:
        answer = extract_answer(step)
        try:
            return answer is not None and Fraction(answer) in known
        except ValueError:
            return False
