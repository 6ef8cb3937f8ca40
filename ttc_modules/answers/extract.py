"""The final answer of a solution, as written: found, and freed of what only wraps it.

Where it is found, the most explicit first: the last ``\\boxed{...}`` (or ``\\fbox{...}``), the last
``#### ...`` (GSM8K), the last "the answer is ...". Failing those: a text that is itself a bare
answer (``\\frac{21}{2}``, ``x = 3``, ``f(x) = 2x+3``, ``Evelyn``) is its own answer; a computation
(``5 + 3 = 8``) answers with its result; a text with inline math answers with its last math
(``so the area is $12\\pi$``); any other text answers with its last number.

What is taken off (:func:`clean_answer`, also used on references): surrounding ``$...$``, ``\\(...\\)``
and ``\\[...\\]``, a dollar sign (``$``, ``\\$``), trailing punctuation (not ``!``: a factorial),
``\\displaystyle``, English words after a number ("8 apples", "12 dollars an hour"); thousands
separators (comma, thin space, space, ``{,}``) inside numbers; the Unicode minus becomes ``-``.
Kept as written: LaTeX, units (``5\\text{ cm}^2``, ``5 cm``: the equivalence reads them), variables
(``3 x``), leading-dot decimals (``.35``) and every digit.

Example:
    >>> extract_answer("5 + 3 = 8.\\n\\nThe answer is $8$.")
    '8'
    >>> extract_answer("so the answer is .35625."), extract_answer("a total of 118 000 people")
    ('.35625', '118000')
    >>> extract_answer("so $x = \\\\boxed{\\\\frac{21}{2}}$"), extract_answer("\\\\frac{21}{2}"), extract_answer("we get $x^2+1$")
    ('\\\\frac{21}{2}', '\\\\frac{21}{2}', 'x^2+1')
    >>> clean_answer("\\\\$1,000.50 per hour."), clean_answer("−3"), clean_answer("3 x")
    ('1000.50', '-3', '3 x')
"""

from __future__ import annotations

import re

_ANSWER_IS = re.compile(r"answer\s+is\s*(?:(?:therefore|thus|then|so|now|indeed|simply|just|exactly)\b\s*)?:?\s*(.+)",
                        re.IGNORECASE)
_HASHES = re.compile(r"####\s*(.+)")
_DIGIT_GROUP_SEPARATORS = r"(?:,|\{,\}|\\,|\u2009|\u202f|\u00a0| )"
_NUMBER = re.compile(rf"(?<![\w.])-?(?:\d{{1,3}}(?:{_DIGIT_GROUP_SEPARATORS}\d{{3}})+|\d+)?(?:\.\d+)?(?![\w])")
_PLAIN_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)")
# a number (or a simple fraction) followed by English words, at least one of three letters or more
_TRAILING_WORDS = re.compile(r"^(-?(?:\d+\.?\d*|\.\d+)(?:/\d+)?)(\s*%)?\s+(?=.*[A-Za-z]{3})[A-Za-z][A-Za-z\s'/.,-]*$")
_WRAPPERS = ((r"\(", r"\)"), (r"\[", r"\]"), ("$$", "$$"), ("$", "$"))
# what may stand left of "=" in an answer: x, k_1, \theta, f(x), f^{-1}(x)
_SYMBOL = re.compile(r"(?:\\[A-Za-z]+|[A-Za-z])(?:_\{?\w+\}?)?(?:\^\{?-?\d+\}?)?(?:\([^()=]*\))?")
_UNESCAPED_DOLLAR = re.compile(r"(?<!\\)\$")
_INLINE_MATH = re.compile(r"(?<!\\)\$(?!\$)(.+?)(?<!\\)\$")


def extract_answer(text: str | None) -> str | None:
    """The final answer written in ``text`` (see the module docstring), or None when there is none."""
    if not text or not text.strip():
        return None
    for found in _stated(text):
        if answer := clean_answer(found):
            return answer
    if is_bare_answer(text):
        return clean_answer(_first_sentence(text))
    one_line_math = [text] if _is_math_line(text) else []  # e.g. "5 + 3 = 8"
    for candidate in [*one_line_math, *reversed(_INLINE_MATH.findall(text))]:  # then the last inline math
        if _looks_like_math(candidate) and (answer := clean_answer(_result_of(candidate))):
            return answer
    numbers = [n for n in _NUMBER.findall(_unify_minus(text)) if any(c.isdigit() for c in n)]
    return clean_answer(numbers[-1]) if numbers else None


def stating_answer(reasoning: str, answer: str) -> str:
    """A solution that states ``answer`` the way :func:`extract_answer` reads it back: the reasoning,
    then "The answer is ...". (DSPy predictions carry the answer in a field of its own.)"""
    reasoning, answer = str(reasoning or "").strip(), str(answer or "").strip()
    return "\n\n".join(part for part in (reasoning, f"The answer is {answer}." if answer else "") if part)


def has_final_answer(text: str) -> bool:
    """True when ``text`` states a final answer explicitly (boxed, "the answer is", or "####")."""
    return bool(_stated(text))


