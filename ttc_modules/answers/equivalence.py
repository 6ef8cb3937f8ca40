"""When two answers say the same: exact for numbers, by text for words, by math-verify for the rest.

:func:`matches` (is ``target`` a right answer to ``gold``?) is what grading uses; :func:`same_answer`
is its symmetric form (each matches the other), which voting uses; :func:`answer_groups` puts a list
of answers into groups of the same answer, so that ``10.5``, ``$10.5$`` and ``\\frac{21}{2}`` are one
vote. How two cleaned answers are compared:

1. a unit (``5\\text{ cm}^2``, ``5 cm``) is read off each; two different units never match, and an
   answer with a unit matches the bare value (``5\\text{ cm}`` and ``5``);
2. an assignment answers with its value (``x = 3`` and ``3``, ``f(x) = 2x+3`` and ``2x+3``);
3. numbers and fractions of numbers compare exactly (``\\frac{3}{4}`` and ``0.75``; ``\\frac{1}{7}`` is not
   ``0.142857``);
4. words compare as words, whatever their case and wrapping (``\\text{Evelyn}`` and ``Evelyn``;
   ``Amy`` is not ``May``, though as algebra both are a product of the same letters);
5. anything else goes to math-verify in its worker process, timeouts on
   (:mod:`~ttc_modules.answers.math_verify_worker`).

Every comparison is cached, so a vote over many samples asks about each pair of distinct answers once.

Example:
    >>> matches("3", "x = 3"), matches("5", "5r^5"), matches(".35", "0.350"), matches("\\\\frac{1}{7}", "0.142857")
    (True, False, True, False)
    >>> matches("5\\\\text{ cm}", "5\\\\text{ cm}^2"), matches("5", "5\\\\text{ cm}"), matches("Amy", "May")
    (False, True, False)
    >>> answer_groups(["10.5", None, "\\\\frac{21}{2}", "11", "10.50"])
    [0, None, 0, 1, 0]
"""

from __future__ import annotations

import atexit
import functools
import itertools
import re
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from ttc_modules.answers.extract import assigned_value, clean_answer
from ttc_modules.answers.math_verify_worker import MathVerifyWorker, number_print

_WORKER = MathVerifyWorker()
atexit.register(_WORKER.close)

_TEXT_WRAPPER = re.compile(r"\\(?:text|textbf|textit|mathrm|mathbf|mbox|operatorname)\s*\{([^{}]*)\}")
_UNIT = re.compile(
    r"^(?P<value>.*?[\d}])\s*(?:\\[,;:!]|\\ |~)?\s*"
    r"(?P<unit>\\(?:text|mbox|mathrm)\s*\{[^{}]*\}(?:\s*\^\s*\{?\d+\}?)?"
    r"|[A-Za-z]{2,}(?:\s*/\s*[A-Za-z]+|\s+[A-Za-z]{2,})*(?:\s*\^\s*\{?\d+\}?|[²³])?)$")
_MATH_NAMES = {"pi", "sin", "cos", "tan", "cot", "sec", "csc", "log", "ln", "exp", "sqrt", "mod", "pmod", "circ"}
_FRACTION = re.compile(r"(-?)\\[dt]?frac\s*(?:\{([^{}]+)\}\s*\{([^{}]+)\}|(\d)(\d))")


def matches(gold: str, target: str) -> bool:
    """Whether ``target`` answers what ``gold`` says (both as extracted; both are cleaned first)."""
    return _matches(clean_answer(str(gold)), clean_answer(str(target)))


