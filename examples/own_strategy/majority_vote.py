"""A strategy of your own: majority voting over N whole solutions, written on the run a strategy searches.

In Python, ``register_strategy(MajorityVote)``; for the ``ttc`` commands and ``ttc serve``, name it in the
config: ``strategies: ["examples/own_strategy/majority_vote.py:MajorityVote"]`` (``docs/strategies/your_own.md``).
"""

from typing import Literal

from pydantic import Field

from ttc_modules.strategies import Run, Strategy, StrategyConfig


class MajorityVoteConfig(StrategyConfig):
    """Options of :class:`MajorityVote`: ``n`` solutions (a budget of N generations gives n = N, the default
    of ``StrategyConfig.for_budget``; the planner compares that one plan per budget)."""

    kind: Literal["majority_vote"] = "majority_vote"
    n: int = Field(8, ge=1)

    def generations(self) -> int:
        return self.n


class MajorityVote(Strategy):
    """N whole solutions; the most frequent answer wins (no verifier needed)."""

    kind = "majority_vote"
    Config = MajorityVoteConfig

    @classmethod
    def requires_verifier(cls, config: MajorityVoteConfig) -> bool:
        return False

    def search(self, run: Run) -> int | None:
        return run.best(run.sample_solutions(run.reserve_up_to(self.config.n)), "majority")
