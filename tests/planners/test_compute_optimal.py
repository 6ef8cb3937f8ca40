"""The compute-optimal planner: the best plan per bin and budget, the rule, cross-validation, policy files."""

import pytest

from planners import ComputeOptimalPlanner, VerifierDifficulty
from planners.compute_optimal import cross_validated
from planners.search_space import plans
from tests.planners.scenario import examples, model, verifier
from ttc_modules.testing import scripted_lm


def test_the_planner_finds_the_best_strategy_per_bin(fitted):
    assert fitted.policy[(1, 4)].options["selection"] == "majority"   # easy: the verifier misleads
    assert fitted.policy[(2, 4)].options["selection"] == "weighted"   # hard: the verifier rescues
    report = fitted.report["2|4"]
    assert report["n"] == 6 and report["cv_accuracy"] == 1.0 and report["baseline_accuracy"] == 1.0
    assert fitted.report["1|4"]["cv_accuracy"] > fitted.report["1|4"]["baseline_accuracy"]


def test_a_work_dir_fitted_with_another_model_is_not_reused(tmp_path):
    planner = ComputeOptimalPlanner(budgets=[4], estimator=VerifierDifficulty(probes=4), bins=2,
                                    search_space=lambda budget: plans(budget)[:2], work_dir=tmp_path)
    planner.fit(examples(), verifier=verifier, lm=scripted_lm(model), progress=False)
    always_one = scripted_lm(lambda prompt, seed: "The answer is 1.", name="always-one")
    refitted = planner.fit(examples(), verifier=verifier, lm=always_one, progress=False)
    assert refitted.report["2|4"]["baseline_accuracy"] == 0.0  # hard questions (7) scored anew: never right
    assert refitted.metadata["model"] == "fake/always-one"


def test_a_tie_keeps_the_weighted_best_of_n_baseline():
    planner = ComputeOptimalPlanner(budgets=[4], search_space=lambda budget: plans(budget)[:2])
    scores = {(q, plan.label, 4): 0.0 for q in ("a", "b") for plan in plans(4)[:2]}
    planner._choose(scores, bins={"a": 1, "b": 1})
    assert planner.policy[(1, 4)].options["selection"] == "weighted"  # majority comes first in the space


@pytest.mark.parametrize("rule, lucky_bin_plan", [("argmax", "majority"), ("guarded", "weighted")])
def test_the_guarded_rule_keeps_the_baseline_where_choosing_does_not_pay_out_of_sample(rule, lucky_bin_plan):
    planner = ComputeOptimalPlanner(budgets=[4], search_space=lambda budget: plans(budget)[:2], rule=rule)
    majority, weighted = (plan.label for plan in plans(4)[:2])
    scores = {}
    for bin_, majority_scores in (("lucky", [1, 1, 1, 0]), ("real", [1, 1, 0.5, 0.5])):
        for question, value in zip("abcd", majority_scores, strict=True):
            scores[(bin_ + question, majority, 4)] = value
            scores[(bin_ + question, weighted, 4)] = 0.6
    planner._choose(scores, bins={f"{b}{q}": 1 if b == "lucky" else 2 for b in ("lucky", "real") for q in "abcd"})
    lucky, real = planner.report["1|4"], planner.report["2|4"]
    assert real["cv_accuracy"] > real["baseline_accuracy"]
    assert lucky["argmax"] == majority and lucky["cv_accuracy"] < lucky["baseline_accuracy"]  # the winner's curse
    assert planner.policy[(1, 4)].options["selection"] == lucky_bin_plan
    assert planner.policy[(2, 4)].options["selection"] == "majority"  # it pays under cross-validation too
    assert ComputeOptimalPlanner(budgets=[4], rule=rule).rule == rule


def test_an_unknown_rule_is_named():
    with pytest.raises(ValueError, match="unknown rule 'best'; use argmax"):
        ComputeOptimalPlanner(budgets=[4], rule="best")


def test_compile_returns_a_fitted_copy():
    planner = ComputeOptimalPlanner(budgets=[4])
    assert planner.policy == {}
    with pytest.raises(ValueError, match="not fitted"):
        planner.plan(1, 4)


