"""One budget shared across questions: a mean number of generations per question, spent by difficulty.

Two parts:

- :func:`allocate` chooses, per difficulty bin, the budget a question of that bin gets, so that the
  mean over the training questions stays within ``mean`` and their cross-validated accuracy (the
  planner's ``cv_accuracy`` of each fitted cell) is the largest: easy bins may get less than the
  mean, hard ones more, where that pays out of sample. An exact knapsack over the bins (a dynamic
  programme over the total generations), ties going to the smaller spend.
- a ledger (``ttc_modules/ledgers.py``) holds the mean at run time, whatever the questions turn out to
  be: over every prefix of the calls (:class:`~ttc_modules.ledgers.BudgetLedger`), or over a sliding
  window of requests in a server (:class:`~ttc_modules.ledgers.WindowLedger`).

Example:
    >>> cells = [(1, 4, {"cv_accuracy": 0.9, "n": 10}), (1, 16, {"cv_accuracy": 0.92, "n": 10}),
    ...          (2, 4, {"cv_accuracy": 0.2, "n": 10}), (2, 16, {"cv_accuracy": 0.5, "n": 10})]
    >>> allocate(cells, mean=10)          # the easy bin gives up 12 generations the hard bin uses better
    {1: 4, 2: 16}
"""

from __future__ import annotations

import functools
import math

from ttc_modules.ledgers import check_mean_budget


def allocate(cells: list[tuple[int, int, dict]], mean: float) -> dict[int, int]:
    """Per bin, its budget: the allocation of the fitted ``cells`` (``(bin, budget, report)`` with the report's
    ``cv_accuracy`` and ``n`` questions) with the best total cross-validated accuracy whose mean budget over the
    training questions is at most ``mean`` (see the module docstring). Worked out once per cells and mean in a
    process: a shared-budget program allocates on every call, a server on every request."""
    evidence = tuple((bin_, budget, float(report["cv_accuracy"]), int(report.get("n", 1)))
                     for bin_, budget, report in cells)
    return dict(_allocated(evidence, mean))


@functools.lru_cache(maxsize=64)
def _allocated(evidence: tuple[tuple[int, int, float, int], ...], mean: float) -> tuple[tuple[int, int], ...]:
    options: dict[int, list[tuple[int, float, int]]] = {}
    for bin_, budget, cv_accuracy, questions in evidence:
        options.setdefault(bin_, []).append((budget, cv_accuracy, questions))
    check_mean_budget(mean, min(budget for _, budget, _, _ in evidence))
    questions = sum(choices[0][2] for choices in options.values())
    cap = math.floor(mean * questions)
    best: dict[int, tuple[float, dict[int, int]]] = {0: (0.0, {})}  # generations spent -> (accuracy, allocation)
    for bin_, choices in sorted(options.items()):
        best = _extend(best, bin_, choices, cap)
    if not best:
        smallest = sum(min(budget for budget, _, _ in choices) * choices[0][2] for choices in options.values())
        raise ValueError(f"mean_budget {mean} cannot give every bin its smallest fitted budget (a mean of "
                         f"{smallest / questions:.2f}); give at least that")
    spent = max(best, key=lambda total: (round(best[total][0], 12), -total))
    return tuple(sorted(best[spent][1].items()))


def budget_for_bin(allocation: dict[int, int], bin_: int) -> int:
    """The budget ``allocation`` gives ``bin_``, or the nearest allocated bin's (a bin never seen in fitting, as
    the planner's :meth:`~planners.compute_optimal.ComputeOptimalPlanner.plan` takes the nearest fitted bin)."""
    return allocation[min(allocation, key=lambda fitted: (abs(fitted - bin_), fitted))]


def _extend(best: dict, bin_: int, choices: list[tuple[int, float, int]], cap: int) -> dict:
    """The knapsack's table after deciding ``bin_``: per total spent, the most accurate allocation."""
    extended: dict[int, tuple[float, dict[int, int]]] = {}
    for total, (accuracy, allocation) in best.items():
        for budget, cv_accuracy, questions in choices:
            spent, gained = total + budget * questions, accuracy + cv_accuracy * questions
            if spent <= cap and (spent not in extended or gained > extended[spent][0]):
                extended[spent] = (gained, {**allocation, bin_: budget})
    return extended


