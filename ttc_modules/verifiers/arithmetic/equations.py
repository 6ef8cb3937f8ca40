"""The equations a step writes, found in its prose, and whether their two sides agree.

Every ``=`` of a step is one equation between the longest expression ending just before it and
the longest one starting just after it (no sentence punctuation, no words but units after a
number), so a chain ``4 * 3 = 12 * 2 = 24`` is two equations and ``5 + 3 = 8 and 8 * 2 = 16`` two
more. Sides agree when they are equal, or when the side written as a bare number is the other
rounded to the decimal places it shows (``10/3 = 3.33``), or a percentage of it (``0.2 * 100 = 20%``).

Example:
    >>> [str(e) for e in equations_in("She has 4 * 3 = 12 * 2 = 24 eggs, so 24 - 5 = 19 are left.")]
    ['4 * 3 = 12', '12 * 2 = 24 eggs', '24 - 5 = 19 are left']
    >>> [e.agrees() for e in equations_in("So 10/3 = 3.33 and 7 + 1 = 9.")]
    [True, False]
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ttc_modules.verifiers.arithmetic.expressions import Linear, Token, literal, parse, tokenize


@dataclass(frozen=True)
class Side:
    """One side of an equation: its tokens, its value and, when it is a bare number, that number."""

    tokens: tuple[Token, ...]
    value: Linear

    @property
    def bare(self) -> Token | None:
        return literal(list(self.tokens))

    @property
    def numbers(self) -> list[Fraction]:
        return [token.number for token in self.tokens if token.kind == "num"]

    def __str__(self) -> str:
        return " ".join(token.text for token in self.tokens)


@dataclass(frozen=True)
class Equation:
    """``left = right`` as a step wrote it."""

    left: Side
    right: Side

    def __str__(self) -> str:
        return f"{self.left} = {self.right}"

    @property
    def is_statement(self) -> bool:
        """Two different bare numbers (``2 hours = 120 minutes``): a conversion, not arithmetic to check."""
        left, right = self.left.bare, self.right.bare
        return left is not None and right is not None and left.number != right.number

    def agrees(self, left: Fraction | None = None, right: Fraction | None = None) -> bool:
        """True when the two sides agree (see the module docstring); values given override the sides'."""
        left = self.left.value.const if left is None else left
        right = self.right.value.const if right is None else right
        if left == right:
            return True
        return _rounded(self.right.bare, left, right) or _rounded(self.left.bare, right, left)


_CONTINUING = ("op", "var")  # next to a side, these mean it goes on in a form not readable


def equations_in(step: str) -> list[Equation]:
    """The equations of ``step``, in order (see the module docstring)."""
    tokens = tokenize(step)
    found = []
    for i, token in enumerate(tokens):
        if token.kind != "eq":
            continue
        left, right = _longest_ending(tokens, i), _longest_starting(tokens, i + 1)
        if left is not None and right is not None:
            found.append(_running(Equation(left, right)))
    return found


def _running(equation: Equation) -> Equation:
    """``4 * 3 = 12 * 2 = 24`` is written to mean ``4 * 3 = 12``, then ``12 * 2 = 24``: when the whole
    right side disagrees, its leading number is what the left side was meant to equal."""
    left, right = equation.left, equation.right
    if not (left.value.is_constant and right.value.is_constant) or equation.agrees() or right.bare:
        return equation
    head = _side(list(right.tokens[:1]))
    return Equation(left, head) if head is not None and right.tokens[0].kind == "num" else equation


def _longest_ending(tokens: list[Token], end: int) -> Side | None:
    start = end
    while start > 0 and tokens[start - 1].kind not in ("eq", "brk"):
        start -= 1
    side = next(filter(None, (_side(tokens[s:end]) for s in range(start, end))), None)
    cut = end - len(side.tokens) if side else end
    return side if cut == start or tokens[cut - 1].kind not in _CONTINUING else None  # "p + m = 28" is not "m = 28"


def _longest_starting(tokens: list[Token], start: int) -> Side | None:
    end = start
    while end < len(tokens) and tokens[end].kind not in ("eq", "brk"):
        end += 1
    side = next(filter(None, (_side(tokens[start:e]) for e in range(end, start, -1))), None)
    cut = start + len(side.tokens) if side else start
    return side if cut == end or tokens[cut].kind not in _CONTINUING else None


def _side(tokens: list[Token]) -> Side | None:
    if not tokens or tokens[0].kind == "word" or tokens[0].text in ("*", "/", "^", ")"):
        return None
    value = parse(tokens)
    return Side(tuple(tokens), value) if value is not None else None


def _rounded(written: Token | None, exact: Fraction, shown: Fraction) -> bool:
    """``shown`` (written as the token ``written``) is ``exact`` rounded, or ``exact`` as a percentage."""
    if written is None:
        return False
    if written.text.endswith("%"):
        if exact == shown * 100:
            return True
        exact, shown = exact * 100, shown * 100  # "33.3%" shows hundredths of the value
    return written.decimals > 0 and abs(exact - shown) <= Fraction(1, 10 ** written.decimals)
