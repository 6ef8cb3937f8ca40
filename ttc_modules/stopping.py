"""When a vote is settled: the rules that let best-of-N stop sampling before its cap.

Two rules from the literature, each a pure function of the votes drawn so far (answers already
grouped by the program's equivalence, ``None`` for a sample with no readable answer, and one weight
per sample: 1 for a plain vote, the verifier's score for a weighted one). Each returns why the vote
is settled, or None to draw more.

- ``beta`` (Adaptive-Consistency, Aggarwal et al. 2023): with v1 and v2 the votes of the two leading
  answers, the leader's share of their votes has the posterior Beta(v1 + 1, v2 + 1) under a uniform
  prior; stop once the probability that the leader is ahead, P(share > 1/2), reaches
  ``confidence``. Four agreeing votes give 0.969, so at 0.95 a unanimous vote stops after four.
  Weighted, v1 and v2 are sums of scores. Samples without an answer do not vote.
- ``window`` (Early-Stopping Self-Consistency, Li et al. 2024): stop once the last ``window``
  samples all give the same answer; a sample without an answer breaks the agreement. Weights do
  not change whether answers agree (the weighted variant differs in its final choice only).

Example:
    >>> round(leader_ahead(4, 0), 3), round(leader_ahead(6, 1), 3)
    (0.969, 0.965)
    >>> beta_settled([0, 0, 0, 0], [1.0] * 4, confidence=0.95)
    'P(the leading answer stays ahead) = 0.969 >= 0.95'
    >>> beta_settled([0, 1, 0], [1.0] * 3, confidence=0.95) is None
    True
    >>> window_settled([1, 0, 0, 0], window=3)
    'the last 3 answers agree'
    >>> window_settled([0, 0, None], window=3) is None
    True
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Literal

StopRule = Literal["beta", "window"]

_SIMPSON_INTERVALS = 512  # even; the integrand is smooth for a, b >= 1, and this is exact to ~1e-9 below a + b = 1e4


def leader_ahead(leader: float, runner_up: float) -> float:
    """P(p > 1/2) for p ~ Beta(leader + 1, runner_up + 1): the posterior probability that the answer with
    ``leader`` votes is ahead of the one with ``runner_up`` (votes may be fractional: sums of scores)."""
    if leader < 0 or runner_up < 0:
        raise ValueError(f"votes must be >= 0, got {leader} and {runner_up}")
    a, b = leader + 1.0, runner_up + 1.0
    log_norm = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    step = 0.5 / _SIMPSON_INTERVALS

    def density(x: float) -> float:  # on (0, 1/2]: the tail below one half, computed in logs
        return math.exp(log_norm + (a - 1) * math.log(x) + (b - 1) * math.log1p(-x)) if x > 0 else 0.0

    weights = (1 if i in (0, _SIMPSON_INTERVALS) else 4 if i % 2 else 2 for i in range(_SIMPSON_INTERVALS + 1))
    below_half = step / 3 * sum(w * density(i * step) for i, w in enumerate(weights))
    return min(1.0, max(0.0, 1.0 - below_half))


def beta_settled(groups: Sequence[int | None], weights: Sequence[float], confidence: float) -> str | None:
    """Why the vote over ``groups`` (weighted by ``weights``) is settled by the Beta rule, or None."""
    totals: dict[int, float] = defaultdict(float)
    for group, weight in zip(groups, weights, strict=True):
        if group is not None:
            totals[group] += max(0.0, float(weight))
    leading = sorted(totals.values(), reverse=True) + [0.0, 0.0]
    if leading[0] <= 0:
        return None
    ahead = leader_ahead(leading[0], leading[1])
    return f"P(the leading answer stays ahead) = {ahead:.3f} >= {confidence}" if ahead >= confidence else None


def window_settled(groups: Sequence[int | None], window: int) -> str | None:
    """Why the vote over ``groups`` is settled by the window rule (the last ``window`` agree), or None."""
    last = list(groups[-window:])
    if len(last) < window or last[0] is None or any(group != last[0] for group in last):
        return None
    return f"the last {window} answers agree"


def settled(rule: StopRule, groups: Sequence[int | None], weights: Sequence[float], *, confidence: float,
            window: int) -> str | None:
    """Why ``rule`` finds the vote settled, or None (see the module docstring)."""
    if rule == "beta":
        return beta_settled(groups, weights, confidence)
    if rule == "window":
        return window_settled(groups, window)
    raise ValueError(f"unknown stop rule {rule!r}; use one of beta, window")
