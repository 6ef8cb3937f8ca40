"""When two values of the answer field are the same answer: the rule votes group candidates by.

Chosen by the field's type (:func:`equivalence_for`), or given:

- ``math``: numbers and math through the grading equivalence (``10.5``, ``$10.5$`` and
  ``\\frac{21}{2}`` are one answer; math-verify for the rest): the default for ``int`` and ``float``
  fields and for the math word-problem program;
- ``value``: equal values (``Literal``, enums, ``bool``), an enum by its value;
- ``text``: DSPy's ``normalize_text`` of the answer a short value states (``The answer is Paris.``,
  ``Final answer: Paris``, ``\\boxed{Paris}``), else of the whole value (code is compared whole) (case, punctuation, articles
  and spacing do not count: ``Paris``, ``**Paris**`` and ``Paris!`` are one answer; ``1984 by George
  Orwell`` is not ``1984``): the default for other strings;
- ``json``: equal JSON (lists, dicts, pydantic models);
- a function ``normalize(value) -> key`` (``normalize=``), or ``equivalent(a, b) -> bool``
  (``equivalent=``), whose answers are grouped as connected sets.

A missing value (None, an empty string, or text the adapter could not read) never votes.

Example:
    >>> text = equivalence_for(str)
    >>> text.name, text.groups(["Paris", "paris.", "**Paris**", "Lyon", None, "The capital is Paris"])
    ('text', [0, 0, 0, 1, None, 2])
    >>> text.groups(["The answer is Paris.", "Final answer: paris", "Paris"])
    [0, 0, 0]
    >>> equivalence_for(int).groups([3, "3.0", 4])
    [0, 0, 1]
    >>> Equivalence("mine", equivalent=lambda a, b: a[0] == b[0]).groups(["apple", "avocado", "banana"])
    [0, 0, 1]
"""

from __future__ import annotations

import enum
import json
import re
import typing
from collections.abc import Callable, Sequence
from typing import Any

from dspy.evaluate.metrics import normalize_text

from ttc_modules.answers import answer_groups, stated_answer

NAMED = ("math", "value", "text", "json")


def _value_key(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _json_key(value: Any) -> str:
    dumped = value.model_dump(mode="json") if hasattr(value, "model_dump") else value
    return json.dumps(dumped, sort_keys=True, default=str)


_FINAL_ANSWER = re.compile(r"(?:^|\n)\W*final answer\W*:?\s*(.+?)\s*$", re.IGNORECASE | re.DOTALL)


def _text_key(value: Any) -> str:
    """The normalised answer a short text states ("the answer is ...", "final answer: ..."), else the whole
    text's (a longer or indented text, such as code, is compared whole)."""
    text = str(value)
    lines = text.strip().splitlines()
    if len(lines) > 3 or any(line[:1].isspace() for line in lines):
        return normalize_text(text)
    final = _FINAL_ANSWER.search(text)
    return normalize_text(stated_answer(text) or (final.group(1) if final else text))


_KEYS: dict[str, Callable[[Any], Any]] = {"value": _value_key, "text": _text_key, "json": _json_key}


class Equivalence:
    """A rule for when two answers are the same (see the module docstring).

    Args:
        name: ``math``, ``value``, ``text`` or ``json``, or a name for a rule of your own.
        normalize: ``value -> key``: answers with equal keys are one answer.
        equivalent: ``(a, b) -> bool``: answers connected by it are one answer.
    """

    def __init__(self, name: str, normalize: Callable[[Any], Any] | None = None,
                 equivalent: Callable[[Any, Any], bool] | None = None):
        if name not in NAMED and normalize is None and equivalent is None:
            raise ValueError(f"unknown equivalence {name!r}; use one of {', '.join(NAMED)}, or pass normalize= "
                             "or equivalent= functions")
        self.name, self.normalize, self.equivalent = name, normalize or _KEYS.get(name), equivalent

    def groups(self, values: Sequence[Any]) -> list[int | None]:
        """For each value, the number of its group (numbered in order of first appearance); None does not vote."""
        present = [None if is_missing(v) else v for v in values]
        if self.name == "math" and self.normalize is None and self.equivalent is None:
            return answer_groups([None if v is None else str(v) for v in present])
        if self.equivalent is not None:
            return _connected(present, self._named(self.equivalent, "equivalent"))
        normalize = self._named(self.normalize, "normalize")
        keys = [None if v is None else _hashable(normalize(v)) for v in present]
        numbering = {key: i for i, key in enumerate(dict.fromkeys(k for k in keys if k is not None))}
        return [None if key is None else numbering[key] for key in keys]

    def _named(self, function: Callable, role: str) -> Callable:
        """``function``, with what it raises turned into one line naming it, the value and the fix."""
        def called(*values):
            try:
                return function(*values)
            except Exception as error:
                shown = ", ".join(repr(v)[:60] for v in values)
                raise ValueError(f"the {role}= function {getattr(function, '__name__', function)!r} raised "
                                 f"{type(error).__name__}: {error} on {shown}; make it take any value of the "
                                 "answer field") from None
        return called

    def __repr__(self) -> str:
        return f"Equivalence({self.name!r})"


def is_missing(value: Any) -> bool:
    """True for a value that cannot vote: None, or a string with nothing in it."""
    return value is None or (isinstance(value, str) and not value.strip())


def _hashable(key: Any) -> Any:
    try:
        hash(key)
        return key
    except TypeError:
        return _json_key(key)


def _connected(values: Sequence[Any], equivalent: Callable[[Any, Any], bool]) -> list[int | None]:
    """Groups as the connected sets of ``equivalent`` over the values present."""
    group_of: list[int | None] = []
    representatives: list[list[Any]] = []
    for value in values:
        if value is None:
            group_of.append(None)
            continue
        joined = [i for i, members in enumerate(representatives) if any(equivalent(m, value) for m in members)]
        if not joined:
            representatives.append([value])
            group_of.append(len(representatives) - 1)
            continue
        keep = joined[0]
        for other in joined[1:]:  # the value links groups: merge them into the first
            representatives[keep] += representatives[other]
            representatives[other] = []
            group_of = [keep if g == other else g for g in group_of]
        representatives[keep].append(value)
        group_of.append(keep)
    numbering = {g: i for i, g in enumerate(dict.fromkeys(g for g in group_of if g is not None))}
    return [None if g is None else numbering[g] for g in group_of]


def equivalence_for(annotation: Any, given: str | Equivalence | Callable | None = None,
                    normalize: Callable[[Any], Any] | None = None) -> Equivalence:
    """The equivalence of a field of type ``annotation``, unless one is ``given`` (a name, an
    :class:`Equivalence`, or an ``equivalent(a, b)`` function) or a ``normalize`` function is."""
    if isinstance(given, Equivalence):
        return given
    if normalize is not None and given is not None:
        raise ValueError("pass normalize= or equivalent=, not both: a normalize function decides alone")
    if normalize is not None:
        return Equivalence(getattr(normalize, "__name__", "normalize"), normalize=normalize)
    if callable(given):
        return Equivalence(getattr(given, "__name__", "equivalent"), equivalent=given)
    if given is not None:
        return Equivalence(given)
    return Equivalence(_name_for(annotation))


def _name_for(annotation: Any) -> str:
    if annotation in (int, float):
        return "math"
    if annotation is bool or typing.get_origin(annotation) is typing.Literal:
        return "value"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "value"
    if annotation in (str, None) or annotation is Any:
        return "text"
    return "json"
