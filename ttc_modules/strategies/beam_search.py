"""Beam search against a process verifier, as in the paper (§5.2).

With budget N and beam width M:

1. sample N candidate first steps;
2. score each prefix with the PRM;
3. keep the top N/M prefixes;
4. from each kept prefix sample M next steps (N candidates again); repeat 2-4.

Candidates that finish (state a final answer, end where the model ended its text, or reach
``max_depth``) leave the beam; the search stops once N have finished, when none is left, or after
``max_rounds`` (40) rounds, whose kept prefixes are then finished in one generation each (no step
stop), as search-and-learn does. Among equally good prefixes, distinct ones are kept before
repeats of the same text. The finished candidates then go through weighted best-of-N. If none
finished, the best unfinished prefix is answered from. The paper tries M = sqrt(N) and M = 4.
Cost: N generations. N must be divisible by M.

Example:
    >>> from ttc_modules.testing import scripted_lm
    >>> from ttc_modules.verifiers import ArithmeticChecker
    >>> lm = scripted_lm(lambda prompt, seed: "The answer is 4." if "2 + 2 = 4" in prompt else "2 + 2 = 4.")
    >>> pred = BeamSearch(n=4, beam_width=2, verifier=ArithmeticChecker(), lm=lm)(question="What is 2 + 2?")
    >>> pred.answer
    '4'
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from ttc_modules.graph import Node
from ttc_modules.strategies.base import Strategy
from ttc_modules.strategies.config import BOUNDS_SEARCH, StrategyConfig
from ttc_modules.strategies.run import Run


class BeamSearchConfig(StrategyConfig):
    """Options of :class:`BeamSearch`."""

    kind: Literal["beam_search"] = "beam_search"
    n: int = Field(16, ge=1)
    beam_width: int = Field(4, ge=1)
    max_rounds: int = Field(40, ge=1, json_schema_extra=BOUNDS_SEARCH)

    @model_validator(mode="after")
    def _divisible(self):
        if self.n % self.beam_width:
            divisor = max(d for d in range(1, min(self.n, self.beam_width) + 1) if self.n % d == 0)
            raise ValueError(f"n ({self.n}) must be divisible by beam_width ({self.beam_width}); try beam_width="
                             f"{divisor}, or n={self.n - self.n % self.beam_width or self.beam_width}")
        return self

    def generations(self) -> int:
        return self.generations_for(self.n)

    def generations_for(self, n: int) -> int:
        """What a search with ``n`` beams costs, in generations (the one owner of this rule)."""
        return n

    @classmethod
    def for_budget(cls, n: int, **given) -> dict:
        """N beams with M = 4 where it divides N, else the largest divisor of N up to 4, unless given.

        Example:
            >>> BeamSearchConfig.for_budget(8), BeamSearchConfig.for_budget(6)
            ({'n': 8, 'beam_width': 4}, {'n': 6, 'beam_width': 3})
        """
        options = super().for_budget(n, **given)
        options.setdefault("beam_width", next(m for m in (4, 3, 2, 1) if options["n"] % m == 0))
        return options

    @classmethod
    def plans_for_budget(cls, n: int) -> list[dict]:
        """N beams with M = sqrt(N) and with M = 4, where they divide N (the paper's search space)."""
        widths = sorted({m for m in (math.isqrt(n), 4) if 1 < m <= n and n % m == 0})
        return [{"n": n, "beam_width": width} for width in widths]


class BeamSearch(Strategy):
    """Beam search against a process verifier (see the module docstring)."""

    kind = "beam_search"
    Config = BeamSearchConfig
    steps = True

    def search(self, run: Run) -> int | None:
        n, width = self.reserve_beams(run)
        candidates = run.extend(0, n)
        finished: list[int] = []
        for round_ in range(self.config.max_rounds):
            self.score_candidates(run, candidates)
            finished += [c for c in candidates if Node(run.graph, c).terminal]
            live = [c for c in candidates if not Node(run.graph, c).terminal]
            if not live or len(finished) >= n:
                break
            kept = run.top(live, n // width, distinct=True)
            if round_ == self.config.max_rounds - 1:  # the last round finishes the kept prefixes
                finished += self._complete(run, kept)
                break
            candidates = [c for group in run.extend_round(kept, width) for c in group]
        return run.best(finished, "weighted") if finished else None

    def _complete(self, run: Run, prefixes: list[int]) -> list[int]:
        """Finish each prefix in one generation and score the finished solutions."""
        finals = run.parallel(run.complete, prefixes)
        run.score(finals)
        return finals

    def reserve_beams(self, run: Run) -> tuple[int, int]:
        """Reserve the search's generations: N as configured, or the largest multiple of M the budget allows.

        Returns N and M; raises BudgetExceeded when not even M beams fit.
        """
        width = self.config.beam_width
        n = self.config.n
        cost = self.config.generations_for
        while n >= width and run.affordable(cost(n)) < cost(n):
            n -= width
        run.meter.reserve(generations=cost(max(n, width)))  # with n < width this raises: not one beam fits
        return n, width

    def score_candidates(self, run: Run, nodes: list[int]) -> None:
        """Score each candidate by the PRM at its own last step."""
        run.score(nodes)