def test_cross_validation_never_scores_on_the_fold_it_chose_on():
    import random

    questions = [f"q{i}" for i in range(6)]
    order = list(questions)
    random.Random(0).shuffle(order)
    first, second = set(order[::2]), set(order[1::2])  # the folds cross_validated makes with seed 0
    # "a" is perfect on the first fold and wrong on the second, "b" the reverse: each looks perfect
    # where it is chosen, so only scoring on the other fold reveals that both are coin flips
    table = {"a": {q: float(q in first) for q in questions}, "b": {q: float(q in second) for q in questions}}
    assert cross_validated(table, questions, seed=0) == 0.0


def test_the_policy_round_trips_through_json(fitted, tmp_path):
    path = tmp_path / "policy.json"
    fitted.save(path)
    loaded = ComputeOptimalPlanner.load(path)
    assert loaded.state() == fitted.state()
    assert loaded.policy == fitted.policy and loaded.estimator.edges == fitted.estimator.edges
    assert loaded.metadata["dataset_hash"] == fitted.metadata["dataset_hash"] and loaded.report == fitted.report
    assert loaded.plan(2, 4) == fitted.plan(2, 4)
    with pytest.raises(ValueError, match="not a policy file"):
        (tmp_path / "bad.json").write_text("{}")
        ComputeOptimalPlanner.load(tmp_path / "bad.json")


def test_compile_takes_examples_without_ids_as_dspy_optimizers_do(tmp_path):
    import dspy

    planner = ComputeOptimalPlanner(budgets=[4], estimator=VerifierDifficulty(probes=4), bins=2,
                                    search_space=lambda budget: plans(budget)[:2], work_dir=tmp_path)
    plain = [dspy.Example(question=e.question, answer=e.answer).with_inputs("question") for e in examples()]
    fitted = planner.fit(plain, verifier=verifier, lm=scripted_lm(model), progress=False)
    assert fitted.metadata["questions"] == len(plain) and fitted.policy
    with pytest.raises(ValueError, match="example 0 has no answer"):
        planner.fit([dspy.Example(question="What is 2 + 2?")], verifier=verifier, lm=scripted_lm(model))


def test_an_lm_rated_planner_is_fitted_on_the_lm_s_ratings(tmp_path):
    from planners import LMRatedDifficulty

    def rating_model(prompt, seed):  # rates easy questions 1 and hard ones 5; solves as the scenario's model
        if prompt.startswith("How hard"):
            return "1" if "Problem: easy" in prompt else "5"
        return model(prompt, seed)

    planner = ComputeOptimalPlanner(budgets=[4], estimator=LMRatedDifficulty(), bins=2,
                                    search_space=lambda budget: plans(budget)[:2], work_dir=tmp_path)
    fitted = planner.fit(examples(), verifier=verifier, lm=scripted_lm(rating_model, name="rater"), progress=False)
    assert fitted.estimator.bin(5.0) == 1 and fitted.estimator.bin(1.0) == 2  # rated easy: bin 1
    assert fitted.policy[(1, 4)].options["selection"] == "majority"
    assert fitted.policy[(2, 4)].options["selection"] == "weighted"


def test_an_lm_rated_estimate_refuses_questions_it_cannot_rate_in_one_line():
    import dspy

    from planners import LMRatedDifficulty

    ticket = dspy.Example(id="t0", ticket="the printer is on fire", answer="high").with_inputs("ticket")
    with pytest.raises(ValueError, match="lm_rated rates a math question .* inputs ticket; use --estimator verifier"):
        LMRatedDifficulty().calibration_value({"samples": []}, ticket, lm=None)


def test_a_verifier_difficulty_estimate_without_a_verifier_is_refused_before_any_call(tmp_path):
    lm = scripted_lm(model, name="no-verifier")
    planner = ComputeOptimalPlanner(budgets=[4], estimator=VerifierDifficulty(probes=2), bins=2, work_dir=tmp_path)
    with pytest.raises(ValueError, match="the verifier difficulty estimate scores its probes with a verifier, and "
                                         "none was given"):
        planner.fit(examples(), lm=lm, progress=False)
    assert lm.provider_fake.calls == 0