def same_answer(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are the same answer: each matches the other."""
    return matches(a, b) and matches(b, a)


def answer_groups(answers: Sequence[str | None]) -> list[int | None]:
    """For each answer, the index of its group (numbered in order of first appearance); None stays None.

    Groups are the connected sets of :func:`same_answer`, so they do not depend on the order of the
    answers. Only answers whose fingerprints agree are compared (:func:`_fingerprints`): a vote over
    many distinct answers costs one batch of fingerprints, not a check per pair.
    """
    distinct = list(dict.fromkeys(a for a in answers if a is not None))
    prints = _fingerprints(distinct)
    parent = list(range(len(distinct)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i, j in itertools.combinations(range(len(distinct)), 2):
        if (prints[i] is None or prints[j] is None or prints[i] == prints[j]) and root(i) != root(j) \
                and same_answer(distinct[i], distinct[j]):
            parent[root(j)] = root(i)
    numbering = {r: n for n, r in enumerate(dict.fromkeys(root(i) for i in range(len(distinct))))}
    group_of = {answer: numbering[root(i)] for i, answer in enumerate(distinct)}
    return [None if a is None else group_of[a] for a in answers]


def _fingerprints(answers: Sequence[str]) -> list[str | None]:
    """A value each answer takes (None where there is none): two answers that differ in it are not the
    same answer. Numbers and words are fingerprinted here; the rest in one batch by the worker."""
    values = [_comparable(a) for a in answers]
    prints = [_local_print(v) for v in values]
    unknown = [i for i, found in enumerate(prints) if found is None]
    for i, found in zip(unknown, _cached_prints(tuple(values[i] for i in unknown)), strict=True):
        prints[i] = found
    return prints


def _comparable(answer: str) -> str:
    """What is compared of an answer: its value, without a unit, an assignment's right side."""
    return assigned_value(_split_unit(clean_answer(answer))[0])


def _local_print(value: str) -> str | None:
    number = _rational(value)
    if number is not None:
        return number_print(complex(_float(number)))
    words = _words(value)
    return None if words is None else f"words:{words}"


@functools.lru_cache(maxsize=4096)
def _cached_prints(values: tuple[str, ...]) -> tuple[str | None, ...]:
    return tuple(_WORKER.fingerprint(list(values)))


@functools.lru_cache(maxsize=1 << 16)
def _matches(gold: str, target: str) -> bool:
    if not gold or not target:
        return False
    if gold == target:
        return True
    (gold, gold_unit), (target, target_unit) = _split_unit(gold), _split_unit(target)
    if gold_unit and target_unit and gold_unit != target_unit:
        return False
    gold, target = assigned_value(gold), assigned_value(target)
    if gold == target:
        return True
    numbers = _rational(gold), _rational(target)
    if None not in numbers:
        return numbers[0] == numbers[1]
    words = _words(gold), _words(target)
    if any(words):
        return words[0] == words[1]
    return _WORKER.verify(gold, target)


def _split_unit(answer: str) -> tuple[str, str | None]:
    """(value, unit) of an answer such as ``5\\text{ cm}^2`` or ``36 square feet``; (answer, None) without one."""
    found = _UNIT.match(answer)
    if not found or found["unit"].lower() in _MATH_NAMES or _has_letters(found["value"]):
        return answer, None
    unit = _TEXT_WRAPPER.sub(r"\1", found["unit"]).replace("²", "^2").replace("³", "^3")
    return found["value"].strip(), re.sub(r"[\s{}]", "", unit).lower()


def _has_letters(text: str) -> bool:
    """Letters outside LaTeX commands: a variable, not a number like ``2\\sqrt{3}``."""
    return bool(re.search(r"[A-Za-z]", re.sub(r"\\[A-Za-z]+", "", text)))


def _rational(text: str) -> Fraction | None:
    """The exact value of a number or a fraction of numbers (``-3``, ``.5``, ``3/4``, ``\\frac{-3}{4}``), else None."""
    text = text.replace(" ", "")
    text = text[1:-1] if re.fullmatch(r"\{[^{}]*\}", text) else text
    fraction = _FRACTION.fullmatch(text)
    if fraction:
        sign, numerator, denominator = fraction[1], fraction[2] or fraction[4], fraction[3] or fraction[5]
        parts = _rational(numerator), _rational(denominator)
        return None if None in parts or parts[1] == 0 else (-1 if sign else 1) * parts[0] / parts[1]
    numerator, slash, denominator = text.partition("/")
    if slash:
        parts = _rational(numerator), _rational(denominator)
        return None if None in parts or parts[1] == 0 else parts[0] / parts[1]
    # through Decimal: Fraction(str) refuses numbers of more than 4,300 digits
    return Fraction(Decimal(text)) if re.fullmatch(r"-?(?:\d+\.?\d*|\.\d+)", text) else None


def _float(number: Fraction) -> float:
    """``number`` as a float (infinity when it is too large for one)."""
    try:
        return float(number)
    except OverflowError:
        return float("inf") if number > 0 else float("-inf")


def _words(text: str) -> str | None:
    """The words of an answer made of words (``\\text{Evelyn}``, ``even``), lowercased; None for math."""
    plain = _TEXT_WRAPPER.sub(r"\1", text).strip()
    if (not re.fullmatch(r"[A-Za-z][A-Za-z '.,-]*", plain) or not re.search(r"[A-Za-z]{2,}", plain)
            or plain.lower() in _MATH_NAMES):
        return None
    return " ".join(re.findall(r"[a-z]+", plain.lower()))
