"""Budgets: what a strategy may spend (:class:`Budget`) kept apart from what it spent (:class:`BudgetMeter`).

The meter is asked *before* each spend (:meth:`BudgetMeter.reserve`) and refuses a spend that would
cross a limit, so a limit is never exceeded, not merely noticed afterwards. It counts logical work:
a call answered from the cache still costs the generations and tokens it stands for (DSPy empties
``usage`` on a cache hit, so :mod:`ttc_modules.lm` recovers the usage stored with the response).

Meters nest: a meter made with ``parent=`` (strategies pass the meter active when they start)
is limited by its parent's limits too, and everything it records is recorded in the parent, so
a strategy called inside ``with outer.active():`` is counted and limited by ``outer``.

Units: ``generations`` is the paper's unit (one sampled answer); ``tokens`` counts prompt and
completion tokens of every call, verifier calls included; ``flops`` are estimated as
2 x parameters x tokens (a FLOPs limit needs the model size). Tokens and FLOPs are reserved at a
call's worst case before it is sent and settled to what it really took afterwards; what a refused
call had reserved is given back (:meth:`BudgetMeter.release`), so ``spent`` counts only what was
requested.

Example:
    >>> meter = BudgetMeter(Budget(generations=4))
    >>> meter.reserve(generations=3)
    >>> meter.can_afford(generations=2)
    False
    >>> meter.spent()["generations"]
    3
    >>> inner = BudgetMeter(Budget(generations=10), parent=meter)  # still bound by the outer 4
    >>> inner.remaining("generations"), inner.can_afford(generations=2)
    (1, False)
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ttc_modules.call_context import current, entered

FAILURES = ("unparsed", "program_errors", "verifier_errors")
"""What makes a candidate fail without ending the search: a sample the adapter could not read, a program
rollout that raised, a verifier (or reward) that raised or answered something other than a score."""


class Budget(BaseModel):
    """Limits for one prompt; None means unlimited.

    Attributes:
        generations: sampled answers, the paper's unit (best-of-N with N samples costs N).
        tokens: prompt plus completion tokens over all calls, verifier calls included.
        flops: estimated FLOPs over all calls (2 x parameters x tokens), verifier calls included.
        verifier_calls: calls to a verifier.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    generations: int | None = Field(default=None)
    tokens: int | None = Field(default=None)
    flops: float | None = Field(default=None)
    verifier_calls: int | None = Field(default=None)

    def __init__(self, **limits):
        try:
            super().__init__(**limits)
        except ValidationError as exc:  # one line naming the value and the fix, not pydantic's report
            first = exc.errors()[0]
            raise ValueError(str(first["msg"]).removeprefix("Value error, ") +
                             f" (field '{'.'.join(map(str, first['loc']))}', got {first.get('input')!r})") from None

    @field_validator("generations", "tokens", "flops", "verifier_calls")
    @classmethod
    def _not_negative(cls, value: float | None, info) -> float | None:
        if value is not None and not value >= 0:  # NaN is refused too
            raise ValueError(f"budget {info.field_name} must be >= 0 (None means no limit)")
        return value


def as_budget(value: Budget | int | None) -> Budget | None:
    """A :class:`Budget` from a budget, a number of generations (the paper's unit), or None (no limit).

    Example:
        >>> as_budget(8), as_budget(None)
        (Budget(generations=8, tokens=None, flops=None, verifier_calls=None), None)
    """
    if value is None or isinstance(value, Budget):
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"a budget is a Budget or a number of generations, got {value!r}; "
                         "pass e.g. 16 or Budget(generations=16, tokens=20_000)")
    return Budget(generations=value)


class BudgetExceeded(RuntimeError):
    """A spend was refused because it would cross a limit (nothing was spent)."""

    def __init__(self, limit: str, requested: float, remaining: float, hint: str | None = None):
        self.limit, self.requested, self.remaining = limit, requested, remaining
        super().__init__(f"budget for {limit} exhausted: asked for {requested:,.4g}, {remaining:,.4g} left"
                         + (f"; {hint}" if hint else ""))


_LIMITED = ("generations", "tokens", "flops", "verifier_calls")
_RESERVED = ("tokens", "flops")  # held at a call's worst case, then settled to what it took


