"""The numbers a text makes known without writing them as numerals.

A word problem states its numbers in words ("three", "twenty-five", "2.5 million"), as multiples
and parts ("twice", "half", "a dozen", "two-thirds", "a quarter"), and through units whose
constants everyone knows (a week has 7 days, an hour 60 minutes, a dollar 100 cents). A step
that uses such a number is grounded in the question, not making it up.

Example:
    >>> sorted(str(n) for n in known_numbers("Half of the twenty-five students walk 3 miles a week."))
    ['0', '1', '1/2', '100', '2', '25', '3', '5', '52', '5280', '7']
"""

from __future__ import annotations

import re
from fractions import Fraction

from ttc_modules.verifiers.arithmetic.expressions import tokenize

ALWAYS_KNOWN = frozenset(map(Fraction, (0, 1, 2, 100)))  # counting on, halving, doubling, percentages

_UNITS = {w: n for n, w in enumerate(("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                                      "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
                                      "seventeen", "eighteen", "nineteen"))}
_TENS = {w: 10 * n for n, w in enumerate(("_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy",
                                          "eighty", "ninety")) if n > 1}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9}
_ORDINALS = {w: n for n, w in enumerate(("_", "_", "half", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
                                          "ninth", "tenth", "eleventh", "twelfth")) if n > 1} | {"quarter": 4, "hundredth": 100}
_MULTIPLES = {"twice": 2, "double": 2, "doubled": 2, "doubles": 2, "pair": 2, "pairs": 2, "couple": 2, "both": 2,
              "triple": 3, "tripled": 3, "triples": 3, "thrice": 3, "quadruple": 4, "quadrupled": 4,
              "dozen": 12, "dozens": 12, "score": 20}
# Constants of the units a text names: "week" -> 7 days, 52 weeks a year... (a word's start; a pattern
# that starts with a backslash is a symbol, matched anywhere)
_CONSTANTS = {
    r"week": (7, 52, 5, 2), r"day|daily": (24, 7, 30, 365), r"hour": (60, 24), r"minute": (60,), r"second": (60,),
    r"year|annual": (12, 52, 365), r"month": (12, 30, 4), r"decade": (10,), r"centur": (100,),
    r"percent": (100,), r"\%": (100,), r"cent|dollar": (100,), r"\$": (100,), r"quarter": (25, 4), r"dime": (10,), r"nickel": (5,),
    r"f[eo][eo]t": (12, 3), r"inch": (12,), r"yard": (3, 36), r"mile": (5280,), r"pound|lb": (16,),
    r"ounce|oz": (16, 8), r"gallon": (4, 128, 16), r"quart(?!er)": (4, 2, 32), r"pint": (2, 16), r"cup": (8, 16),
    r"lit(?:er|re)|millilit|ml\b|kilo|\bkg|gram|\bkm|met(?:er|re)": (1000, 100), r"centimet|cm\b": (100, 10),
    r"millimet|mm\b": (10,), r"\bton": (2000, 1000), r"triangle": (3,), r"square|rectangle": (4,),
    r"pentagon": (5,), r"hexagon": (6,), r"octagon": (8,), r"leg": (2, 4), r"wheel": (2, 3, 4),
    r"hand|eye|ear|shoe|sock|glove": (2,), r"finger|toe": (5, 10),
}
_CONSTANT_PATTERNS = [(re.compile(r"(?i)" + (p if p.startswith("\\") else r"\b(?:" + p + ")")), tuple(map(Fraction, v)))
                      for p, v in _CONSTANTS.items()]
_WORD = re.compile(r"[a-z]+")


def known_numbers(text: str) -> set[Fraction]:
    """Every number ``text`` makes known: numerals, number words, parts and multiples, unit constants."""
    return set(ALWAYS_KNOWN) | numerals(text) | worded_numbers(text) | unit_constants(text)


def numerals(text: str) -> set[Fraction]:
    """The numbers written as numerals, in every reading :func:`stated_numbers` gives."""
    return {value for readings in stated_numbers(text) for value in readings}


def stated_numbers(text: str) -> list[set[Fraction]]:
    """Each numeral of ``text`` with the values it may stand for: ``20%`` and ``20 percent`` are 20 or 1/5
    (and the rest, 80 or 4/5), ``1.5 million`` is 1.5 or 1500000."""
    tokens = tokenize(text)
    found = []
    for token, following in zip(tokens, [*tokens[1:], None], strict=True):
        if token.kind != "num":
            continue
        written, after = Fraction(token.text.rstrip("%")), following.text.lower() if following is not None else ""
        readings = {written, token.number}
        if token.text.endswith("%") or after in ("percent", "per-cent"):  # 25% off: 0.25, and 75% (0.75) to pay
            readings |= {written / 100, 100 - written, 1 - written / 100}
        if after in _SCALES:
            readings.add(written * _SCALES[after])
        found.append(readings)
    return found


def worded_numbers(text: str) -> set[Fraction]:
    """The numbers written in words: "twenty-five", "two hundred", "half", "two-thirds", "a dozen"."""
    words = _WORD.findall(text.lower())
    found: set[Fraction] = set()
    for i, word in enumerate(words):
        if word in _MULTIPLES:
            found.add(Fraction(_MULTIPLES[word]))
        denominator = _ORDINALS.get(word.removesuffix("s") if word != "halves" else "half")
        if denominator:
            numerator = _UNITS.get(words[i - 1], 1) if i else 1
            found |= {Fraction(denominator), Fraction(1, denominator), Fraction(numerator, denominator)}
    return found | set(_spelled_out(words))


def unit_constants(text: str) -> set[Fraction]:
    """The constants of the units ``text`` names (see ``_CONSTANTS``)."""
    return {value for pattern, values in _CONSTANT_PATTERNS if pattern.search(text) for value in values}


def _spelled_out(words: list[str]) -> list[Fraction]:
    """Numbers spelled out in words: each maximal run of number words read as one number."""
    found, total, current, in_number = [], 0, 0, False
    for word in [*words, ""]:
        if word in _UNITS or word in _TENS:
            current += _UNITS.get(word, 0) + _TENS.get(word, 0)
        elif word in _SCALES and in_number:
            scale = _SCALES[word]
            total, current = (total + current * scale, 0) if scale >= 1000 else (total, current * scale)
        elif word == "and" and in_number:
            continue
        else:
            if in_number:
                found.append(Fraction(total + current))
            total, current, in_number = 0, 0, False
            continue
        in_number = True
    return found
