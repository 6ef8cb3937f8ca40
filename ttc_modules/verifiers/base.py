"""The verifier protocol: ``score(inputs, steps) -> list[float]``, one score in [0, 1] per step.

A process verifier (PRM) scores every prefix of a solution: ``scores[k]`` is its estimate that
the solution up to step ``k`` leads to a correct answer. An outcome verifier returns one score for
the whole solution. Strategies aggregate the list with ``last`` (the paper's default), ``min``,
``prod`` or ``mean`` (``ttc_modules.aggregation.aggregate_steps``).

Example:
    >>> class Lengthy:
    ...     name, process, cache_id, oracle = "lengthy", True, None, False
    ...     def score(self, inputs, steps):
    ...         return [min(1.0, len(s) / 100) for s in steps]
    >>> isinstance(Lengthy(), Verifier)
    True
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Verifier(Protocol):
    """What strategies need from a verifier.

    Attributes:
        name: shown in graphs and logs.
        process: True when ``score`` returns one score per step, False for a single outcome score.
        cache_id: a stable identity for the on-disk score cache (None: do not cache on disk).
        oracle: True for verifiers that read the reference answer; refused at inference.
    """

    name: str
    process: bool
    cache_id: str | None
    oracle: bool

    def score(self, inputs: dict, steps: list[str]) -> list[float]:
        """Scores in [0, 1]: one per step (process) or one (outcome)."""
        ...


class VerifierError(ValueError):
    """A verifier was misused or answered something that is not a score."""


def check_scores(name: str, scores, steps: list[str]) -> list[float]:
    """Validate a verifier's answer: floats in [0, 1], one per step or a single outcome score."""
    if isinstance(scores, (int, float)):
        scores = [scores]
    try:
        values = [float(s) for s in scores]
    except (TypeError, ValueError):
        raise VerifierError(f"verifier '{name}' returned {scores!r}; it must return a float or a list of "
                            "floats in [0, 1]") from None
    if len(values) not in (1, len(steps)):
        raise VerifierError(f"verifier '{name}' returned {len(values)} scores for {len(steps)} steps; "
                            f"return one per step, or one for the whole solution")
    bad = [v for v in values if not 0.0 <= v <= 1.0]
    if bad:
        raise VerifierError(f"verifier '{name}' returned {bad[0]!r}; scores must lie in [0, 1] "
                            "(squash logits with a sigmoid)")
    return values
