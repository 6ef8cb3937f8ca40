"""Fitted policies as programs: for ``ttc serve`` (a served model with a ``policy``), for one question
(``ttc solve --policy policy.json``: :func:`policy_solver`, :func:`policy_report`) and for the evaluation
harness (``ttc eval --strategies compute_optimal --policy policy.json``, and with ``--mean-budget M`` the
policy sharing a mean of M generations over the questions: ``mean_budget``; :func:`evaluated_names`,
:func:`evaluation_needs_verifier` and :func:`policy_programs` put them beside the strategies).

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
from ttc_modules.evaluation.harness import Program, strategy_needs_verifier
from ttc_modules.solving import Question, solution_report
from ttc_modules.verifiers.named import verifier_from_name

COMPUTE_OPTIMAL = "compute_optimal"
"""The name an evaluation gives a fitted policy among its strategies (``ttc eval --policy``)."""
MEAN_BUDGET = "mean_budget"
"""... and the policy sharing a mean budget over the questions (``ttc eval --mean-budget``)."""
POLICY_NAMES = (COMPUTE_OPTIMAL, MEAN_BUDGET)


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


def policy_solver(path, lm=None, verifier: str = "auto", seed: int = 0, program=None) -> AdaptiveTTC:
    """``AdaptiveTTC`` over ``program`` following the policy saved at ``path`` (read afresh), its verifier named
    as ``ttc solve --verifier`` names it (``auto``: the arithmetic checker where the policy needs one): what
    ``ttc solve --policy`` runs; a call takes ``budget=``.

    Example:
        >>> import tempfile
        >>> from planners.plan import Plan
        >>> planner = ComputeOptimalPlanner(budgets=[4], bins=1)
        >>> planner.policy = {(1, 4): Plan(kind="best_of_n", options={"n": 4, "selection": "majority"})}
        >>> planner.estimator.fit([0.5], 1)
        >>> path = tempfile.mktemp(suffix=".json"); planner.save(path)
        >>> type(policy_solver(path).verifier).__name__  # the difficulty estimate scores with one
        'ArithmeticChecker'
    """
    planner = ComputeOptimalPlanner.load(path)
    chosen = verifier_from_name(verifier, planner.needs_verifier(), lm, program=program is not None)
    if chosen is None and planner.needs_verifier():
        fitted_with = planner.metadata.get("verifier")
        raise ValueError(f"this policy needs a verifier (its difficulty estimate or one of its plans scores "
                         f"solutions), and --verifier is {verifier}; pass the one it was fitted with"
                         f"{f' ({fitted_with})' if fitted_with else ''}, e.g. --verifier arithmetic")
    return AdaptiveTTC(planner, program, lm=lm, seed=seed, verifier=chosen)


def policy_report(prediction, question: Question, model: str) -> dict:
    """What ``ttc solve --policy`` reports: :func:`~ttc_modules.solving.solution_report`, then the plan the
    policy chose and the question's difficulty."""
    return {**solution_report(prediction, question, model), "plan": prediction.plan.model_dump(),
            "difficulty": prediction.difficulty}


def evaluated_names(names: list[str], budgets: list[int], policy=None, mean_budget: int | None = None,
                    on_ray: bool = False) -> tuple[list[str], list[int]]:
    """The strategies and budgets an evaluation runs: ``names`` and ``budgets``, with ``mean_budget`` (the
    policy sharing that mean over the questions, at budget N = ``mean_budget`` beside the others) added; or
    one clear error where a policy's name has no ``policy`` (a path) to follow, or the mean would be shared
    by Ray tasks (``on_ray``), which cannot share it.

    Example:
        >>> evaluated_names(["majority"], [1, 4], policy="policy.json", mean_budget=2)
        (['majority', 'mean_budget'], [1, 2, 4])
        >>> evaluated_names(["compute_optimal"], [4])
        Traceback (most recent call last):
        ValueError: compute_optimal needs a fitted policy; pass --policy policy.json (ttc calibrate)
    """
    if COMPUTE_OPTIMAL in names and policy is None:
        raise ValueError(f"{COMPUTE_OPTIMAL} needs a fitted policy; pass --policy policy.json (ttc calibrate)")
    if mean_budget is None:
        return list(names), list(budgets)
    if policy is None:
        raise ValueError(f"--mean-budget {mean_budget} shares a fitted policy's budget; pass --policy policy.json "
                         "(ttc calibrate)")
    if on_ray:
        raise ValueError(f"--mean-budget {mean_budget} keeps one ledger in this process, which Ray tasks cannot "
                         "share; leave out --ray (--workers runs questions at once on threads)")
    return [*names, MEAN_BUDGET], sorted({*budgets, mean_budget})


def evaluation_needs_verifier(names: list[str], planner: ComputeOptimalPlanner | None = None) -> bool:
    """Whether evaluating ``names`` needs a verifier: one of its strategies does in its default form
    (:func:`~ttc_modules.evaluation.harness.strategy_needs_verifier`), or a policy's program is among them
    and ``planner`` (the policy) does.

    Example:
        >>> evaluation_needs_verifier(["majority", "pass"]), evaluation_needs_verifier(["majority", "beam_search"])
        (False, True)
    """
    if any(strategy_needs_verifier(name) for name in names if name not in POLICY_NAMES):
        return True
    return any(name in POLICY_NAMES for name in names) and planner.needs_verifier()


def policy_programs(planner: ComputeOptimalPlanner | None, verifier=None, lm=None, seed: int = 0, program=None,
                    mean_budget: int | None = None) -> dict[str, Program]:
    """The evaluation programs of the fitted ``planner`` by name (none without one): ``compute_optimal``,
    and with ``mean_budget`` the policy sharing that mean (:func:`compute_optimal_program`,
    :func:`mean_budget_program`), for ``Evaluation(programs=...)``."""
    if planner is None:
        return {}
    programs = {COMPUTE_OPTIMAL: compute_optimal_program(planner, verifier, lm, seed, program)}
    if mean_budget is not None:
        programs[MEAN_BUDGET] = mean_budget_program(planner, mean_budget, verifier, lm, seed, program)
    return programs