def stated_answer(text: str) -> str | None:
    """The final answer ``text`` states explicitly (boxed, "####", "the answer is", the most explicit first),
    as written, or None.

    Example:
        >>> stated_answer("So the answer is Paris. Done"), stated_answer("Paris")
        ('Paris', None)
    """
    found = _stated(text)
    return found[0] if found else None


def clean_answer(answer: str) -> str:
    """``answer`` without what only wraps it (see the module docstring); numbers without digit grouping."""
    text = _unify_minus(answer).strip()
    previous = None
    while text != previous:
        previous = text
        text = re.sub(r"[\s.,;:?]+$", "", text) if not text.endswith("\\.") else text
        text = _unwrap(text.strip()).strip()
        text = re.sub(r"^\\displaystyle\s*", "", text)
        text = re.sub(r"^\\?\$\s*(?=[\d.-])", "", text)  # a currency sign: $18 or \$18
        text = _ungroup_digits(text)
        words = _TRAILING_WORDS.match(text)
        text = words.group(1) + ("%" if words.group(2) else "") if words else text
    return text


def is_bare_answer(text: str) -> bool:
    """True for a text that is an answer and nothing else: one line, no sentence (at most one plain word),
    and no computation (``5 + 3 = 8`` answers with its result; ``x = 3`` is an answer)."""
    return _is_math_line(text) and _result_of(text) == _unwrap(text.strip())


def assigned_value(answer: str) -> str:
    """What an answer of the form ``x = 3`` (or ``f(x) = 2x+3``) gives its symbol; any other answer as it is."""
    left, equals, right = answer.partition("=")
    if equals and right.strip() and "=" not in right and _SYMBOL.fullmatch(left.strip()):
        return right.strip()
    return answer


def is_plain_number(text: str) -> bool:
    """True for a number written plainly: ``-3``, ``10.5``, ``.35`` (no grouping, no LaTeX)."""
    return bool(_PLAIN_NUMBER.fullmatch(text))


def _is_math_line(text: str) -> bool:
    """One line of math (or a one-word answer): no sentence, no math inside words ("so $5r^5$")."""
    stripped = text.strip()
    if not stripped or "\n" in stripped or len(stripped) > 200 or _UNESCAPED_DOLLAR.search(_unwrap(stripped)):
        return False
    return _looks_like_math(stripped)


def _looks_like_math(text: str) -> bool:
    """At most one plain word outside LaTeX commands: math, or a one-word answer, not a sentence."""
    outside_latex = re.sub(r"\\[A-Za-z]+(\{[^{}]*\})?", " ", text)
    return len(re.findall(r"[A-Za-z]{2,}", outside_latex)) <= 1


def _result_of(expression: str) -> str:
    """A computation's result (what follows its last ``=``); an assignment (``x = 3``) or anything else as it is."""
    expression = _unwrap(expression.strip())
    left, equals, _ = expression.partition("=")
    if not equals or _SYMBOL.fullmatch(left.strip()):
        return expression
    return expression.rsplit("=", 1)[1]


def _unify_minus(text: str) -> str:
    return text.replace("\u2212", "-")


def _ungroup_digits(text: str) -> str:
    """``1,000`` / ``1 000`` / ``1{,}000`` / ``1\\,000`` as ``1000`` where the groups are thousands."""
    return re.sub(rf"(?<![\d.])\d{{1,3}}(?:{_DIGIT_GROUP_SEPARATORS}\d{{3}})+(?![\d])",
                  lambda m: re.sub(rf"{_DIGIT_GROUP_SEPARATORS}", "", m.group()), text)


def _unwrap(text: str) -> str:
    for left, right in _WRAPPERS:
        if text.startswith(left) and text.endswith(right) and len(text) > len(left) + len(right):
            inner = text[len(left): -len(right)]
            if left != "$" or "$" not in inner:
                return inner
    if len(_UNESCAPED_DOLLAR.findall(text)) == 1:  # "$10.5" or "10.5$": a stray half of a pair
        return _UNESCAPED_DOLLAR.sub("", text)
    return text


def _stated(text: str) -> list[str]:
    """The answers ``text`` states, the most explicit first: the last ``\\boxed{}``, the last "#### ..."
    (GSM8K's mark), the last "the answer is ..." (a sentence may say "the answer is correct")."""
    found = [_last_boxed(text), _last_line_match(_HASHES, text), _last_line_match(_ANSWER_IS, text)]
    return [item for item in found if item is not None]


def _last_boxed(text: str) -> str | None:
    start = max(text.rfind("\\boxed{"), text.rfind("\\fbox{"))
    if start < 0:
        return None
    begin = text.index("{", start) + 1
    depth = 0
    for i in range(begin, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            if depth == 0:
                return text[begin:i]
            depth -= 1
    return None


def _last_line_match(pattern: re.Pattern, text: str) -> str | None:
    """The group of ``pattern``'s last match, up to the end of its sentence."""
    matches = pattern.findall(text)
    if not matches:
        return None
    return _first_sentence(matches[-1].strip())


def _first_sentence(text: str) -> str:
    """``text`` up to the end of its first sentence: a period and a space (after a digit: and a capital)."""
    cut = re.search(r"(?<!\d)\.\s|(?<=\d)\.\s+(?=[A-Z])", text)
    return text[: cut.start()] if cut else text
