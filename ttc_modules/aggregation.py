"""Choosing one answer from many, and turning per-step verifier scores into one score.

Step aggregation (the paper, §5.1): ``last`` (the default: the process verifier's score at the
final step), ``min``, ``prod`` and ``mean``. Answer selection: ``majority`` vote, ``weighted``
vote (sum of scores per answer), ``naive`` (the single highest score). Votes count answers that
say the same as one (``10.5``, ``$10.5$`` and ``\\frac{21}{2}``: :func:`~ttc_modules.answers.answer_groups`).

Example:
    >>> aggregate_steps([0.9, 0.4, 0.8], "last"), aggregate_steps([0.9, 0.4, 0.8], "min")
    (0.8, 0.4)
    >>> majority_vote(["7", "7.0", "8", "8", None, "7"])
    '7'
    >>> weighted_vote(["7", "8", "8"], [0.9, 0.2, 0.3])
    '7'
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Literal

from ttc_modules.answers import answer_groups

StepAggregation = Literal["last", "min", "prod", "mean"]
Selection = Literal["naive", "majority", "weighted"]


def aggregate_steps(step_scores: Sequence[float], how: StepAggregation = "last") -> float:
    """One score for a whole solution from its per-step scores (0.0 when there are none)."""
    if not step_scores:
        return 0.0
    if how == "last":
        return float(step_scores[-1])
    if how == "min":
        return float(min(step_scores))
    if how == "prod":
        return float(math.prod(step_scores))
    if how == "mean":
        return float(sum(step_scores) / len(step_scores))
    raise ValueError(f"unknown step aggregation {how!r}; use one of last, min, prod, mean")


def select(answers: Sequence[str | None], scores: Sequence[float], how: Selection) -> int | None:
    """The index of the chosen candidate: the best-scored one holding the winning answer.

    ``naive`` takes the highest score; ``majority`` and ``weighted`` vote on answers first.
    None when no candidate has an answer.
    """
    if how not in ("naive", "majority", "weighted"):
        raise ValueError(f"unknown selection {how!r}; use one of naive, majority, weighted")
    candidates = [i for i, a in enumerate(answers) if a is not None]
    if not candidates:
        return None
    if how == "naive":
        return max(candidates, key=lambda i: scores[i])
    groups = answer_groups(answers)
    winner = _winning_group(groups, [1.0] * len(answers) if how == "majority" else scores)
    return max((i for i in candidates if groups[i] == winner), key=lambda i: scores[i])


def majority_vote(answers: Sequence[str | None]) -> str | None:
    """The most frequent answer (None answers do not vote); ties go to the answer seen first."""
    return weighted_vote(answers, [1.0] * len(answers))


def weighted_vote(answers: Sequence[str | None], scores: Sequence[float]) -> str | None:
    """The answer with the largest sum of scores (as first written); ties go to the answer seen first."""
    groups = answer_groups(answers)
    winner = _winning_group(groups, scores)
    return None if winner is None else answers[groups.index(winner)]


def _winning_group(groups: Sequence[int | None], scores: Sequence[float]) -> int | None:
    if len(groups) != len(scores):
        raise ValueError(f"got {len(groups)} answers but {len(scores)} scores; pass one score per answer")
    totals: dict[int, float] = defaultdict(float)
    for group, score in zip(groups, scores, strict=True):
        if group is not None:
            totals[group] += score
    return max(totals, key=totals.__getitem__) if totals else None
