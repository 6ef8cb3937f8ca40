"""The compute-optimal search space per budget N, as in the paper (§3.1, §5-6).

For a budget of N generations: best-of-N with majority and with weighted selection; beam search
with M = sqrt(N) and M = 4 (where they divide N); lookahead k = 1 with N/2 beams; DVTS with
M = 4; particle filtering with N particles; sequential revisions fully sequential and sqrt(N) x sqrt(N). Fully parallel revisions
(N chains of one attempt, weighted selection) are weighted best-of-N itself, so they are not run
twice. Every plan spends exactly N generations. Each strategy's plans come from its config
(``plans_for_budget``), so a strategy registered by a user joins the space (its config decides its
plans: by default one, its options for the budget); ``extra`` plans extend it, and :func:`of_kinds`
narrows it to some kinds (as ``ttc calibrate --kinds`` does).

In a planner's cell the budget includes the difficulty probes (:func:`cell_plans`): best-of-N
takes the probes as its first samples, so it is sized for the whole budget; every other plan is
sized for the generations the probes leave.

Example:
    >>> [plan.label for plan in plans(4)][:3]
    ['best_of_n(n=4,selection=majority)', 'best_of_n(n=4,selection=weighted)', 'beam_search(beam_width=2,n=4)']
    >>> [plan.label for plan in of_kinds(["beam_search"])(4)]
    ['beam_search(beam_width=2,n=4)', 'beam_search(beam_width=4,n=4)']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from planners.plan import Plan
from ttc_modules.strategies.registry import STRATEGIES, accepted_options

SearchSpace = Callable[[int], list[Plan]]  # budget -> the plans that spend exactly that many generations


def plans(budget: int, extra: list[Plan] | None = None) -> list[Plan]:
    """The strategies that spend exactly ``budget`` generations: each registered strategy's plans, in the
    order the strategies were registered (its config's ``plans_for_budget``), then ``extra`` (duplicates
    removed, order kept)."""
    registered = [Plan(kind=kind, options=options, budget=budget)
                  for kind, strategy in STRATEGIES.items() for options in strategy.Config.plans_for_budget(budget)]
    unique = {plan.label: plan for plan in [*registered, *(extra or [])] if plan.budget in (None, budget)}
    return list(unique.values())


def of_kinds(kinds: Iterable[str], space: SearchSpace = plans) -> SearchSpace:
    """``space`` narrowed to the plans of some strategy kinds; an unknown kind is named."""
    wanted = set(kinds)
    unknown = sorted(wanted - set(STRATEGIES))
    if unknown:
        raise ValueError(f"unknown strategy kind(s) {', '.join(unknown)}; use some of {', '.join(sorted(STRATEGIES))}")
    return lambda budget: [plan for plan in space(budget) if plan.kind in wanted]


def cell_plans(space: SearchSpace, budget: int, probes: int, plan_options: dict | None = None) -> list[Plan]:
    """The plans for a cell of ``budget`` generations of which ``probes`` go to the difficulty estimate:
    best-of-N with N = ``budget`` (the probes are its first samples), and every other plan of ``space``
    sized for the generations the probes leave, with ``plan_options`` (e.g. ``max_rounds``) given to the
    plans whose strategy takes them. Every plan is labelled with the cell's budget."""
    left = budget - probes
    sized = [p for p in space(budget) if p.kind == "best_of_n"]
    sized += [p for p in (space(left) if left >= 1 else []) if p.kind != "best_of_n"]
    return [plan.model_copy(update={"options": {**plan.options, **accepted_options(plan.kind, plan_options or {})},
                                    "budget": budget}) for plan in sized]
