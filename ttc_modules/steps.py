"""Solutions as text: splitting them into steps, extracting the final answer, normalising it.

Answers are found, in order of preference, in ``\\boxed{...}``, after "The answer is", or after
"#### " (GSM8K); failing those, the last number in the text. Numeric answers are normalised
exactly, so that ``1,000``, ``1000.0`` and ``$1000`` group together in a vote; other answers are
read as LaTeX by math-verify into sympy, so that ``\\frac{1}{2}`` and ``0.5``, or
``\\left( 3, \\frac{\\pi}{2} \\right)`` and ``(3,\\pi/2)``, share one canonical form.

Example:
    >>> extract_answer("3 + 4 = 7\\n\\nThe answer is 7.")
    '7'
    >>> normalize_answer("$1,000.00")
    '1000'
    >>> normalize_answer("\\\\frac{1}{2}") == normalize_answer("0.5")
    True
    >>> split_steps("a = 1\\n\\nb = 2\\n")
    ['a = 1', 'b = 2']
"""

from __future__ import annotations

import logging
import re
from decimal import Decimal, InvalidOperation

_NUMBER = r"-?\$?\d[\d,]*(?:\.\d+)?"
_ANSWER_IS = re.compile(r"answer is[:\s]*\$?\s*([^\n]+?)\s*(?:\.\s*$|\.\s|$)", re.IGNORECASE | re.MULTILINE)
_HASHES = re.compile(r"####\s*([^\n]+)")
_LAST_NUMBER = re.compile(_NUMBER)


def split_steps(solution: str, delimiter: str = "\n\n") -> list[str]:
    """Split a solution into its non-empty steps (blank lines separate steps by default)."""
    return [part.strip() for part in solution.split(delimiter) if part.strip()]


def _boxed(text: str) -> str | None:
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    depth, begin = 0, start + len("\\boxed{")
    for i in range(begin, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            if depth == 0:
                return text[begin:i]
            depth -= 1
    return None


def extract_answer(text: str) -> str | None:
    """The final answer written in ``text``, or None when there is none."""
    for found in (_boxed(text), _last_match(_ANSWER_IS, text), _last_match(_HASHES, text)):
        if found:
            return found.strip()
    numbers = _LAST_NUMBER.findall(text)
    return numbers[-1] if numbers else None


def has_final_answer(text: str) -> bool:
    """True when ``text`` states a final answer explicitly (boxed, "The answer is", or "####")."""
    return bool(_boxed(text) or _last_match(_ANSWER_IS, text) or _last_match(_HASHES, text))


def _last_match(pattern: re.Pattern, text: str) -> str | None:
    matches = pattern.findall(text)
    return matches[-1] if matches else None


def normalize_answer(answer: str | None) -> str | None:
    """A canonical form for voting: plain numbers for numeric answers, tidied text otherwise."""
    if answer is None:
        return None
    text = answer.strip().strip(".").strip()
    number = _as_number(text)
    if number is not None:
        return number
    tidy = re.sub(r"\s+", " ", text.replace("\\$", "").replace("$", "")).strip()
    words = re.findall(r"[A-Za-z]{2,}", re.sub(r"\\[A-Za-z]+", " ", tidy))  # letters outside LaTeX commands
    return (None if words else _latex_canonical(tidy)) or tidy or None


def _latex_canonical(text: str) -> str | None:
    """The sympy form math-verify reads from ``text`` (numbers as exact decimals), or None."""
    try:
        from math_verify import parse
    except ImportError:  # pragma: no cover - math-verify is a dependency
        return None
    logging.getLogger("math_verify").setLevel(logging.ERROR)  # it warns that we run without its signal timeout
    try:
        parsed = parse(f"${text}$", parsing_timeout=None)  # signal-based timeouts fail off the main thread
    except Exception:
        return None
    if not parsed:
        return None
    value = parsed[0]
    if getattr(value, "is_Rational", False):
        return _as_number(_rational_text(value.p, value.q)) or f"{value.p}/{value.q}"
    return str(value)


def _rational_text(numerator: int, denominator: int) -> str:
    """``p/q`` as a decimal string when it terminates, else as ``p/q``."""
    q = denominator
    for factor in (2, 5):
        while q % factor == 0:
            q //= factor
    if q != 1:
        return f"{numerator}/{denominator}"
    return format(Decimal(numerator) / Decimal(denominator), "f")


def _as_number(text: str) -> str | None:
    match = re.fullmatch(r"\\?\$?\s*(-?[\d,]*\.?\d+)\s*(?:[a-zA-Z%]+\.?)?", text)
    if not match:
        return None
    try:
        value = Decimal(match.group(1).replace(",", ""))
    except InvalidOperation:
        return None
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")
