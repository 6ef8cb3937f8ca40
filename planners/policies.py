"""Fitted policies as programs: for ``ttc serve`` (a served model with a ``policy``) and for the
evaluation harness (``ttc eval --strategies compute_optimal --policy policy.json``, and with
``--mean-budget M`` the policy sharing a mean of M generations over the questions: ``mean_budget``).

Example:
    >>> import json, tempfile
    >>> from planners.compute_optimal import ComputeOptimalPlanner
    >>> from planners.plan import Plan
    >>> planner = ComputeOptimalPlanner(budgets=[4], bins=1)
    >>> planner.policy = {(1, 4): Plan(kind="best_of_n", options={"n": 4, "selection": "majority"})}
    >>> planner.estimator.fit([0.5], 1)
    >>> path = tempfile.mktemp(suffix=".json"); planner.save(path)
    >>> type(policy_program(path, verifier=lambda inputs, steps: 1.0)).__name__
    'AdaptiveTTC'
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from planners.adaptive import AdaptiveTTC
from planners.compute_optimal import ComputeOptimalPlanner
from ttc_modules.evaluation.harness import Program


def policy_program(path, verifier=None, lm=None, seed: int = 0, program=None) -> AdaptiveTTC:
    """``AdaptiveTTC`` over ``program`` with the policy saved at ``path`` (read once per process): what
    ``ttc serve`` runs for a served model with a ``policy``; a call takes ``budget=``."""
    return AdaptiveTTC(_load_policy(str(path)), program, verifier=verifier, lm=lm, seed=seed)


@functools.lru_cache(maxsize=32)
def _load_policy(path: str) -> ComputeOptimalPlanner:
    return ComputeOptimalPlanner.load(path)


def mean_budget_program(planner: ComputeOptimalPlanner, mean: int, verifier=None, lm=None, seed: int = 0,
                        program=None) -> Program:
    """AdaptiveTTC with ``planner`` sharing a mean of ``mean`` generations over an evaluation's questions, as an
    evaluation program: its rows sit at budget ``mean``, and a resumed evaluation counts the rows logged before
    in its ledger, so the mean holds over the whole run."""
    adaptive = AdaptiveTTC(planner, program, verifier=verifier, lm=lm, seed=seed, mean_budget=mean)

    def resumed(budget: int, rows: list[dict]) -> None:
        for row in rows:
            adaptive.ledger.record(int(row["generations"]))

    return Program(at_budget=lambda budget: adaptive, identity={"policy": planner.state(), "mean_budget": mean},
                   budgets=(mean,), resumed=resumed)


def load_adaptive(path, program=None, **options) -> AdaptiveTTC:
    """An ``AdaptiveTTC`` saved with DSPy's ``save`` (its policy with it), read back over ``program`` (the one it
    was fitted on; ``options``: verifier, lm, seed...)."""
    state = json.loads(Path(path).read_text())
    if "policy" not in state:
        raise ValueError(f"{path} holds no policy; save an AdaptiveTTC there (program.save(path))")
    adaptive = AdaptiveTTC(ComputeOptimalPlanner.from_state(state["policy"]), program, **options)
    return adaptive.load_state(state)


def compute_optimal_program(planner: ComputeOptimalPlanner, verifier=None, lm=None, seed: int = 0,
                            program=None) -> Program:
    """AdaptiveTTC with ``planner`` (over ``program``) as an evaluation program: run at each budget, its rows
    made with the policy."""
    adaptive = AdaptiveTTC(planner, program, verifier=verifier, lm=lm, seed=seed)
    return Program(at_budget=lambda budget: functools.partial(adaptive, budget=budget),
                   identity={"policy": planner.state()})
