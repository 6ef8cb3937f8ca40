"""The verifier protocol: ``score(inputs, steps) -> list[float]``, one score in [0, 1] per step.

A process verifier (PRM) scores every prefix of a solution: ``scores[k]`` is its estimate that
the solution up to step ``k`` leads to a correct answer. An outcome verifier returns one score for
the whole solution. Strategies aggregate the list with ``last`` (the paper's default), ``min``,
``prod`` or ``mean`` (``ttc_modules.aggregation.aggregate_steps``).

A verifier that needs more than the steps (a reward reading the program's output fields, a judge
shown the program's instructions) also has ``score_candidate(candidate) -> list[float]``, given a
:class:`Candidate`: the inputs, the steps, the program's outputs once written, and the program's
fields. Runners call it where it exists, ``score`` otherwise.

Example:
    >>> class Lengthy:
    ...     name, process, cache_id, oracle = "lengthy", True, None, False
    ...     def score(self, inputs, steps):
    ...         return [min(1.0, len(s) / 100) for s in steps]
    >>> isinstance(Lengthy(), Verifier)
    True
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ttc_modules.programs.fields import ProgramFields


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


@dataclass(frozen=True)
class Candidate:
    """One candidate as a verifier may see it.

    Attributes:
        inputs: the call's inputs.
        steps: the (partial) solution's steps, or its reasoning's.
        outputs: the program's output fields as written (None before they are, and for the math
            program, whose answer is in its text).
        program: the program's fields (instructions, inputs, outputs, answer field).
    """

    inputs: dict
    steps: list[str]
    outputs: dict | None = None
    program: ProgramFields | None = None


class VerifierError(ValueError):
    """A verifier was misused or answered something that is not a score."""


def check_scores(name: str, scores, steps: list[str], bounded: bool = True) -> list[float]:
    """Validate a verifier's answer: floats in [0, 1] (any finite floats where not ``bounded``: a reward),
    one per step or a single outcome score."""
    values = _numbers(scores)
    if values is None:
        raise VerifierError(f"verifier '{name}' returned {scores!r}; it must return a number (or a list of "
                            f"numbers{' in [0, 1]' if bounded else ''}), not NaN, None or text")
    if len(values) not in (1, len(steps)):
        raise VerifierError(f"verifier '{name}' returned {len(values)} scores for {len(steps)} steps; "
                            f"return one per step, or one for the whole solution")
    bad = [v for v in values if not 0.0 <= v <= 1.0] if bounded else []
    if bad:
        raise VerifierError(f"verifier '{name}' returned {bad[0]!r}; scores must lie in [0, 1] "
                            "(squash logits with a sigmoid)")
    return values


def _numbers(scores) -> list[float] | None:
    """``scores`` (a number, a bool, or a list of them) as finite floats, or None when it is anything else."""
    items = [scores] if isinstance(scores, numbers.Real) else scores
    if not isinstance(items, (list, tuple)) or not items:
        return None
    if not all(isinstance(item, numbers.Real) for item in items):
        return None
    values = [float(item) for item in items]
    return None if any(math.isnan(v) or math.isinf(v) for v in values) else values
