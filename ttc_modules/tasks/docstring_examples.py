"""The examples a function's docstring shows, as (call, expected value) pairs of Python expressions.

HumanEval's prompts write their examples in several styles; :func:`docstring_examples` reads the
common ones from the docstring of the function to complete (the last ``def <entry_point>(``):

- doctest: ``>>> f(1)`` then the value on the next line(s) (an empty line: ``None``);
- one line: ``f(1) ==> 2``, ``=> 2``, ``-> 2``, ``➞ 2``, ``== 2``, ``= 2``, ``should return 2``,
  ``returns 2``, ``# => 2`` (a ``*``, ``for`` or ``For example:`` before the call is fine);
- ``Input: a = [1], k = 2`` (or ``Input: [1]``) then ``Output: 3``;
- ``For lst = [1, 2] the output should be 3``.

A pair is kept only when the call is a call of the entry point with literal arguments and the
expected value is a literal (:func:`ast.literal_eval`), so running it can only call the function;
lines that explain a calculation (``f(3) = 1 + 2 = 3``) or use unquoted strings (``f(abc) => 1``)
are left out, and so is ``=`` in a docstring that states the function by equations (``f(n) = f(n - 1)
+ 1``). Nothing but the prompt is read: a task's hidden tests never leak into its examples.

Example:
    >>> prompt = "def inc(x):\\n    '''Add one.\\n    >>> inc(1)\\n    2\\n    inc(-1) ➞ 0\\n    '''\\n"
    >>> docstring_examples(prompt, "inc")
    [('inc(1)', '2'), ('inc(-1)', '0')]
"""

from __future__ import annotations

import ast
import re

SEPARATOR = re.compile(r"(==>|=>|->|➞|→|==|=|should return|returns|return)\s*", re.IGNORECASE)
NOT_EQUALS = re.compile(r"(==>|=>|->|➞|→|==|should return|returns|return)\s*", re.IGNORECASE)
FOR_NAMES = re.compile(r"for\s+(\w+\s*=.+?),?\s+the (?:output|result) should be\s+(.+)", re.IGNORECASE)
DOCSTRING_END = re.compile(r"^\s*(\"\"\"|''')\s*$")


def _literal(node: ast.AST) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _literal_text(text: str) -> str | None:
    """The literal a piece of text holds, written as Python: the text without a trailing '.' or a comment."""
    text = text.strip()
    cuts = [text.rstrip(".,; "), text, *(text[:at].rstrip(".,; ") for at in range(len(text)) if text[at] == "#")]
    for candidate in cuts:
        node = _parsed({"true": "True", "false": "False"}.get(candidate, candidate))
        if node is not None and _literal(node):
            return ast.unparse(node)
    return None


def _parsed(text: str) -> ast.AST | None:
    try:
        return ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def _literal_call(text: str, entry_point: str) -> str | None:
    """``text`` written as Python when it is ``entry_point(...)`` with literal arguments only, else None."""
    node = _parsed(text)
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == entry_point
            and all(_literal(arg) for arg in node.args) and all(_literal(kw.value) for kw in node.keywords)):
        return ast.unparse(node)
    return None


def _pair(call: str, expected: str, entry_point: str) -> tuple[str, str] | None:
    call, value = _literal_call(call.strip(), entry_point), _literal_text(expected)
    return (call, value) if call is not None and value is not None else None


def _positional_call(entry_point: str, arguments: str) -> str | None:
    """``f(a, b)`` from ``a = 1, b = 2`` (or ``1, 2``): the values in the order written."""
    node = _parsed(f"{entry_point}({arguments})")
    if not isinstance(node, ast.Call):
        return None
    values = [*node.args, *(keyword.value for keyword in node.keywords)]
    return f"{entry_point}({', '.join(ast.unparse(value) for value in values)})"


