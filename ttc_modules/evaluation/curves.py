"""Accuracy at every budget from one sample bank, and bootstrap confidence intervals.

For a question with N_max banked samples, the accuracy of a parallel strategy at budget k <= N_max
is the mean over random k-subsets (drawn without replacement; exact at k = N_max) of whether the
strategy's selection is correct: ``majority@k``, ``weighted@k`` (sum of verifier scores per
answer), ``naive@k`` (highest score) and ``pass@k`` (any correct: the oracle upper bound); and
``beta@k`` and ``window@k``, majority voting that stops once the vote is settled (the Beta rule at
0.95, the window rule with a window of 5: ``ttc_modules/stopping.py``) with k the cap: replayed on
samples in the order drawn, as a live run would draw them (:func:`stopping_replay`), and averaged
over random orders of k samples with the samples they drew (:func:`expected_stopping`).
Confidence intervals come from resampling questions with replacement.

Example:
    >>> samples = [{"answer": "3", "correct": True, "score": 0.9}, {"answer": "4", "correct": False, "score": 0.2}]
    >>> expected_accuracy(samples, 2, "pass"), expected_accuracy(samples, 1, "pass")
    (1.0, 0.5)
    >>> stopping_replay([{"answer": "3", "correct": True, "score": 1.0}] * 8, "beta", "majority")
    (4, 1.0)
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
from ttc_modules.stopping import StopRule, settled

BANK_SELECTIONS = ("majority", "weighted", "naive", "pass")
STOPPING_SELECTIONS = ("beta", "window")  # majority votes that stop once settled, replayed from the bank
BANK_STRATEGIES = (*BANK_SELECTIONS, *STOPPING_SELECTIONS)


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


def first_k_accuracy(samples: list[dict], k: int, how: str, groups: Grouping = answer_groups) -> float:
    """Whether selection ``how`` over the first ``k`` samples, in the order drawn, is correct: what a run that
    drew just those k would answer (a probe-then-extend plan's accuracy)."""
    return _correct(samples[:k], how, groups)


def stopping_replay(samples: list[dict], rule: StopRule, how: str, groups: Grouping = answer_groups, *,
                    batch: int = 1, confidence: float = 0.95, window: int = 5) -> tuple[int, float]:
    """Best-of-N with ``stop=rule`` replayed on banked ``samples`` in the order drawn (the bank's size the cap):
    batches of ``batch`` (Beta rule) or ``window`` (window rule), each followed by the rule's check, the votes
    weighted by score when ``how`` is weighted. Returns (samples drawn, whether the selection was correct)."""
    size = window if rule == "window" else batch
    drawn = 0
    while drawn < len(samples):
        drawn = min(len(samples), drawn + size)
        votes = samples[:drawn]
        weights = [s["score"] for s in votes] if how == "weighted" else [1.0] * drawn
        if settled(rule, groups([s["answer"] for s in votes]), weights, confidence=confidence, window=window):
            break
    return drawn, _correct(samples[:drawn], how, groups)


def expected_stopping(samples: list[dict], k: int, rule: str, how: str = "majority", resamples: int = 64,
                      seed: int = 0, groups: Grouping = answer_groups) -> tuple[float, float]:
    """(mean correctness, mean samples drawn) of :func:`stopping_replay` with cap ``k`` over ``resamples`` random
    orders of k of ``samples``."""
    if not 1 <= k <= len(samples):
        raise ValueError(f"budget {k} needs 1 to {len(samples)} banked samples; raise n_max or lower the budget")
    rng = random.Random(seed)
    orders = [rng.sample(range(len(samples)), k) for _ in range(resamples)]
    replays = [stopping_replay([samples[i] for i in order], rule, how, groups) for order in orders]
    return statistics.fmean(correct for _, correct in replays), statistics.fmean(drawn for drawn, _ in replays)


def bank_accuracy(samples: list[dict], k: int, name: str, seed: int = 0,
                  groups: Grouping = answer_groups) -> tuple[float, float]:
    """(accuracy, generations) at budget ``k`` of the bank strategy ``name`` (one of :data:`BANK_STRATEGIES`)."""
    if name in STOPPING_SELECTIONS:
        return expected_stopping(samples, k, name, seed=seed, groups=groups)
    return expected_accuracy(samples, k, name, seed=seed, groups=groups), float(k)


def expected_tokens(entry: dict, k: float) -> float:
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
