"""Difficulty estimators: a raw value per question (higher = easier) and a bin 1..B (1 = easiest).

- :class:`OracleDifficulty`: pass@1 of probe samples graded against the reference (calibration
  only: it needs the answer).
- :class:`VerifierDifficulty`: the mean verifier score of a few probe samples, the paper's
  "predicted difficulty" (§3.2).
- :class:`LMRatedDifficulty`: one cheap LM call rating the question from 1 (easy) to 5 (hard).

An estimator measures on the call's :class:`~ttc_modules.strategies.run.Run` (``measure(run)``):
its probes are whole solutions sampled and scored there, reserved from the call's budget, and stay in
the graph, where the plan that follows finds them (a best-of-N plan takes them as its first
samples). Bins come from quantile edges of the raw values on the calibration set (:meth:`fit`);
:func:`estimator_named` makes an estimator from its name, as ``ttc calibrate --estimator`` does.

Example:
    >>> estimator = VerifierDifficulty(probes=4)
    >>> estimator.fit([0.9, 0.7, 0.4, 0.1], bins=2)
    >>> estimator.bin(0.95), estimator.bin(0.05)
    (1, 2)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ttc_modules.evaluation.bins import bin_of, quantile_edges
from ttc_modules.evaluation.grading import grade
from ttc_modules.strategies.run import Run


@dataclass
class Measurement:
    """What an estimator found: the raw value (higher = easier) and the probe nodes it drew on the run."""

    value: float
    probes: list[int] = field(default_factory=list)


class _Binned:
    """Quantile edges fitted on calibration values; higher value = easier = lower bin."""

    kind = ""
    probes = 0
    needs_verifier = False
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

    def calibration_value(self, entry: dict, example, lm) -> float:
        """The value of a calibration question from its banked ``entry`` (its samples, drawn once)."""
        return self.value_from_bank(entry["samples"], self.probes)


def _draw_probes(run: Run, probes: int) -> list[int]:
    """Up to ``probes`` whole solutions on ``run``, as many as its budget allows (none when it is spent)."""
    return run.sample_solutions(run.reserve_up_to(probes))


class VerifierDifficulty(_Binned):
    """Mean aggregated verifier score of ``probes`` samples (no reference needed)."""

    kind = "verifier"
    needs_verifier = True

    def __init__(self, probes: int = 4):
        if probes < 1:
            raise ValueError(f"probes must be >= 1, got {probes}")
        self.probes = probes

    def _options(self) -> dict:
        return {"probes": self.probes}

    def measure(self, run: Run) -> Measurement:
        """Draw the probes on ``run`` (reserved from its budget) and score them with its verifier."""
        probes = _draw_probes(run, self.probes)
        scores = run.score(probes)
        return Measurement(value=sum(scores) / max(1, len(scores)), probes=probes)

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

    def measure(self, run: Run) -> Measurement:
        if "answer" not in run.inputs:
            raise ValueError("OracleDifficulty needs the reference answer; it is for calibration, not inference "
                             "(use VerifierDifficulty or LMRatedDifficulty there)")
        probes = _draw_probes(run, self.probes)
        correct = [grade(run.solution_text(n), run.inputs["answer"]) for n in probes]
        return Measurement(value=sum(correct) / max(1, len(correct)), probes=probes)

    @staticmethod
    def value_from_bank(samples: list[dict], probes: int) -> float:
        return sum(s["correct"] for s in samples) / max(1, len(samples))


RATE = ("How hard is this math problem for a student? Reply with one number from 1 (very easy) to 5 (very hard)."
        "\n\nProblem: {question}")


class LMRatedDifficulty(_Binned):
    """One LM call rating the question 1-5; the value is 6 - rating (higher = easier)."""

    kind = "lm_rated"

    def measure(self, run: Run) -> Measurement:
        return Measurement(value=self.rate(run.generator.resolve_lm(), run.inputs["question"]))

    def calibration_value(self, entry: dict, example, lm) -> float:
        """The rating of a calibration question (one LM call, cached; no banked sample needed)."""
        if "question" not in example:
            raise ValueError(f"lm_rated rates a math question (a 'question' input), and this data set has inputs "
                             f"{', '.join(example.inputs().keys())}; use --estimator verifier")
        return self.rate(lm, example.question)

    @staticmethod
    def rate(lm, question: str) -> float:
        """6 - the LM's rating of ``question`` from 1 (very easy) to 5 (very hard); 3 when it gives none."""
        output = lm(messages=[{"role": "user", "content": RATE.format(question=question)}], max_tokens=4,
                    temperature=0.0)[0]
        text = output["text"] if isinstance(output, dict) else str(output)
        match = re.search(r"[1-5]", text or "")
        return 6.0 - (int(match.group()) if match else 3)


ESTIMATORS = {cls.kind: cls for cls in (VerifierDifficulty, OracleDifficulty, LMRatedDifficulty)}


def estimator_named(name: str, probes: int | None = None, budgets: list[int] | None = None) -> _Binned:
    """An unfitted estimator by name: ``verifier`` (with ``probes`` probes; by default 4, or the smallest
    budget if that is less) or ``lm_rated``. The oracle is for analysis, not for a policy.

    Example:
        >>> estimator_named("verifier", budgets=[2, 8]).probes, estimator_named("lm_rated").kind
        (2, 'lm_rated')
    """
    if name == "verifier":
        return VerifierDifficulty(probes=probes or min(4, *(budgets or [4])))
    if name == "lm_rated":
        return LMRatedDifficulty()
    raise ValueError(f"unknown estimator '{name}'; use verifier or lm_rated")


def estimator_from_state(state: dict) -> _Binned:
    """An estimator back from :meth:`state` (as saved in a policy file)."""
    options = {k: v for k, v in state.items() if k not in ("kind", "edges")}
    estimator = ESTIMATORS[state["kind"]](**options)
    if state.get("edges") is not None:
        estimator.edges = list(state["edges"])
    return estimator
