"""Choosing one answer from many, and turning per-step verifier scores into one score.

Step aggregation (the paper, §5.1): ``last`` (the default: the process verifier's score at the
final step), ``min``, ``prod`` and ``mean``. Answer selection: ``majority`` vote, ``weighted``
vote (sum of scores per answer), ``naive`` (the single highest score). Votes count answers that
say the same as one: by default as math (``10.5``, ``$10.5$`` and ``\\frac{21}{2}``:
:func:`~ttc_modules.answers.answer_groups`), or by the grouping a program's answer field takes
(``ttc_modules.programs.equivalence``). A tie goes to the answer with the higher summed score, then
to the answer drawn first.

Example:
    >>> aggregate_steps([0.9, 0.4, 0.8], "last"), aggregate_steps([0.9, 0.4, 0.8], "min")
    (0.8, 0.4)
    >>> majority_vote(["7", "7.0", "8", "8", None, "7"])
    '7'
    >>> weighted_vote(["7", "8", "8"], [0.9, 0.2, 0.3])
    '7'
    >>> select(["7", "8"], [0.2, 0.6], "majority")   # one vote each: the higher score breaks the tie
    1
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, Literal

from ttc_modules.answers import answer_groups

StepAggregation = Literal["last", "min", "prod", "mean"]
Selection = Literal["naive", "majority", "weighted"]
Grouping = Callable[[Sequence[Any]], list[int | None]]  # answers -> the number of each one's group (None: no vote)


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


def select(answers: Sequence[Any], scores: Sequence[float], how: Selection,
           groups: Grouping = answer_groups) -> int | None:
    """The index of the chosen candidate: the best-scored one holding the winning answer (the first drawn
    among equals).

    ``naive`` takes the highest score; ``majority`` and ``weighted`` vote on answers first, grouped by
    ``groups``. None when no candidate has an answer.
    """
    if how not in ("naive", "majority", "weighted"):
        raise ValueError(f"unknown selection {how!r}; use one of naive, majority, weighted")
    grouped = groups(answers)
    candidates = [i for i, group in enumerate(grouped) if group is not None]
    if not candidates:
        return None
    if how == "naive":
        return max(candidates, key=lambda i: scores[i])
    winner = _winning_group(grouped, [1.0] * len(answers) if how == "majority" else scores, scores)
    return max((i for i in candidates if grouped[i] == winner), key=lambda i: scores[i])


def majority_vote(answers: Sequence[str | None]) -> str | None:
    """The most frequent answer (None answers do not vote); ties go to the answer seen first."""
    return weighted_vote(answers, [1.0] * len(answers))


def weighted_vote(answers: Sequence[str | None], scores: Sequence[float]) -> str | None:
    """The answer with the largest sum of scores (as first written); ties go to the answer seen first."""
    groups = answer_groups(answers)
    winner = _winning_group(groups, scores, scores)
    return None if winner is None else answers[groups.index(winner)]


def _winning_group(groups: Sequence[int | None], votes: Sequence[float], scores: Sequence[float]) -> int | None:
    """The group with the most ``votes``; a tie goes to the higher summed score, then to the group seen first."""
    if len(groups) != len(votes):
        raise ValueError(f"got {len(groups)} answers but {len(votes)} scores; pass one score per answer")
    totals: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for group, vote, score in zip(groups, votes, scores, strict=True):
        if group is not None:
            totals[group][0] += vote
            totals[group][1] += score
    return max(totals, key=lambda group: tuple(totals[group])) if totals else None
