"""The compute-optimal search space per budget N, as in the paper (§3.1, §5-6).

For a budget of N generations: best-of-N with majority and with weighted selection; beam search
with M = sqrt(N) and M = 4 (where they divide N); lookahead k = 1 with N/2 beams; DVTS with
M = 4; sequential revisions fully sequential and sqrt(N) x sqrt(N). Fully parallel revisions
(N chains of one attempt, weighted selection) are weighted best-of-N itself, so they are not run
twice. Every candidate spends exactly N generations. Users extend it with any registered strategy
config.

Example:
    >>> [plan.label for plan in candidates(4)][:3]
    ['best_of_n(n=4,selection=majority)', 'best_of_n(n=4,selection=weighted)', 'beam_search(beam_width=2,n=4)']
"""

from __future__ import annotations

import math

from planners.plan import Plan


def _divisors_up_to(n: int, cap: int) -> list[int]:
    return [d for d in range(1, cap + 1) if n % d == 0]


def candidates(budget: int, extra: list[Plan] | None = None) -> list[Plan]:
    """The strategies that spend exactly ``budget`` generations (duplicates removed, order kept)."""
    n = budget
    plans = [Plan(kind="best_of_n", options={"n": n, "selection": "majority"}, budget=n),
             Plan(kind="best_of_n", options={"n": n, "selection": "weighted"}, budget=n)]
    root = math.isqrt(n)
    for width in sorted({m for m in (root, 4) if 1 < m <= n and n % m == 0}):
        plans.append(Plan(kind="beam_search", options={"n": n, "beam_width": width}, budget=n))
    if n % 2 == 0 and n >= 4 and (n // 2) % 2 == 0:
        plans.append(Plan(kind="lookahead", options={"n": n // 2, "beam_width": 2, "k": 1}, budget=n))
    if n % 4 == 0 and n > 4:
        plans.append(Plan(kind="dvts", options={"n": n, "beam_width": 4}, budget=n))
    for parallel in sorted({1, max(_divisors_up_to(n, root))} - {n}):  # n x 1 is weighted best-of-N
        plans.append(Plan(kind="revisions", options={"n_parallel": parallel, "n_sequential": n // parallel,
                                                     "selection": "weighted"}, budget=n))
    unique = {plan.label: plan for plan in [*plans, *(extra or [])] if plan.budget in (None, budget)}
    return list(unique.values())
