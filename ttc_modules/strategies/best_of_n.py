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

With a ``threshold`` (as ``dspy.BestOfN`` has), samples come ``batch`` at a time (one by default),
each batch scored before the next is drawn, and drawing stops once a candidate's score reaches
the threshold: N is then a cap, and ``spent["generations"]`` says how many were drawn. The choice
is made among the candidates drawn (``naive`` takes the best-scored one: the one that reached the
threshold, or the best of all N when none did).

With ``stop`` (``"beta"`` or ``"window"``: ``ttc_modules/stopping.py``), drawing stops once the vote is
settled: the Beta rule once the leading answer is ahead with probability ``confidence``
(Adaptive-Consistency), the window rule once the last ``window`` answers agree (Early-Stopping
Self-Consistency). Samples come ``batch`` at a time for the Beta rule and a window at a time for
the window rule, each batch one request with ``n`` where the backend takes it; N is the cap. With
``selection="weighted"`` the Beta rule counts each vote by its verifier score. Batches go one after
another, so no request is in flight when the rule decides: nothing is cancelled, nothing reserved
twice. The graph's ``stopped`` attribute says after how many samples and why (None when all N were
drawn without a rule settling). A threshold and a rule may be set together: the first to say stop
ends the drawing.

A rollout of the program that raises, or writes nothing the adapter can read, is a failed candidate.
With ``fail_count`` (as ``dspy.BestOfN`` has), the call raises once more than ``fail_count`` rollouts
have failed, or when every rollout has: what the last one raised, else DSPy's ``AdapterParseError``.

Example:
    >>> from ttc_modules.testing import scripted_lm
    >>> lm = scripted_lm(lambda prompt, seed: "The answer is 7." if seed % 3 else "The answer is 9.")
    >>> BestOfN(n=6, selection="majority", lm=lm)(question="Pick a number.").answer
    '7'
    >>> agreeing = scripted_lm(lambda prompt, seed: "The answer is 7.", name="agreeing")
    >>> settled = BestOfN(n=16, selection="majority", stop="beta", lm=agreeing)(question="Pick a number.")
    >>> settled.answer, settled.spent["generations"], settled.graph.graph["stopped"]
    ('7', 4, 'after 4 of 16 samples: P(the leading answer stays ahead) = 0.969 >= 0.95')
