"""Difficulty estimators: a raw value per question (higher = easier) and a bin 1..B (1 = easiest).

- :class:`OracleDifficulty`: pass@1 of probe samples graded against the reference (calibration
  only: it needs the answer).
- :class:`VerifierDifficulty`: the mean verifier score of a few probe samples, the paper's
  "predicted difficulty" (§3.2). Its probes are charged to the prompt's budget and handed back, so
  a best-of-N plan can use them as candidates.
- :class:`LMRatedDifficulty`: one cheap LM call rating the question from 1 (easy) to 5 (hard).

Bins come from quantile edges of the raw values on the calibration set (:meth:`fit`).

Example:
    >>> estimator = VerifierDifficulty(probes=4)
    >>> estimator.fit([0.9, 0.7, 0.4, 0.1], bins=2)
    >>> estimator.bin(0.95), estimator.bin(0.05)
    (1, 2)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ttc_modules.aggregation import aggregate_steps
from ttc_modules.evaluation.bins import bin_of, quantile_edges
from ttc_modules.evaluation.graders import is_correct
from ttc_modules.graph import ROOT, solution_steps


@dataclass
class Measurement:
    """What an estimator found: the raw value, the probe prediction (if it drew samples) and their scores."""

    value: float
    probe: object = None          # the BestOfN prediction of the probe samples
    scores: list[float] = field(default_factory=list)


class _Binned:
    """Quantile edges fitted on calibration values; higher value = easier = lower bin."""

    kind = ""
    edges: list[float]

    def fit(self, values: list[float], bins: int) -> None:
        """Cut points so that the calibration values fall evenly into ``bins`` bins."""
        self.edges = quantile_edges(values, bins)

    def bin(self, value: float) -> int:
        if not hasattr(self, "edges"):
            raise ValueError(f"{type(self).__name__} is not fitted; fit it on calibration values first "
                             "(ComputeOptimalPlanner.compile does)")
        return bin_of(value, self.edges)

    def state(self) -> dict:
        return {"kind": self.kind, "edges": getattr(self, "edges", None), **self._options()}

    def _options(self) -> dict:
        return {}


def _probe(question: str, probes: int, generator, seed: int):
    """``probes`` samples, no more than the active meter allows (the probe's meter nests in it)."""
    from ttc_modules.strategies import BestOfN

    return BestOfN(n=probes, selection="majority", generator=generator, seed=seed)(question=question)


class VerifierDifficulty(_Binned):
    """Mean aggregated verifier score of ``probes`` samples (no reference needed)."""

    kind = "verifier"

    def __init__(self, probes: int = 4):
        if probes < 1:
            raise ValueError(f"probes must be >= 1, got {probes}")
        self.probes = probes

    def _options(self) -> dict:
        return {"probes": self.probes}

    def measure(self, inputs: dict, generator, runner, seed: int = 0) -> Measurement:
        """Draw the probes (charged to the active budget) and score them with ``runner``."""
        probe = _probe(inputs["question"], self.probes, generator, seed)
        nodes = sorted(probe.graph.successors(ROOT))
        scores = [aggregate_steps(runner.score(inputs, solution_steps(probe.graph, n) or [""])) for n in nodes]
        return Measurement(value=sum(scores) / max(1, len(scores)), probe=probe, scores=scores)

    @staticmethod
    def value_from_bank(samples: list[dict], probes: int) -> float:
        """The same value from banked samples (the first ``probes`` of them)."""
        first = samples[:probes]
        return sum(s["score"] for s in first) / max(1, len(first))


class OracleDifficulty(_Binned):
    """pass@1 of probe samples against the reference: for calibration and analysis only."""

    kind = "oracle"

    def __init__(self, probes: int = 8):
        self.probes = probes

    def _options(self) -> dict:
        return {"probes": self.probes}

    def measure(self, inputs: dict, generator, runner=None, seed: int = 0) -> Measurement:
        if "answer" not in inputs:
            raise ValueError("OracleDifficulty needs the reference answer; it is for calibration, not inference "
                             "(use VerifierDifficulty or LMRatedDifficulty there)")
        probe = _probe(inputs["question"], self.probes, generator, seed)
        answers = [probe.graph.nodes[n]["answer"] for n in probe.graph.successors(ROOT)]
        return Measurement(value=sum(is_correct(a, inputs["answer"]) for a in answers) / len(answers), probe=probe)

    @staticmethod
    def value_from_bank(samples: list[dict], probes: int) -> float:
        return sum(s["correct"] for s in samples) / max(1, len(samples))


RATE = ("How hard is this math problem for a student? Reply with one number from 1 (very easy) to 5 (very hard)."
        "\n\nProblem: {question}")


class LMRatedDifficulty(_Binned):
    """One LM call rating the question 1-5; the value is 6 - rating (higher = easier)."""

    kind = "lm_rated"
    probes = 0

    def measure(self, inputs: dict, generator, runner=None, seed: int = 0) -> Measurement:
        lm = generator.resolve_lm()
        output = lm(messages=[{"role": "user", "content": RATE.format(question=inputs["question"])}],
                    max_tokens=4, temperature=0.0)[0]
        text = output["text"] if isinstance(output, dict) else str(output)
        match = re.search(r"[1-5]", text or "")
        return Measurement(value=6.0 - (int(match.group()) if match else 3))


ESTIMATORS = {cls.kind: cls for cls in (VerifierDifficulty, OracleDifficulty, LMRatedDifficulty)}


def estimator_from_state(state: dict) -> _Binned:
    """An estimator back from :meth:`state` (as saved in a policy file)."""
    options = {k: v for k, v in state.items() if k not in ("kind", "edges")}
    estimator = ESTIMATORS[state["kind"]](**options)
    if state.get("edges") is not None:
        estimator.edges = list(state["edges"])
    return estimator