def _doctest_example(lines: list[str], index: int, entry_point: str,
                     separators: re.Pattern) -> list[tuple[str, str]]:
    """``>>> call`` on line ``index``, the value on the lines after it (none: ``None``); or ``>>> call == value``."""
    call = lines[index].strip()[3:]
    values = []
    for line in lines[index + 1:]:
        if not line.strip() or line.strip().startswith(">>>") or DOCSTRING_END.match(line):
            break
        values.append(line.strip())
    pair = _pair(call, " ".join(values) or "None", entry_point)
    pair = pair or (_pair(call, values[0], entry_point) if values else None)  # text runs on under the value
    return [pair] if pair else _inline_examples(call, entry_point, separators)


def _call_end(line: str, start: int) -> int | None:
    """The end of the call that starts at ``start`` (the shortest text from there that parses as a call)."""
    for end in (at + 1 for at in range(start, len(line)) if line[at] == ")"):
        if isinstance(_parsed(line[start:end]), ast.Call):
            return end
    return None


def _inline_examples(line: str, entry_point: str, separators: re.Pattern = SEPARATOR) -> list[tuple[str, str]]:
    """``f(1) ==> 2`` and the like: each call of the entry point on the line, with the value after it."""
    found = []
    for match in re.finditer(rf"(?<![\w.]){re.escape(entry_point)}\(", line):
        end = _call_end(line, match.start())
        separator = separators.match(line[end:].lstrip(" #")) if end else None
        if separator:
            rest = line[end:].lstrip(" #")[separator.end():]
            pair = _pair(line[match.start():end], rest, entry_point)
            found += [pair] if pair else []
    return found


def _input_output_example(lines: list[str], index: int, entry_point: str) -> list[tuple[str, str]]:
    """``Input: a = [1], k = 2`` on line ``index`` and ``Output: 3`` on the next line that has text."""
    given = lines[index].strip()[len("input:"):].strip()
    after = [line.strip() for line in lines[index + 1:] if line.strip()]
    if not given or not after or not after[0].lower().startswith("output:"):
        return []
    call = _positional_call(entry_point, given)
    pair = _pair(call, after[0][len("output:"):], entry_point) if call else None
    return [pair] if pair else []


def _for_names_example(line: str, entry_point: str) -> list[tuple[str, str]]:
    """``For lst = [1, 2] the output should be 3`` (or ``For s = "ab", c = "b", the result should be ...``)."""
    match = FOR_NAMES.search(line)
    call = _positional_call(entry_point, match.group(1)) if match else None
    pair = _pair(call, match.group(2), entry_point) if call else None
    return [pair] if pair else []


def _examples_on(lines: list[str], index: int, entry_point: str,
                 separators: re.Pattern) -> list[tuple[str, str]]:
    stripped = lines[index].strip()
    if stripped.startswith(">>>"):
        return _doctest_example(lines, index, entry_point, separators)
    if stripped.lower().startswith("input:"):
        return _input_output_example(lines, index, entry_point)
    return _inline_examples(stripped, entry_point, separators) or _for_names_example(stripped, entry_point)


def _defined_by_equations(lines: list[str], entry_point: str) -> bool:
    """Whether the docstring states the function by equations (``f(n) = f(n - 1) + 1``): ``=`` is maths there."""
    equation = re.compile(rf"(?<![\w.]){re.escape(entry_point)}\([^()]*\)\s*=(?![=>])")
    return any(_literal_call(match.group(0).rstrip("= \t"), entry_point) is None
               for line in lines for match in equation.finditer(line))


def docstring_examples(prompt: str, entry_point: str) -> list[tuple[str, str]]:
    """The examples in the docstring of ``entry_point`` in ``prompt``: (call, expected value) pairs.

    Args:
        prompt: the function's source so far (its signature and docstring, and what comes before).
        entry_point: the function's name.

    Returns:
        Distinct pairs of Python expressions, in the order written; ``[]`` when there are none.
    """
    start = prompt.rfind(f"def {entry_point}(")
    if start < 0:
        return []
    lines = prompt[start:].splitlines()[1:]
    separators = NOT_EQUALS if _defined_by_equations(lines, entry_point) else SEPARATOR
    found = [pair for index in range(len(lines)) for pair in _examples_on(lines, index, entry_point, separators)]
    return list(dict.fromkeys(found))
