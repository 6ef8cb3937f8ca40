"""Lookahead search(k): beam search whose candidates are scored after a greedy rollout (§5.2).

Each candidate step is extended by up to k more steps at temperature 0 (stopping early when the
rollout finishes), and the candidate takes the PRM score at the end of its rollout. Beam search
is lookahead with k = 0. The rollout steps are recorded in the graph under the candidate with
``op="lookahead"`` but are never extended or chosen themselves. Cost: N x (k + 1) generations.

Example:
    >>> from ttc_modules.testing import scripted_lm
    >>> from ttc_modules.verifiers import ArithmeticChecker
    >>> lm = scripted_lm(lambda prompt, seed: "The answer is 4." if "2 + 2 = 4" in prompt else "2 + 2 = 4.")
    >>> pred = LookaheadSearch(n=4, beam_width=2, k=1, verifier=ArithmeticChecker(), lm=lm)(question="2 + 2?")
    >>> pred.answer, pred.spent["generations"]
    ('4', 8)
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ttc_modules.graph import Node, update_node
from ttc_modules.strategies.beam_search import BeamSearch, BeamSearchConfig
from ttc_modules.strategies.run import Run


class LookaheadConfig(BeamSearchConfig):
    """Options of :class:`LookaheadSearch`."""

    kind: Literal["lookahead"] = "lookahead"  # type: ignore[assignment]
    k: int = Field(2, ge=0)

    def generations_for(self, n: int) -> int:
        return n * (self.k + 1)

    @classmethod
    def for_budget(cls, n: int, **given) -> dict:
        """N // (k + 1) beams of k + 1 generations each, rounded down to a multiple of a given beam width and at
        least one beam width (a budget too small for that is exhausted, or refused where it is checked).

        Example:
            >>> LookaheadConfig.for_budget(16, k=1), LookaheadConfig.for_budget(16, k=2, beam_width=2)
            ({'k': 1, 'n': 8, 'beam_width': 4}, {'k': 2, 'beam_width': 2, 'n': 4})
        """
        width = given.get("beam_width", 1)
        beams = n // (given.get("k", cls.model_fields["k"].default) + 1)
        return super().for_budget(max(width, beams - beams % width), **given)

    @classmethod
    def plans_for_budget(cls, n: int) -> list[dict]:
        """Lookahead k = 1 with N/2 beams of width 2, where that divides evenly (the paper's search space)."""
        return [{"n": n // 2, "beam_width": 2, "k": 1}] if n >= 4 and n % 4 == 0 else []


class LookaheadSearch(BeamSearch):
    """Beam search with k-step greedy rollouts for scoring (see the module docstring)."""

    kind = "lookahead"
    Config = LookaheadConfig

    def score_candidates(self, run: Run, nodes: list[int]) -> None:
        ends = self._rollouts(run, nodes)
        run.score(ends)
        for node, end in zip(nodes, ends, strict=True):
            if end != node:
                update_node(run.graph, node, score=Node(run.graph, end).score)

    def _rollouts(self, run: Run, nodes: list[int]) -> list[int]:
        """Extend each of ``nodes`` greedily by up to k steps, all rollouts' next steps in one round; the last
        node of each rollout."""
        ends = list(nodes)
        for _ in range(self.config.k):
            open_ = [i for i, end in enumerate(ends) if not Node(run.graph, end).terminal]
            if not open_:
                break
            steps = run.extend_round([ends[i] for i in open_], 1, temperature=0.0, op="lookahead")
            for i, (step,) in zip(open_, steps, strict=True):
                ends[i] = step
        return ends
