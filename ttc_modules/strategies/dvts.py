"""Diverse verifier tree search (DVTS), from HF's search-and-learn follow-up to the paper.

The budget N is split into N/M independent subtrees. Each subtree starts from its own M candidate
first steps and, every round, keeps only its best-scored candidate and extends it M times. A
subtree ends when its kept candidate finishes. The N/M finished solutions go through weighted
best-of-N (subtrees still open after ``max_rounds`` are finished in one generation each). Greedy
within a subtree but diverse across them, it beats beam search at large
budgets, where beam search collapses onto a few prefixes. Cost: N generations.

Example:
    >>> from ttc_modules.testing import scripted_lm
    >>> from ttc_modules.verifiers import ArithmeticChecker
    >>> lm = scripted_lm(lambda prompt, seed: "The answer is 4." if "2 + 2 = 4" in prompt else "2 + 2 = 4.")
    >>> DVTS(n=4, beam_width=2, verifier=ArithmeticChecker(), lm=lm)(question="What is 2 + 2?").answer
    '4'
"""

from __future__ import annotations

from typing import Literal

from ttc_modules.graph import ROOT, Node
from ttc_modules.strategies.beam_search import BeamSearch, BeamSearchConfig
from ttc_modules.strategies.run import Run


class DVTSConfig(BeamSearchConfig):
    """Options of :class:`DVTS` (``beam_width`` is M, the expansions per subtree per round)."""

    kind: Literal["dvts"] = "dvts"  # type: ignore[assignment]

    @classmethod
    def plans_for_budget(cls, n: int) -> list[dict]:
        """DVTS with M = 4, for budgets of more than one subtree of 4."""
        return [{"n": n, "beam_width": 4}] if n > 4 and n % 4 == 0 else []


class DVTS(BeamSearch):
    """Diverse verifier tree search (see the module docstring)."""

    kind = "dvts"
    Config = DVTSConfig

    def search(self, run: Run) -> int | None:
        n, width = self.reserve_beams(run)
        heads = [ROOT] * (n // width)
        finished: list[int] = []
        for _ in range(self.config.max_rounds):
            groups = run.extend_round(heads, width)
            run.score([c for group in groups for c in group])
            kept = [run.top(group, 1)[0] for group in groups]
            finished += [k for k in kept if Node(run.graph, k).terminal]
            heads = [k for k in kept if not Node(run.graph, k).terminal]
            if not heads:
                break
        if heads:  # subtrees still open after the last round are finished in one generation each
            finished += self._complete(run, heads)
        return run.best(finished, "weighted") if finished else None
