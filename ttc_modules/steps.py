"""Solutions as text: splitting them into steps, extracting the final answer, normalising it.

Answers are found, in order of preference, in ``\\boxed{...}``, after "The answer is", or after
"#### " (GSM8K); failing those, the last number in the text. Numeric answers are normalised so
that ``1,000``, ``1000.0`` and ``$1000`` group together in a vote.

Example:
    >>> extract_answer("3 + 4 = 7\\n\\nThe answer is 7.")
    '7'
    >>> normalize_answer("$1,000.00")
    '1000'
    >>> split_steps("a = 1\\n\\nb = 2\\n")
    ['a = 1', 'b = 2']
"""

from __future__ import annotations

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
    return re.sub(r"\s+", " ", text.replace("\\$", "").replace("$", "")).strip() or None


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
