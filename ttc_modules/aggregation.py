"""Choosing one answer from many: majority vote (and, with verifier scores, weighted vote).

Example:
    >>> majority_vote(["7", "7", "8", None])
    '7'
    >>> weighted_vote(["7", "8", "8"], [0.9, 0.2, 0.3])
    '7'
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence


def majority_vote(answers: Sequence[str | None]) -> str | None:
    """The most frequent answer (None answers do not vote); ties go to the answer seen first."""
    return weighted_vote(answers, [1.0] * len(answers))


def weighted_vote(answers: Sequence[str | None], scores: Sequence[float]) -> str | None:
    """The answer with the largest sum of scores; ties go to the answer seen first."""
    if len(answers) != len(scores):
        raise ValueError(f"got {len(answers)} answers but {len(scores)} scores; pass one score per answer")
    totals: dict[str, float] = defaultdict(float)
    for answer, score in zip(answers, scores, strict=True):
        if answer is not None:
            totals[answer] += score
    return max(totals, key=totals.__getitem__) if totals else None
