"""The compute-optimal search space per budget N, as in the paper (§3.1, §5-6).

For a budget of N generations: best-of-N with majority and with weighted selection; beam search
with M = sqrt(N) and M = 4 (where they divide N); lookahead k = 1 with N/2 beams; DVTS with
M = 4; particle filtering with N particles; sequential revisions fully sequential and sqrt(N) x sqrt(N). Fully parallel revisions
(N chains of one attempt, weighted selection) are weighted best-of-N itself, so they are not run
twice. Every candidate spends exactly N generations. Users extend it with any registered strategy
config, or narrow it to some kinds (:func:`of_kinds`, as ``ttc calibrate --kinds`` does).

In a planner's cell the budget includes the difficulty probes (:func:`cell_candidates`): best-of-N
takes the probes as its first samples, so it is sized for the whole budget; every other plan is
sized for the generations the probes leave.

Example:
    >>> [plan.label for plan in candidates(4)][:3]
    ['best_of_n(n=4,selection=majority)', 'best_of_n(n=4,selection=weighted)', 'beam_search(beam_width=2,n=4)']
    >>> [plan.label for plan in of_kinds(["beam_search"])(4)]
    ['beam_search(beam_width=2,n=4)', 'beam_search(beam_width=4,n=4)']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from planners.plan import Plan
from ttc_modules.strategies.registry import STRATEGIES, accepted_options

SearchSpace = Callable[[int], list[Plan]]  # budget -> the plans that spend exactly that many generations


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
    if n >= 4:
        plans.append(Plan(kind="particle_filtering", options={"n": n}, budget=n))
    for parallel in sorted({1, max(_divisors_up_to(n, root))} - {n}):  # n x 1 is weighted best-of-N
        plans.append(Plan(kind="revisions", options={"n_parallel": parallel, "n_sequential": n // parallel,
                                                     "selection": "weighted"}, budget=n))
    unique = {plan.label: plan for plan in [*plans, *(extra or [])] if plan.budget in (None, budget)}
    return list(unique.values())


def of_kinds(kinds: Iterable[str], space: SearchSpace = candidates) -> SearchSpace:
    """``space`` narrowed to the plans of some strategy kinds; an unknown kind is named."""
    wanted = set(kinds)
    unknown = sorted(wanted - set(STRATEGIES))
    if unknown:
        raise ValueError(f"unknown strategy kind(s) {', '.join(unknown)}; use some of {', '.join(sorted(STRATEGIES))}")
    return lambda budget: [plan for plan in space(budget) if plan.kind in wanted]


def cell_candidates(space: SearchSpace, budget: int, probes: int, plan_options: dict | None = None) -> list[Plan]:
    """The plans for a cell of ``budget`` generations of which ``probes`` go to the difficulty estimate:
    best-of-N with N = ``budget`` (the probes are its first samples), and every other plan of ``space``
    sized for the generations the probes leave, with ``plan_options`` (e.g. ``max_rounds``) given to the
    plans whose strategy takes them. Every plan is labelled with the cell's budget."""
    left = budget - probes
    sized = [p for p in space(budget) if p.kind == "best_of_n"]
    sized += [p for p in (space(left) if left >= 1 else []) if p.kind != "best_of_n"]
    return [plan.model_copy(update={"options": {**plan.options, **accepted_options(plan.kind, plan_options or {})},
                                    "budget": budget}) for plan in sized]
