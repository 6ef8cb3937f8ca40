"""A fitted policy answering one question (``ttc solve --policy``) and evaluated beside the strategies
(``ttc eval --policy``, ``--mean-budget``): ``planners/policies.py``."""

import pytest

from planners import ComputeOptimalPlanner, LMRatedDifficulty, Plan
from planners.policies import (
    COMPUTE_OPTIMAL,
    MEAN_BUDGET,
    evaluated_names,
    evaluation_needs_verifier,
    policy_programs,
    policy_report,
    policy_solver,
)
from tests.planners.scenario import model
from ttc_modules.solving import question_for
from ttc_modules.testing import scripted_lm


def majority_policy() -> ComputeOptimalPlanner:
    """A policy that needs no verifier: LM-rated difficulty, majority-voted best-of-N."""
    planner = ComputeOptimalPlanner(budgets=[4], bins=1, estimator=LMRatedDifficulty())
    planner.estimator.fit([0.5], 1)
    planner.policy = {(1, 4): Plan(kind="best_of_n", options={"n": 4, "selection": "majority"})}
    return planner


def test_the_solver_follows_the_saved_policy_with_the_verifier_it_needs(fitted, tmp_path):
    fitted.save(tmp_path / "weighted.json")
    lm = scripted_lm(model)
    assert type(policy_solver(tmp_path / "weighted.json", lm).verifier).__name__ == "ArithmeticChecker"
    with pytest.raises(ValueError, match="this policy needs a verifier .* and --verifier is none; pass the one it was fitted with"):
        policy_solver(tmp_path / "weighted.json", lm, verifier="none")
    majority_policy().save(tmp_path / "majority.json")
    assert policy_solver(tmp_path / "majority.json", lm, seed=3).verifier is None  # auto: none needed
    with pytest.raises(FileNotFoundError, match="ttc calibrate"):
        policy_solver(tmp_path / "missing.json", lm)


def test_the_report_adds_the_plan_and_the_difficulty(tmp_path):
    majority_policy().save(tmp_path / "policy.json")
    question = question_for("easy question 1?")
    prediction = policy_solver(tmp_path / "policy.json", scripted_lm(model))(**question.inputs, budget=4)
    report = policy_report(prediction, question, "scripted")
    assert list(report)[-3:] == ["model", "plan", "difficulty"]
    assert report["plan"]["kind"] == "best_of_n" and report["answer"] == "1" and report["spent"]["generations"] <= 4


def test_the_names_gain_mean_budget_at_its_budget():
    assert evaluated_names(["majority"], [4, 1]) == (["majority"], [4, 1])
    assert evaluated_names(["majority", COMPUTE_OPTIMAL], [1, 8], "p.json", mean_budget=4) == (
        ["majority", COMPUTE_OPTIMAL, MEAN_BUDGET], [1, 4, 8])


@pytest.mark.parametrize("names, policy, mean_budget, on_ray, needle", [
    ([COMPUTE_OPTIMAL], None, None, False, "compute_optimal needs a fitted policy"),
    (["majority"], None, 8, False, "--mean-budget 8 shares a fitted policy's budget"),
    (["majority"], "p.json", 8, True, "Ray tasks cannot share"),
])
def test_a_policy_name_without_its_policy_is_one_clear_error(names, policy, mean_budget, on_ray, needle):
    with pytest.raises(ValueError, match="--policy|--ray") as info:
        evaluated_names(names, [1], policy, mean_budget, on_ray=on_ray)
    assert needle in str(info.value)


def test_a_verifier_is_needed_by_a_strategy_or_by_the_policy_evaluated(fitted):
    assert not evaluation_needs_verifier(["majority", "pass", "revisions"])
    assert evaluation_needs_verifier(["majority", "weighted"]) and evaluation_needs_verifier(["beam_search"])
    assert evaluation_needs_verifier(["majority", COMPUTE_OPTIMAL], fitted)  # its estimate scores with one
    assert not evaluation_needs_verifier([MEAN_BUDGET], majority_policy())
    assert not evaluation_needs_verifier(["majority"], fitted)  # the policy is not evaluated


def test_the_policy_s_programs_by_name():
    lm = scripted_lm(model)
    assert policy_programs(None, lm=lm) == {}
    assert list(policy_programs(majority_policy(), lm=lm)) == [COMPUTE_OPTIMAL]
    programs = policy_programs(majority_policy(), lm=lm, mean_budget=4)
    assert list(programs) == [COMPUTE_OPTIMAL, MEAN_BUDGET] and programs[MEAN_BUDGET].budgets == (4,)
