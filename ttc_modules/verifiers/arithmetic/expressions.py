"""Arithmetic expressions as a step writes them: tokens, and their exact value.

Numbers, ``+ - * / ^`` and parentheses, ``x`` as a times sign between numbers, implicit
multiplication (``27(1/3)``, ``2x``), percentages (``20%`` is 1/5), unit words after a number
(``3 apples - 1``, ``5 snakes/jaguar * 6``) and one unknown (a single letter: ``x``, ``3S``). A value is linear in its unknown,
``const + coef * var``, so ``3x + 2 = 11`` can be solved and ``x = 3`` checked later. Parsing is a
small recursive descent over the tokens (``ast.parse`` is not safe to call from several threads on
CPython 3.11, and strategies score concurrently).

Example:
    >>> evaluate("27(1/3) + 20% x 10")
    Fraction(11, 1)
    >>> evaluate("3 apples - 1")
    Fraction(2, 1)
    >>> print(evaluate("3x + 2"))
    None
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from ttc_modules.verifiers.arithmetic.text import plain_arithmetic

NOT_UNKNOWNS = frozenset("aI")  # single letters that are words
MAX_UNIT_WORDS = 6  # "3 cups of coffee per day * 2": words after a number, before the next sign
_TOKEN = re.compile(r"(?P<num>\d+(?:\.\d+)?%?)|(?P<eq>=)|(?P<op>[-+*/^])|(?P<lp>[(\[])|(?P<rp>[)\]])"
                    r"|(?P<word>[A-Za-z][A-Za-z'’]*(?:-[A-Za-z]+)*)|(?P<brk>\S)")


@dataclass(frozen=True)
class Token:
    """One token of a step: ``kind`` is num, eq, op, lp, rp, var, word or brk (anything that ends an expression)."""

    kind: str
    text: str

    @property
    def number(self) -> Fraction:
        """The value of a ``num`` token (``20%`` is 1/5)."""
        if self.text.endswith("%"):
            return Fraction(self.text[:-1]) / 100
        return Fraction(self.text)

    @property
    def decimals(self) -> int:
        """Digits after the point as written: how precisely a ``num`` token states its value."""
        return len(self.text.rstrip("%").partition(".")[2])


class NotLinear(ValueError):
    """The expression is not linear in one unknown (``x * x``, ``x / y``, ``2 ^ x``)."""


@dataclass(frozen=True)
class Linear:
    """``const + coef * var``: the value of an expression in at most one unknown."""

    const: Fraction
    coef: Fraction = Fraction(0)
    var: str | None = None

    @property
    def is_constant(self) -> bool:
        return self.var is None or self.coef == 0

    def _unknown(self, other: Linear) -> str | None:
        if self.var and other.var and self.var != other.var and self.coef and other.coef:
            raise NotLinear("two unknowns")
        return self.var if self.coef else other.var

    def __add__(self, other: Linear) -> Linear:
        return Linear(self.const + other.const, self.coef + other.coef, self._unknown(other))

    def __neg__(self) -> Linear:
        return Linear(-self.const, -self.coef, self.var)

    def __sub__(self, other: Linear) -> Linear:
        return self + -other

    def __mul__(self, other: Linear) -> Linear:
        if not self.is_constant and not other.is_constant:
            raise NotLinear("a product of unknowns")
        constant, other = (self, other) if self.is_constant else (other, self)
        return Linear(constant.const * other.const, constant.const * other.coef, other.var)

    def __truediv__(self, other: Linear) -> Linear:
        if not other.is_constant:
            raise NotLinear("division by an unknown")
        return Linear(self.const / other.const, self.coef / other.const, self.var)

    def __pow__(self, other: Linear) -> Linear:
        if not (self.is_constant and other.is_constant) or other.const.denominator != 1 or abs(other.const) > 64:
            raise NotLinear("a power of an unknown, or a huge one")
        return Linear(self.const ** int(other.const))

    def substitute(self, values: dict[str, Fraction]) -> Linear:
        """The value with known unknowns put in."""
        if self.var in values:
            return Linear(self.const + self.coef * values[self.var])
        return self


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text`` after :func:`plain_arithmetic`; ``x`` between numbers is a times sign."""
    matches = list(_TOKEN.finditer(plain_arithmetic(text)))
    raw = [Token(m.lastgroup, m.group()) for m in matches]
    tokens = []
    for i, token in enumerate(raw):
        following = raw[i + 1] if i + 1 < len(raw) else None
        after_number = i > 0 and raw[i - 1].kind == "num"
        coefficient = after_number and matches[i - 1].end() == matches[i].start()  # "4S", not "20 m"
        if token.kind == "word" and token.text in ("x", "X") and following and following.kind in ("num", "lp"):
            token = Token("op", "*")
        elif token.kind == "word" and _is_unknown(token, following, coefficient, after_number or _unit_letter(raw, i)):
            token = Token("var", token.text)
        tokens.append(token)
    return tokens


