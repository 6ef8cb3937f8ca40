"""One budget shared across questions: a mean number of generations per question, spent by difficulty.

Two parts:

- :func:`allocate` chooses, per difficulty bin, the budget a question of that bin gets, so that the
  mean over the training questions stays within ``mean`` and their cross-validated accuracy (the
  planner's ``cv_accuracy`` of each fitted cell) is the largest: easy bins may get less than the
  mean, hard ones more, where that pays out of sample. An exact knapsack over the bins (a dynamic
  programme over the total generations), ties going to the smaller spend.
- :class:`BudgetLedger` holds the mean at run time, whatever the questions turn out to be: the k-th
  question may spend at most ``mean x k`` minus what the questions before it spent (and what the
  ones still running hold), so the mean over every prefix of the questions, and over the whole
  run, never exceeds ``mean``. What a question leaves unspent (a plan that needed less, a vote that
  settled early) is credit for the ones after it. Thread-safe: questions may run concurrently.

Example:
    >>> cells = [(1, 4, {"cv_accuracy": 0.9, "n": 10}), (1, 16, {"cv_accuracy": 0.92, "n": 10}),
    ...          (2, 4, {"cv_accuracy": 0.2, "n": 10}), (2, 16, {"cv_accuracy": 0.5, "n": 10})]
    >>> allocate(cells, mean=10)          # the easy bin gives up 12 generations the hard bin uses better
    {1: 4, 2: 16}
    >>> ledger = BudgetLedger(mean=10)
    >>> first = ledger.open(wanted=4); ledger.close(first, spent=4)
    >>> ledger.open(wanted=16).granted    # 10 x 2 - 4: the easy question's savings go to the hard one
    16
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass


def check_mean_budget(mean: float, smallest: int) -> float:
    """``mean``, or one clear line when no question could be served by it."""
    if not mean >= 1:
        raise ValueError(f"mean_budget must be at least 1 generation per question, got {mean}; give a number >= 1")
    if mean < smallest:
        raise ValueError(f"mean_budget {mean} is below the smallest budget the policy is fitted for ({smallest}); give "
                         f"at least {smallest}, or fit the policy with a smaller budget")
    return float(mean)


def allocate(cells: list[tuple[int, int, dict]], mean: float) -> dict[int, int]:
    """Per bin, its budget: the allocation of the fitted ``cells`` (``(bin, budget, report)`` with the report's
    ``cv_accuracy`` and ``n`` questions) with the best total cross-validated accuracy whose mean budget over the
    training questions is at most ``mean`` (see the module docstring)."""
    options: dict[int, list[tuple[int, float, int]]] = {}
    for bin_, budget, report in cells:
        options.setdefault(bin_, []).append((budget, float(report["cv_accuracy"]), int(report.get("n", 1))))
    check_mean_budget(mean, min(budget for _, budget, _ in cells))
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
    return best[spent][1]


def _extend(best: dict, bin_: int, choices: list[tuple[int, float, int]], cap: int) -> dict:
    """The knapsack's table after deciding ``bin_``: per total spent, the most accurate allocation."""
    extended: dict[int, tuple[float, dict[int, int]]] = {}
    for total, (accuracy, allocation) in best.items():
        for budget, cv_accuracy, questions in choices:
            spent, gained = total + budget * questions, accuracy + cv_accuracy * questions
            if spent <= cap and (spent not in extended or gained > extended[spent][0]):
                extended[spent] = (gained, {**allocation, bin_: budget})
    return extended


@dataclass(frozen=True)
class Grant:
    """What one question may spend (``granted`` generations), held from the ledger until it is closed."""

    granted: int


class BudgetLedger:
    """The mean budget at run time (see the module docstring)."""

    def __init__(self, mean: float):
        self.mean = check_mean_budget(mean, 1)
        self._lock = threading.Lock()
        self.questions = 0
        self.spent = 0
        self._held = 0

    def open(self, wanted: int | None = None) -> Grant:
        """A new question's grant: ``wanted`` (None: all the credit), at most the credit it has (never below 1)."""
        with self._lock:
            self.questions += 1
            credit = math.floor(self.mean * self.questions + 1e-9) - self.spent - self._held
            granted = credit if wanted is None else min(wanted, credit)
            self._held += granted
            return Grant(granted)

    def close(self, grant: Grant, spent: int) -> None:
        """Settle ``grant``: ``spent`` generations were used (at most the grant), the rest is credit again."""
        if not 0 <= spent <= grant.granted:
            raise ValueError(f"a question spent {spent} generations of a grant of {grant.granted}")
        with self._lock:
            self._held -= grant.granted
            self.spent += spent

    def record(self, spent: int) -> None:
        """Count a question answered before this ledger existed (an evaluation resuming): ``spent`` generations."""
        with self._lock:
            self.questions += 1
            self.spent += spent

    def __getstate__(self) -> dict:  # a copy (DSPy's deepcopy of a program, a pickle for a worker) has its own lock
        return {key: value for key, value in self.__dict__.items() if key != "_lock"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def mean_spent(self) -> float:
        """The mean generations per question so far (questions still running count as spending nothing yet)."""
        return self.spent / self.questions if self.questions else 0.0
