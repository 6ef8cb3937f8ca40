"""Particle filtering against a process verifier (Puri et al., 2025, "A Probabilistic Inference
Approach to Inference-Time Scaling of LLMs using Particle-Based Monte Carlo Methods").

Beam search keeps the N/M best prefixes, so a verifier that is wrong about one step prunes the
right path for good. Particle filtering treats the verifier's scores as noisy likelihoods instead:

1. N particles (partial solutions) each take one step;
2. each is weighted by its process score, as a logit (``log(s / (1 - s))``); a finished particle
   keeps its last weight;
3. N particles are drawn with replacement, in proportion to the softmax of the weights, so strong
   prefixes are copied and weak ones mostly die out, though not always;
4. the unfinished ones step again; repeat until every particle has finished or after
   ``max_rounds`` rounds, whose open particles are then finished in one generation each.

Particles drawn on the same prefix extend it in one request of that many samples. The answer is
weighted best-of-N over the final particles, a copy counting as often as it was drawn (``naive``
takes the best single one, as its_hub's argmax does). Cost: N generations. The resampling draws
come from a generator seeded by the strategy's seed, so a rerun asks for the same requests.

Example:
    >>> from ttc_modules.testing import StepScript, scripted_lm, v_score
    >>> pred = ParticleFiltering(n=4, verifier=v_score, lm=scripted_lm(StepScript(length=2)))(question="Q?")
    >>> pred.answer is not None, pred.spent["generations"]
    (True, 4)
"""

from __future__ import annotations

import math
import random
from collections import Counter
from typing import Literal

from pydantic import Field

from ttc_modules.aggregation import Selection
from ttc_modules.graph import ROOT, Node
from ttc_modules.strategies.base import Strategy
from ttc_modules.strategies.config import BOUNDS_SEARCH, StrategyConfig
from ttc_modules.strategies.run import Run


class ParticleFilteringConfig(StrategyConfig):
    """Options of :class:`ParticleFiltering`."""

    kind: Literal["particle_filtering"] = "particle_filtering"
    n: int = Field(16, ge=1)
    max_rounds: int = Field(40, ge=1, json_schema_extra=BOUNDS_SEARCH)
    selection: Selection = "weighted"

    def generations(self) -> int:
        return self.n

    @classmethod
    def plans_for_budget(cls, n: int) -> list[dict]:
        """N particles, from 4 of them."""
        return [cls.for_budget(n)] if n >= 4 else []


class ParticleFiltering(Strategy):
    """Particle filtering against a process verifier (see the module docstring)."""

    kind = "particle_filtering"
    Config = ParticleFilteringConfig
    steps = True

    def search(self, run: Run) -> int | None:
        n = run.reserve_up_to(self.config.n)
        if n == 0:
            run.meter.reserve(generations=1)  # raises: nothing left to spend
        draws = random.Random(self.config.seed)
        particles = [ROOT] * n
        for round_ in range(self.config.max_rounds):
            particles = self._step(run, particles)
            if all(Node(run.graph, p).terminal for p in particles):
                break
            if round_ < self.config.max_rounds - 1:
                particles = draws.choices(particles, weights=self._weights(run, particles), k=n)
        particles = self._finish_open(run, particles)
        return run.best(particles, self.config.selection)

    def _step(self, run: Run, particles: list[int]) -> list[int]:
        """Every unfinished particle takes one step (the particles on one prefix in one request, the round's
        prefixes together: :meth:`Run.extend_round`), scored."""
        counts = Counter(p for p in particles if not Node(run.graph, p).terminal)
        prefixes = list(counts)  # in the particles' order
        children = dict(zip(prefixes, run.extend_round(prefixes, [counts[p] for p in prefixes]), strict=True))
        stepped = [children[p].pop() if p in children else p for p in particles]
        run.score(stepped)
        return stepped

    @staticmethod
    def _weights(run: Run, particles: list[int]) -> list[float]:
        """Softmax of the particles' scores as logits (clipped away from 0 and 1)."""
        logits = [_logit(Node(run.graph, p).score or 0.0) for p in particles]
        top = max(logits)
        return [math.exp(value - top) for value in logits]

    def _finish_open(self, run: Run, particles: list[int]) -> list[int]:
        """Particles still open after the last round, finished in one generation each (scored)."""
        open_ = list(dict.fromkeys(p for p in particles if not Node(run.graph, p).terminal))
        if not open_:
            return particles
        finals = dict(zip(open_, run.parallel(run.complete, open_), strict=True))
        run.score(list(finals.values()))
        return [finals.get(p, p) for p in particles]


def _logit(score: float, eps: float = 1e-7) -> float:
    score = min(max(score, eps), 1 - eps)
    return math.log(score / (1 - score))
