"""What the generated tasks share: checking a request, one random stream per level, reading a prediction.

Each level draws from its own ``random.Random`` seeded with a string (``"<task>-<seed>-<level>"``):
string seeds are hashed with SHA-512, not Python's randomised ``hash``, so the same seed gives the
same examples on every machine and run, and asking for more levels leaves the other levels as they were.

Example:
    >>> checked_request(2, (1, 3), valid=range(1, 4), task="coin_flip")
    (1, 3)
    >>> level_rng("coin_flip", seed=0, level=1).random() == level_rng("coin_flip", seed=0, level=1).random()
    True
    >>> as_yes_no(" Yes. "), as_yes_no(False), as_yes_no("maybe")
    ('yes', 'no', None)
    >>> same_yes_no("yes", True), same_yes_no("no", "Yes"), same_yes_no("yes", None)
    (True, False, False)
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Iterable, Mapping
from typing import Any

_STRIPPED = string.whitespace + string.punctuation + "“”‘’"


def checked_request(n: int, levels: Iterable[int], valid: range, task: str) -> tuple[int, ...]:
    """The levels asked for, after checking ``n`` and each level against ``valid``.

    Raises:
        ValueError: ``n`` is not a positive integer, or a level is unknown or repeated.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{task}: n must be a positive integer (examples per level), got n={n!r}")
    levels = tuple(levels)
    span = f"{valid.start}..{valid.stop - 1}"
    for level in levels:
        if isinstance(level, bool) or not isinstance(level, int) or level not in valid:
            raise ValueError(f"{task}: level {level!r} is unknown; pass levels between {span}")
    if not levels or len(set(levels)) != len(levels):
        raise ValueError(f"{task}: levels must be distinct and not empty, got levels={levels!r}; "
                         f"pass e.g. levels=({valid.start},)")
    return levels


def per_level(task: str, n: int, seed: int, levels: Iterable[int], valid: range,
              make: Callable[[int, int, random.Random], Any], inputs: Iterable[str]) -> list:
    """``n`` examples of each level (checked against ``valid``), ``make(level, index, rng)`` each drawing from
    its level's stream, their inputs set to ``inputs``."""
    batch, inputs = [], tuple(inputs)
    for level in checked_request(n, levels, valid, task):
        rng = level_rng(task, seed, level)
        batch += [make(level, i, rng).with_inputs(*inputs) for i in range(n)]
    return batch


def level_rng(task: str, seed: int, level: int) -> random.Random:
    """The random stream of one level of one task: the same on every machine and run."""
    return random.Random(f"{task}-{seed}-{level}")


def prediction_field(prediction: Any, name: str) -> Any:
    """The field ``name`` of a prediction (a ``dspy.Prediction``, a mapping or any object), or None."""
    if isinstance(prediction, Mapping):
        return prediction.get(name)
    try:
        return getattr(prediction, name, None)
    except Exception:  # an odd object whose attribute lookup fails is graded as having no answer
        return None


def as_yes_no(value: Any) -> str | None:
    """``"yes"`` or ``"no"`` from a bool or a string (any case, quotes and punctuation around), else None."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if not isinstance(value, str):
        return None
    word = value.strip(_STRIPPED).lower()
    return word if word in ("yes", "no") else None


def same_yes_no(label: Any, value: Any) -> bool:
    """Whether ``value`` reads as the same yes or no as ``label`` (neither may be unreadable)."""
    expected = as_yes_no(label)
    return expected is not None and as_yes_no(value) == expected