"""

from __future__ import annotations

from typing import Literal

from dspy.utils.exceptions import AdapterParseError
from pydantic import Field, field_validator, model_validator

from ttc_modules.aggregation import Selection
from ttc_modules.graph import Node
from ttc_modules.stopping import StopRule, settled
from ttc_modules.strategies.base import Strategy
from ttc_modules.strategies.config import StrategyConfig
from ttc_modules.strategies.run import Run


class BestOfNConfig(StrategyConfig):
    """Options of :class:`BestOfN`."""

    kind: Literal["best_of_n"] = "best_of_n"
    n: int = Field(8, ge=1)
    selection: Selection = "weighted"
    threshold: float | None = None
    batch: int = Field(1, ge=1)
    fail_count: int | None = Field(None, ge=0)
    stop: StopRule | None = None
    confidence: float = 0.95
    window: int = Field(5, ge=1)

    @field_validator("threshold")
    @classmethod
    def _finite_threshold(cls, threshold: float | None) -> float | None:
        if threshold is not None and threshold != threshold:
            raise ValueError("threshold is NaN; give a number, or leave it out to draw all n")
        return threshold

    @field_validator("confidence")
    @classmethod
    def _probability(cls, confidence: float) -> float:
        if not 0 < confidence < 1:
            raise ValueError("confidence must be strictly between 0 and 1 (Adaptive-Consistency uses 0.95)")
        return confidence

    @model_validator(mode="after")
    def _window_within_cap(self):
        if self.stop == "window" and self.window > self.n:
            raise ValueError(f"window ({self.window}) is larger than the cap n ({self.n}); give a window from 1 to "
                             f"{self.n}, or a larger n")
        return self

    def generations(self) -> int:
        return self.n

    @classmethod
    def for_budget(cls, n: int, **given) -> dict:
        """N samples, majority voting unless a ``selection`` is given.

        Example:
            >>> BestOfNConfig.for_budget(8), BestOfNConfig.for_budget(8, selection="weighted")
            ({'n': 8, 'selection': 'majority'}, {'selection': 'weighted', 'n': 8})
        """
        options = super().for_budget(n, **given)
        options.setdefault("selection", "majority")
        return options

    @classmethod
    def plans_for_budget(cls, n: int) -> list[dict]:
        """Best-of-N with majority and with weighted selection (the paper's search space)."""
        return [{"n": n, "selection": selection} for selection in ("majority", "weighted")]


class BestOfN(Strategy):
    """Best-of-N with naive, majority or weighted selection (see the module docstring)."""

    kind = "best_of_n"
    Config = BestOfNConfig

    @classmethod
    def requires_verifier(cls, config: BestOfNConfig) -> bool:
        return config.selection != "majority" or config.threshold is not None

    def search(self, run: Run) -> int | None:
        nodes = run.solutions()[: self.config.n]
        if self.config.threshold is None and self.config.stop is None:
            nodes += run.sample_solutions(run.reserve_up_to(self.config.n - len(nodes)))
            self.check_failures(run, nodes)
        else:
            nodes = self._until_settled(run, nodes)
        if not nodes:
            run.meter.reserve(generations=1)  # raises: nothing left to spend
        if run.runner is not None:
            run.score(nodes)
        return run.best(nodes, self.config.selection)

    def _until_settled(self, run: Run, nodes: list[int]) -> list[int]:
        """``nodes``, then batches drawn (and scored where a verifier is used) until a score reaches the threshold,
        the stop rule finds the vote settled, or N are drawn; the graph's ``stopped`` says which."""
        size = self.config.window if self.config.stop == "window" else self.config.batch
        run.graph.graph["stopped"] = None
        while not self.reached(run, nodes) and not self.vote_settled(run, nodes) and len(nodes) < self.config.n:
            batch = run.sample_solutions(run.reserve_up_to(min(size, self.config.n - len(nodes))))
            if not batch:
                break
            nodes += batch
            self.check_failures(run, nodes)
        return nodes

    def vote_settled(self, run: Run, nodes: list[int]) -> bool:
        """Whether the stop rule finds the vote over ``nodes`` settled (never without a rule); when it does, the
        graph's ``stopped`` says after how many samples and why."""
        if self.config.stop is None or not nodes:
            return False
        answers = [Node(run.graph, node).answer for node in nodes]
        weights = run.score(nodes) if self.config.selection == "weighted" else [1.0] * len(nodes)
        why = settled(self.config.stop, run.generator.equivalence.groups(answers), weights,
                      confidence=self.config.confidence, window=self.config.window)
        if why is not None:
            run.graph.graph["stopped"] = f"after {len(nodes)} of {self.config.n} samples: {why}"
        return why is not None

    def reached(self, run: Run, nodes: list[int]) -> bool:
        """Whether a candidate among ``nodes`` (a failed one never) scores at or above the threshold (never
        without one)."""
        if self.config.threshold is None:
            return False
        scores = run.score(nodes)
        return any(score >= self.config.threshold for node, score in zip(nodes, scores, strict=True)
                   if not run.generator.failed(Node(run.graph, node)))

    def check_failures(self, run: Run, nodes: list[int]) -> None:
        """With ``fail_count``: raise once more rollouts than that failed (raised, or wrote nothing readable),
        or all N did: what the last one raised, else DSPy's ``AdapterParseError`` for what it wrote."""
        allowed = self.config.fail_count
        failed = [node for node in nodes if run.generator.failed(Node(run.graph, node))]
        if allowed is None or not failed or not (len(failed) > allowed or len(failed) == len(nodes) == self.config.n):
            return
        if run.errors:
            raise run.errors[-1]
        raise AdapterParseError(adapter_name="ChatAdapter", signature=run.generator.fields.signature,
                                lm_response=Node(run.graph, failed[-1]).text,
                                message=f"{len(failed)} of {len(nodes)} rollouts wrote nothing the adapter could read")
