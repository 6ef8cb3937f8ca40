"""Sequential revisions with a parallel:sequential ratio (the paper, §6).

``n_parallel`` independent chains each make ``n_sequential`` attempts; every attempt after the
first sees the question and its chain's last ``context`` (4) attempts and writes a new solution.
The budget is ``n_parallel x n_sequential`` generations: sqrt(N) x sqrt(N) is the paper's middle
ratio; easy questions do best fully sequential, hard ones at an interior ratio.

The answer is *selected*, never just the last attempt (about 38% of correct answers turn wrong
on the next revision):

- ``weighted`` (hierarchical, needs a verifier): weighted best-of-N inside each chain, then
  weighted best-of-N across the chain winners;
- ``majority`` (flat): majority vote over all attempts of all chains.

The graph is a set of chains under the root (attempt nodes of kind ``revision``).

Example:
    >>> from ttc_modules.testing import scripted_lm
    >>> lm = scripted_lm(lambda prompt, seed: f"The answer is {prompt.count('Attempt')}.")
    >>> pred = SequentialRevisions(n_parallel=1, n_sequential=3, selection="majority", lm=lm)(question="?")
    >>> sorted(Node(pred.graph, n).answer for n in pred.graph if n)
    ['0', '1', '2']
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field

from ttc_modules.graph import ROOT, Node
from ttc_modules.strategies.base import Strategy
from ttc_modules.strategies.config import StrategyConfig
from ttc_modules.strategies.run import Run


class RevisionsConfig(StrategyConfig):
    """Options of :class:`SequentialRevisions`."""

    kind: Literal["revisions"] = "revisions"
    n_parallel: int = Field(2, ge=1)
    n_sequential: int = Field(4, ge=1)
    context: int = Field(4, ge=0)
    selection: Literal["weighted", "majority"] = "weighted"

    def generations(self) -> int:
        return self.n_parallel * self.n_sequential

    @classmethod
    def for_budget(cls, n: int, **given) -> dict:
        """sqrt(N) x sqrt(N) (:func:`square_chains` chains) unless ``n_parallel`` is given, N // chains revisions
        each, majority voting unless a ``selection`` is given.

        Example:
            >>> RevisionsConfig.for_budget(16)
            {'n_parallel': 4, 'n_sequential': 4, 'selection': 'majority'}
            >>> RevisionsConfig.for_budget(8, n_parallel=1)
            {'n_parallel': 1, 'n_sequential': 8, 'selection': 'majority'}
        """
        options = super().for_budget(n, **given)
        options.setdefault("n_parallel", square_chains(n))
        options.setdefault("n_sequential", max(1, n // options["n_parallel"]))
        options.setdefault("selection", "majority")
        return options

    @classmethod
    def plans_for_budget(cls, n: int) -> list[dict]:
        """Fully sequential and sqrt(N) x sqrt(N), weighted; not N x 1, which is weighted best-of-N itself."""
        return [{"n_parallel": parallel, "n_sequential": n // parallel, "selection": "weighted"}
                for parallel in sorted({1, square_chains(n)} - {n})]


def square_chains(n: int) -> int:
    """The chains of the paper's middle ratio for a budget of ``n``: the largest divisor of ``n`` up to sqrt(n).

    Example:
        >>> square_chains(16), square_chains(12), square_chains(7)
        (4, 3, 1)
    """
    return max(d for d in range(1, math.isqrt(n) + 1) if n % d == 0)


class SequentialRevisions(Strategy):
    """Parallel chains of sequential revisions (see the module docstring)."""

    kind = "revisions"
    Config = RevisionsConfig

    @classmethod
    def requires_verifier(cls, config: RevisionsConfig) -> bool:
        return config.selection == "weighted"

    def search(self, run: Run) -> int | None:
        chains: list[list[int]] = [[] for _ in range(self.config.n_parallel)]
        for _ in range(self.config.n_sequential):
            active = chains[: run.reserve_up_to(len(chains))]
            if not active:
                run.meter.reserve(generations=1)  # raises: the budget is spent
            attempts = run.parallel(lambda chain: self._next_attempt(run, chain), active)
            for chain, node in zip(active, attempts, strict=True):
                chain.append(node)
        return self.select(run, chains)

    def fallback(self, run: Run) -> int | None:
        chains = [self._chain_from(run, child) for child in run.graph.successors(ROOT)
                  if Node(run.graph, child).kind == "revision"]
        return self.select(run, chains)

    def _next_attempt(self, run: Run, chain: list[int]) -> int:
        shown = chain[-self.config.context:] if self.config.context else []
        return run.revise(chain[-1] if chain else ROOT, shown)

    @staticmethod
    def _chain_from(run: Run, first: int) -> list[int]:
        chain = [first]
        while successors := list(run.graph.successors(chain[-1])):
            chain.append(successors[0])
        return chain

    def select(self, run: Run, chains: list[list[int]]) -> int | None:
        """Hierarchical weighted selection, or flat majority over every attempt."""
        if self.config.selection == "majority":
            return run.best([n for chain in chains for n in chain], "majority")
        run.score([n for chain in chains for n in chain])
        winners = [w for w in (run.best(chain, "weighted") for chain in chains) if w is not None]
        return run.best(winners, "weighted")