class BudgetMeter:
    """Counts what was spent against a :class:`Budget`; thread-safe.

    Token and FLOPs spends are reserved at their worst case before a call (prompt bound plus
    ``n x max_tokens``) and settled to the real usage after it, so concurrent calls cannot
    together cross those limits either. With a ``parent``, every limit of the parent (and of
    its parents) applies here too, and every spend is recorded there as well.
    """

    def __init__(self, budget: Budget | None = None, params: float | None = None,
                 parent: BudgetMeter | None = None):
        self.budget = budget or Budget()
        self.params = params
        self.parent = parent
        self._lock = threading.Lock()
        self._reserved = dict.fromkeys(_RESERVED, 0)
        self.exhausted: str | None = None
        self.counts = dict.fromkeys(
            ("generations", "lm_calls", "prompt_tokens", "completion_tokens", "verifier_calls", "cache_hits",
             *FAILURES), 0)
        self.flops = 0.0
        self.cost = 0.0

    def chain(self) -> list[BudgetMeter]:
        """This meter and its parents, innermost first."""
        meters, meter = [], self
        while meter is not None:
            meters.append(meter)
            meter = meter.parent
        return meters

    # ------------------------------------------------------------------ limits
    def _used(self, limit: str) -> float:
        if limit == "tokens":
            return self.counts["prompt_tokens"] + self.counts["completion_tokens"] + self._reserved["tokens"]
        if limit == "flops":
            return self.flops + self._reserved["flops"]
        return self.counts[limit]

    def _own_remaining(self, limit: str) -> float | None:
        cap = getattr(self.budget, limit)
        return None if cap is None else max(0, cap - self._used(limit))

    def remaining(self, limit: str) -> float | None:
        """What is left of ``limit`` ("generations", "tokens", "flops" or "verifier_calls") here and in
        every parent; None if none of them limits it."""
        lefts = [left for meter in self.chain() if (left := meter._own_remaining(limit)) is not None]
        return min(lefts) if lefts else None

    def lower(self, **limits: float) -> None:
        """Lower this meter's own limits to ``limits`` (a limit is never raised): a call that learns mid-way how
        much it may spend, as a question of a shared mean budget does once its difficulty is known."""
        with self._lock:
            current = self.budget.model_dump()
            lowered = {name: value if current[name] is None else min(current[name], value)
                       for name, value in limits.items()}
            self.budget = self.budget.model_copy(update=lowered)

    def can_afford(self, generations: int = 0, tokens: int = 0, verifier_calls: int = 0, flops: float = 0) -> bool:
        """True when all of these could be spent now without crossing a limit."""
        asked = {"generations": generations, "tokens": tokens, "flops": flops, "verifier_calls": verifier_calls}
        return all(self.remaining(k) is None or asked[k] <= self.remaining(k) for k in _LIMITED)

    def reserve(self, generations: int = 0, tokens: int = 0, verifier_calls: int = 0, flops: float = 0,
                hint: str | None = None) -> None:
        """Spend ``generations`` and ``verifier_calls`` and hold ``tokens`` and ``flops``, or raise
        :class:`BudgetExceeded` (with ``hint`` in its message).

        All or nothing: when any limit would be crossed, nothing is spent.
        """
        asked = {"generations": generations, "tokens": tokens, "flops": flops, "verifier_calls": verifier_calls}
        meters = self.chain()
        with contextlib.ExitStack() as locks:
            for meter in meters:  # always innermost first, so two threads never wait on each other
                locks.enter_context(meter._lock)
            for meter in meters:
                for limit in _LIMITED:
                    left = meter._own_remaining(limit)
                    if left is not None and asked[limit] > left:
                        self.exhausted = meter.exhausted = limit
                        raise BudgetExceeded(limit, asked[limit], left, hint)
            for meter in meters:
                meter.counts["generations"] += generations
                meter.counts["verifier_calls"] += verifier_calls
                meter._reserved["tokens"] += tokens
                meter._reserved["flops"] += flops

    def release(self, generations: int = 0, tokens: int = 0, verifier_calls: int = 0, flops: float = 0) -> None:
        """Give back what was reserved for work that was never requested (here and in every parent)."""
        for meter in self.chain():
            with meter._lock:
                meter.counts["generations"] = max(0, meter.counts["generations"] - generations)
                meter.counts["verifier_calls"] = max(0, meter.counts["verifier_calls"] - verifier_calls)
                meter._reserved["tokens"] = max(0, meter._reserved["tokens"] - tokens)
                meter._reserved["flops"] = max(0, meter._reserved["flops"] - flops)

    # ------------------------------------------------------------------ recording
    def record_call(self, prompt_tokens: int, completion_tokens: int, cache_hit: bool = False,
                    cost: float | None = None, reserved_tokens: int = 0, params: float | None = None,
                    reserved_flops: float = 0) -> None:
        """Record one finished backend call (settling its token and FLOPs reservations), here and in every parent."""
        for meter in self.chain():
            with meter._lock:
                meter._reserved["tokens"] = max(0, meter._reserved["tokens"] - reserved_tokens)
                meter._reserved["flops"] = max(0, meter._reserved["flops"] - reserved_flops)
                meter.counts["lm_calls"] += 1
                meter.counts["cache_hits"] += int(cache_hit)
                meter.counts["prompt_tokens"] += prompt_tokens
                meter.counts["completion_tokens"] += completion_tokens
                size = params if params is not None else meter.params
                if size:
                    meter.flops += 2.0 * size * (prompt_tokens + completion_tokens)
                if cost:
                    meter.cost += cost

    def record_unparsed(self) -> None:
        """Count one sample the adapter could not parse (a failed candidate), here and in every parent."""
        self.record_failure("unparsed")

    def record_failure(self, kind: str) -> None:
        """Count one failed candidate of ``kind`` (one of :data:`FAILURES`), here and in every parent."""
        for meter in self.chain():
            with meter._lock:
                meter.counts[kind] += 1

    def spent(self) -> dict:
        """What was spent, as a JSON-ready dict (``exhausted`` names the limit that ran out, if any)."""
        with self._lock:
            return {**self.counts, "tokens": self.counts["prompt_tokens"] + self.counts["completion_tokens"],
                    "flops": self.flops, "cost": round(self.cost, 8), "exhausted": self.exhausted}

    # ------------------------------------------------------------------ context
    @contextlib.contextmanager
    def active(self) -> Iterator[BudgetMeter]:
        """Make this the meter that LM calls in this context report to (the call context's ``meter``)."""
        with entered(meter=self):
            yield self


def current_meter() -> BudgetMeter | None:
    """The meter LM calls in this context report to, if any (``call_context.current().meter``)."""
    return current().meter
