"""Accuracy at every budget from one sample bank, and bootstrap confidence intervals.

For a question with N_max banked samples, the accuracy of a parallel strategy at budget k <= N_max
is the mean over random k-subsets (drawn without replacement; exact at k = N_max) of whether the
strategy's selection is correct: ``majority@k``, ``weighted@k`` (sum of verifier scores per
answer), ``naive@k`` (highest score) and ``pass@k`` (any correct: the oracle upper bound).
Confidence intervals come from resampling questions with replacement.

Example:
    >>> samples = [{"answer": "3", "correct": True, "score": 0.9}, {"answer": "4", "correct": False, "score": 0.2}]
    >>> expected_accuracy(samples, 2, "pass"), expected_accuracy(samples, 1, "pass")
    (1.0, 0.5)
    >>> bootstrap_interval([1.0, 0.0, 1.0, 1.0], seed=0)[0] <= 0.75 <= bootstrap_interval([1.0, 0.0, 1.0, 1.0], seed=0)[1]
    True
"""

from __future__ import annotations

import itertools
import math
import random
import statistics

from ttc_modules.aggregation import Grouping, select
from ttc_modules.answers import answer_groups

BANK_SELECTIONS = ("majority", "weighted", "naive", "pass")


def _correct(subset: list[dict], how: str, groups: Grouping) -> float:
    if how == "pass":
        return max(float(s["correct"]) for s in subset)
    index = select([s["answer"] for s in subset], [s["score"] for s in subset], how, groups=groups)
    return 0.0 if index is None else float(subset[index]["correct"])


def _subsets(n: int, k: int, resamples: int, rng: random.Random):
    """Every k-subset when there are few, else ``resamples`` random ones (indices)."""
    if math.comb(n, k) <= resamples:
        return list(itertools.combinations(range(n), k))
    return [rng.sample(range(n), k) for _ in range(resamples)]


def expected_accuracy(samples: list[dict], k: int, how: str, resamples: int = 64, seed: int = 0,
                      groups: Grouping = answer_groups) -> float:
    """The mean correctness of selection ``how`` over k-subsets of ``samples``, answers grouped by ``groups``
    (as math, by default: a program's equivalence for a program of the user's)."""
    if how not in BANK_SELECTIONS:
        raise ValueError(f"unknown selection {how!r}; use one of {', '.join(BANK_SELECTIONS)}")
    if not 1 <= k <= len(samples):
        raise ValueError(f"budget {k} needs 1 to {len(samples)} banked samples; raise n_max or lower the budget")
    subsets = _subsets(len(samples), k, resamples, random.Random(seed))
    return sum(_correct([samples[i] for i in subset], how, groups) for subset in subsets) / len(subsets)


def expected_tokens(entry: dict, k: int) -> float:
    """Tokens at budget k: the prompt once, plus k samples' worth of completion and verifier tokens."""
    per_sample = [s["tokens"] + s.get("verifier_tokens", 0) for s in entry["samples"]]
    return entry["prompt_tokens"] + k * (sum(per_sample) / max(1, len(per_sample)))


def bootstrap_interval(values: list[float], level: float = 0.95, resamples: int = 1000,
                       seed: int = 0) -> tuple[float, float]:
    """A percentile bootstrap interval of the mean of ``values`` (resampling with replacement)."""
    if not values:
        return (math.nan, math.nan)
    rng = random.Random(seed)
    means = sorted(statistics.fmean(rng.choices(values, k=len(values))) for _ in range(resamples))
    low = means[int((1 - level) / 2 * (resamples - 1))]
    high = means[int((1 + level) / 2 * (resamples - 1))]
    return (low, high)
