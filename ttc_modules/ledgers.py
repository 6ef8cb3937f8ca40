"""Ledgers: one budget of generations shared by many calls, held as a mean per call.

A ledger grants each call the generations it may spend before the call starts and takes back what
it did not spend when it ends, so that a mean holds whatever the calls turn out to need:

- :class:`BudgetLedger`: the k-th call may spend at most ``mean x k`` minus what the calls before it
  spent (and what the ones still running hold), so the mean over every prefix of the calls, and
  over all of them, never exceeds ``mean``. What a call leaves unspent (a plan that needed less, a
  vote that settled early) is credit for the ones after it. An evaluation's questions share one.
- :class:`WindowLedger`: the mean over a sliding window of ``window`` requests instead (a server, whose
  requests never end): any ``window`` consecutive requests spend at most ``mean x window``, and
  every request is granted at least ``smallest`` generations. It grants the least, over j = 0 ..
  window - 1, of ``mean x window - (window - 1 - j) x smallest - (the last j requests' spend)``: each
  term keeps room for the requests still to come in some window, so the bound holds for every
  window length by induction, the full window included.

Both are thread-safe (calls may run concurrently: an open grant counts as spent until it is
closed), and a copy (DSPy's ``deepcopy`` of a program, a pickle for a worker) gets its own lock.
Which budget a call *wants* is the caller's business (``planners/mean_budget.py`` allocates it by
difficulty).

Example:
    >>> ledger = BudgetLedger(mean=10)
    >>> first = ledger.open(wanted=4); ledger.close(first, spent=4)
    >>> ledger.open(wanted=16).granted    # 10 x 2 - 4: the first call's savings go to the second
    16
    >>> window = WindowLedger(mean=8, window=4, smallest=4)
    >>> [window.open(wanted=16).granted for _ in range(4)]   # held, not yet spent: the window fills up
    [16, 8, 4, 4]
"""

from __future__ import annotations

import itertools
import math
import threading
from collections import deque
from dataclasses import dataclass, field


def check_mean_budget(mean: float, smallest: int) -> float:
    """``mean``, or one clear line when no question could be served by it."""
    if not mean >= 1:
        raise ValueError(f"mean_budget must be at least 1 generation per question, got {mean}; give a number >= 1")
    if mean < smallest:
        raise ValueError(f"mean_budget {mean} is below the smallest budget the policy is fitted for ({smallest}); give "
                         f"at least {smallest}, or fit the policy with a smaller budget")
    return float(mean)


@dataclass(frozen=True)
class Grant:
    """What one question may spend (``granted`` generations), held from the ledger until it is closed (``slot``:
    where a windowed ledger keeps the amount)."""

    granted: int
    slot: list[int] | None = field(default=None, compare=False)


class _Ledger:
    """What both ledgers share: a lock (a copy gets its own), the count of questions, what they spent."""

    def __init__(self):
        self._lock = threading.Lock()
        self.questions = 0
        self.spent = 0

    def _settled(self, grant: Grant, spent: int) -> None:
        if not 0 <= spent <= grant.granted:
            raise ValueError(f"a question spent {spent} generations of a grant of {grant.granted}")
        self.spent += spent

    def __getstate__(self) -> dict:  # a copy (DSPy's deepcopy of a program, a pickle for a worker) has its own lock
        return {key: value for key, value in self.__dict__.items() if key != "_lock"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def mean_spent(self) -> float:
        """The mean generations per question so far (questions still running count as spending nothing yet)."""
        return self.spent / self.questions if self.questions else 0.0


class BudgetLedger(_Ledger):
    """The mean budget over every prefix of the questions (see the module docstring)."""

    def __init__(self, mean: float):
        super().__init__()
        self.mean = check_mean_budget(mean, 1)
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
        with self._lock:
            self._settled(grant, spent)
            self._held -= grant.granted

    def record(self, spent: int) -> None:
        """Count a question answered before this ledger existed (an evaluation resuming): ``spent`` generations."""
        with self._lock:
            self.questions += 1
            self.spent += spent


class WindowLedger(_Ledger):
    """The mean budget over a sliding window of requests (see the module docstring)."""

    def __init__(self, mean: float, window: int, smallest: int = 1):
        if window < 1:
            raise ValueError(f"mean_budget_window must be at least 1 request, got {window}")
        super().__init__()
        self.mean, self.window, self.smallest = check_mean_budget(mean, smallest), window, smallest
        self._recent: deque[list[int]] = deque(maxlen=window - 1)  # the last requests' spend (or grant, while open)

    def open(self, wanted: int | None = None) -> Grant:
        """A new request's grant: ``wanted`` (None: all it may have), within the window's bound."""
        with self._lock:
            newest_first = [0, *itertools.accumulate(slot[0] for slot in reversed(self._recent))]  # the last j's spend
            room = math.floor(self.mean * self.window + 1e-9)
            bound = min(room - (self.window - 1 - j) * self.smallest - newest_first[min(j, len(newest_first) - 1)]
                        for j in range(self.window))
            granted = bound if wanted is None else min(wanted, bound)
            slot = [granted]
            self._recent.append(slot)
            self.questions += 1
            return Grant(granted, slot)

    def close(self, grant: Grant, spent: int) -> None:
        """Settle ``grant``: ``spent`` generations were used (at most the grant)."""
        with self._lock:
            self._settled(grant, spent)
            grant.slot[0] = spent
