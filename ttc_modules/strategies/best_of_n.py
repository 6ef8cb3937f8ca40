"""Best-of-N: sample N whole solutions, then pick one (the paper, §5.1).

``selection``:

- ``naive``: the single solution with the highest aggregated verifier score;
- ``majority``: the most frequent answer, answers that say the same counted as one (no verifier needed);
- ``weighted``: sum the verifier scores of the solutions per answer (the same grouping); the largest sum
  wins (the paper's "best-of-N weighted").

Cost: N generations. The samples go out in one request where the backend takes ``n`` (the
embedded model decodes them as one batch). The graph is a star: the root and N answer nodes.
Whole solutions already sampled on the run (a planner's difficulty probes) count as the first
samples, keeping their scores: only the rest are drawn and scored.

Example:
    >>> from ttc_modules.testing import scripted_lm
    >>> lm = scripted_lm(lambda prompt, seed: "The answer is 7." if seed % 3 else "The answer is 9.")
    >>> BestOfN(n=6, selection="majority", lm=lm)(question="Pick a number.").answer
    '7'
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ttc_modules.aggregation import Selection
from ttc_modules.strategies.base import Strategy
from ttc_modules.strategies.config import StrategyConfig
from ttc_modules.strategies.run import Run


class BestOfNConfig(StrategyConfig):
    """Options of :class:`BestOfN`."""

    kind: Literal["best_of_n"] = "best_of_n"
    n: int = Field(8, ge=1)
    selection: Selection = "weighted"

    def generations(self) -> int:
        return self.n


class BestOfN(Strategy):
    """Best-of-N with naive, majority or weighted selection (see the module docstring)."""

    kind = "best_of_n"
    Config = BestOfNConfig

    @classmethod
    def requires_verifier(cls, config: BestOfNConfig) -> bool:
        return config.selection != "majority"

    def search(self, run: Run) -> int | None:
        nodes = run.solutions()[: self.config.n]
        nodes += run.sample_solutions(run.reserve_up_to(self.config.n - len(nodes)))
        if not nodes:
            run.meter.reserve(generations=1)  # raises: nothing left to spend
        if run.runner is not None:
            run.score(nodes)
        return run.best(nodes, self.config.selection)