def _unit_letter(raw: list[Token], i: int) -> bool:
    """``ml/g``: a letter after a unit and a slash is a unit too."""
    return i >= 2 and raw[i - 1].text == "/" and raw[i - 2].kind == "word"


def _is_unknown(token: Token, following: Token | None, coefficient: bool, unit_place: bool) -> bool:
    """A single letter stands for an unknown (``3S + 2 = 11``) after a coefficient, or when it is neither a word
    ("a", "I", "A dozen", "Let S be") nor a unit ("20 m", "15 ml/g")."""
    if len(token.text) != 1:
        return False
    if coefficient:
        return True
    return not unit_place and token.text not in NOT_UNKNOWNS and (following is None or following.kind != "word")


def evaluate(expression: str) -> Fraction | None:
    """The exact value of ``expression`` (see the module docstring); None if unreadable or not a number."""
    value = parse(tokenize(expression))
    return value.const if value is not None and value.is_constant else None


def parse(tokens: list[Token]) -> Linear | None:
    """The value of ``tokens`` as one expression, unit words dropped; None when they are not one."""
    cleaned = _with_implicit_products(_without_unit_words(tokens))
    if not cleaned:
        return None
    try:
        value, position = _sum(cleaned, 0)
    except (IndexError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return value if position == len(cleaned) else None


def literal(tokens: list[Token]) -> Token | None:
    """The number token when ``tokens`` are a bare number (unit words allowed), else None."""
    cleaned = _without_unit_words(tokens)
    return cleaned[0] if cleaned and len(cleaned) == 1 and cleaned[0].kind == "num" else None


def _without_unit_words(tokens: list[Token]) -> list[Token] | None:
    """``tokens`` without the words that follow a number before a sign; None if other words are left."""
    kept, i = [], 0
    while i < len(tokens):
        if _is_per_unit(tokens, i) and kept and kept[-1].kind in ("num", "rp"):  # "$5400/week * 4"
            i = _unit_end(tokens, i)
            continue
        if tokens[i].kind != "word":
            kept.append(tokens[i])
            i += 1
            continue
        end = _unit_end(tokens, i)
        after_number = bool(kept) and kept[-1].kind in ("num", "rp")
        before_sign = end == len(tokens) or tokens[end].kind in ("op", "rp", "eq")
        if not (after_number and before_sign and end - i <= MAX_UNIT_WORDS):
            return None
        i = end
    return None if any(t.kind == "brk" for t in kept) else kept


def _is_per_unit(tokens: list[Token], i: int) -> bool:
    return tokens[i].text == "/" and i + 1 < len(tokens) and tokens[i + 1].kind == "word"


def _unit_end(tokens: list[Token], i: int) -> int:
    """Where the unit starting at ``i`` ends: words, each run maybe followed by ``/`` and more words."""
    end = i
    while end < len(tokens) and (tokens[end].kind == "word" or _is_per_unit(tokens, end)):
        end += 1 if tokens[end].kind == "word" else 2
    return end


def _with_implicit_products(tokens: list[Token] | None) -> list[Token] | None:
    """``27(1/3)``, ``(2)(3)``, ``2x``: a times sign where two factors touch."""
    if tokens is None:
        return None
    result: list[Token] = []
    for token in tokens:
        before = result[-1].kind if result else None
        if (before in ("num", "rp", "var") and token.kind in ("lp", "var")) or (
                before in ("rp", "var") and token.kind == "num"):
            result.append(Token("op", "*"))
        result.append(token)
    return result


def _sum(tokens: list[Token], i: int) -> tuple[Linear, int]:
    value, i = _product(tokens, i)
    while i < len(tokens) and tokens[i].text in ("+", "-"):
        sign = tokens[i].text
        right, i = _product(tokens, i + 1)
        value = value + right if sign == "+" else value - right
    return value, i


def _product(tokens: list[Token], i: int) -> tuple[Linear, int]:
    value, i = _power(tokens, i)
    while i < len(tokens) and tokens[i].text in ("*", "/"):
        sign = tokens[i].text
        right, i = _power(tokens, i + 1)
        value = value * right if sign == "*" else value / right
    return value, i


def _power(tokens: list[Token], i: int) -> tuple[Linear, int]:
    base, i = _atom(tokens, i)
    if i < len(tokens) and tokens[i].text == "^":
        exponent, i = _power(tokens, i + 1)
        return base ** exponent, i
    return base, i


def _atom(tokens: list[Token], i: int) -> tuple[Linear, int]:
    token = tokens[i]
    if token.kind == "lp":
        value, i = _sum(tokens, i + 1)
        if i >= len(tokens) or tokens[i].kind != "rp":
            raise ValueError("unbalanced parenthesis")
        return value, i + 1
    if token.text in ("-", "+"):
        value, i = _power(tokens, i + 1)
        return (-value if token.text == "-" else value), i
    if token.kind == "num":
        return Linear(token.number), i + 1
    if token.kind == "var":
        return Linear(Fraction(0), Fraction(1), token.text), i + 1
    raise ValueError(f"unexpected {token.text!r}")
