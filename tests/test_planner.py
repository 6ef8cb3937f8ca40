"""The compute-optimal planner on a fake whose best strategy per difficulty is known in advance."""

import copy

import dspy
import pytest

from planners import AdaptiveTTC, ComputeOptimalPlanner, Plan, VerifierDifficulty
from planners.compute_optimal import cross_validated
from planners.search_space import candidates
from ttc_modules.testing import scripted_lm


def model(prompt: str, seed: int) -> str:
    """Easy questions: right (1) three times in four. Hard ones: right (7) once in four, 8 twice, 9 once."""
    if "easy" in prompt:
        return "The answer is 2." if seed % 4 == 0 else "The answer is 1."
    return {0: "The answer is 7.", 1: "The answer is 8.", 2: "The answer is 8.", 3: "The answer is 9."}[seed % 4]


def verifier(inputs, steps):
    """Misleading on easy questions (likes the wrong 2), right on hard ones (likes 7)."""
    text = steps[-1]
    if "easy" in inputs["question"]:
        return 0.95 if "is 2" in text else 0.3
    return 0.9 if "is 7" in text else 0.1


def examples():
    easy = [dspy.Example(id=f"easy-{i}", question=f"easy question {i}?", answer="1").with_inputs("question")
            for i in range(6)]
    hard = [dspy.Example(id=f"hard-{i}", question=f"hard question {i}?", answer="7").with_inputs("question")
            for i in range(6)]
    return easy + hard


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    planner = ComputeOptimalPlanner(budgets=[4], estimator=VerifierDifficulty(probes=4), bins=2,
                                    search_space=lambda budget: candidates(budget)[:2],
                                    work_dir=tmp_path_factory.mktemp("fit"))
    return planner.compile(examples(), verifier=verifier, lm=scripted_lm(model))


def test_the_planner_finds_the_best_strategy_per_bin(fitted):
    assert fitted.policy[(1, 4)].options["selection"] == "majority"   # easy: the verifier misleads
    assert fitted.policy[(2, 4)].options["selection"] == "weighted"   # hard: the verifier rescues
    report = fitted.report["2|4"]
    assert report["n"] == 6 and report["cv_accuracy"] == 1.0 and report["baseline_accuracy"] == 1.0
    assert fitted.report["1|4"]["cv_accuracy"] > fitted.report["1|4"]["baseline_accuracy"]


def test_a_work_dir_fitted_with_another_model_is_not_reused(tmp_path):
    planner = ComputeOptimalPlanner(budgets=[4], estimator=VerifierDifficulty(probes=4), bins=2,
                                    search_space=lambda budget: candidates(budget)[:2], work_dir=tmp_path)
    planner.compile(examples(), verifier=verifier, lm=scripted_lm(model), progress=False)
    always_one = scripted_lm(lambda prompt, seed: "The answer is 1.", name="always-one")
    refitted = planner.compile(examples(), verifier=verifier, lm=always_one, progress=False)
    assert refitted.report["2|4"]["baseline_accuracy"] == 0.0  # hard questions (7) scored anew: never right
    assert refitted.metadata["model"] == "fake/always-one"


def test_a_tie_keeps_the_weighted_best_of_n_baseline():
    planner = ComputeOptimalPlanner(budgets=[4], search_space=lambda budget: candidates(budget)[:2])
    scores = {(q, plan.label, 4): 0.0 for q in ("a", "b") for plan in candidates(4)[:2]}
    planner._choose(scores, bins={"a": 1, "b": 1})
    assert planner.policy[(1, 4)].options["selection"] == "weighted"  # majority comes first in the space


@pytest.mark.parametrize("rule, lucky_bin_plan", [("argmax", "majority"), ("guarded", "weighted")])
def test_the_guarded_rule_keeps_the_baseline_where_choosing_does_not_pay_out_of_sample(rule, lucky_bin_plan):
    planner = ComputeOptimalPlanner(budgets=[4], search_space=lambda budget: candidates(budget)[:2], rule=rule)
    majority, weighted = (plan.label for plan in candidates(4)[:2])
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


def test_plans_other_than_best_of_n_are_sized_for_what_the_probes_leave():
    from ttc_modules.strategies import STRATEGIES

    planner = ComputeOptimalPlanner(budgets=[2, 8], estimator=VerifierDifficulty(probes=2))
    assert {plan.kind for plan in planner.candidates(2)} == {"best_of_n"}  # the probes take all of it
    eight = planner.candidates(8)
    assert [plan.options["n"] for plan in eight if plan.kind == "best_of_n"] == [8, 8]  # the probes are reused
    others = [plan for plan in eight if plan.kind != "best_of_n"]
    assert {plan.kind for plan in others} >= {"beam_search", "revisions"} and {p.budget for p in others} == {8}
    assert {STRATEGIES[p.kind].Config(**p.options).generations() for p in others} == {6}


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


def test_adaptive_charges_the_probes_and_reuses_them(fitted):
    program = AdaptiveTTC(fitted, verifier=verifier, lm=scripted_lm(model))
    hard = program(question="hard question 9?", budget=4)
    assert hard.plan.options["selection"] == "weighted" and hard.plan.bin == 2
    assert hard.answer == "7" and hard.spent["generations"] == 4  # the 4 probes were the 4 samples
    easy = program(question="easy question 9?", budget=8)
    assert easy.plan.options["selection"] == "majority" and easy.answer == "1"
    assert easy.spent["generations"] <= 8
    assert {n for n in program.named_predictors()} and "generator.solve" in dict(program.named_predictors())


def test_a_budget_below_the_policy_fails_before_any_call(fitted):
    lm = scripted_lm(model)
    with pytest.raises(ValueError, match="below the smallest fitted budget 4; give at least 4"):
        AdaptiveTTC(fitted, verifier=verifier, lm=lm)(question="easy question 1?", budget=2)
    assert lm.provider_fake.calls == 0


def test_probes_stay_within_the_budget_and_their_verifier_calls_count():
    planner = ComputeOptimalPlanner(budgets=[2], bins=1, estimator=VerifierDifficulty(probes=4))
    planner.estimator.fit([0.5], 1)
    planner.policy = {(1, 2): Plan(kind="best_of_n", options={"n": 2, "selection": "weighted"})}
    calls = []
    pred = AdaptiveTTC(planner, verifier=lambda inputs, steps: calls.append(steps) or 0.5,
                       lm=scripted_lm(model))(question="hard question 1?", budget=2)
    assert pred.spent["generations"] == 2  # 4 probes asked for, 2 allowed
    assert pred.spent["verifier_calls"] == len(calls) == 2


def test_a_program_calling_adaptive_ttc_twice_stays_within_its_own_budget(fitted):
    from ttc_modules import Budget, BudgetMeter

    program = AdaptiveTTC(fitted, verifier=verifier, lm=scripted_lm(model))
    outer = BudgetMeter(Budget(generations=6))
    with outer.active():
        first = program(question="hard question 5?", budget=4)
        second = program(question="hard question 6?", budget=4)  # only 2 of its 4 are left
    assert first.spent["generations"] == 4 and second.spent["generations"] == 2
    calls = first.spent["lm_calls"] + second.spent["lm_calls"]
    assert outer.spent()["generations"] == 6 and outer.spent()["lm_calls"] == calls


def test_a_search_plan_runs_within_what_the_probes_left(fitted):
    beam = ComputeOptimalPlanner(budgets=[4], estimator=fitted.estimator, bins=2)
    beam.policy = {(1, 4): Plan(kind="revisions", options={"n_parallel": 2, "n_sequential": 2,
                                                            "selection": "majority"}),
                   (2, 4): Plan(kind="revisions", options={"n_parallel": 2, "n_sequential": 2,
                                                            "selection": "majority"})}
    pred = AdaptiveTTC(beam, verifier=verifier, lm=scripted_lm(model))(
        question="hard question 3?", budget=6)
    assert pred.spent["generations"] <= 6 and pred.plan.kind == "revisions"


def test_the_evaluation_harness_runs_the_policy(fitted, tmp_path):
    from planners import compute_optimal_program
    from ttc_modules.evaluation.harness import Evaluation

    held_out = [dspy.Example(id=f"{kind}-x{i}", question=f"{kind} question x{i}?", answer=answer,
                             level=1 if kind == "easy" else 2).with_inputs("question")
                for kind, answer in (("easy", "1"), ("hard", "7")) for i in range(3)]
    lm = scripted_lm(model)
    summary = Evaluation(held_out, lm, verifier, ["compute_optimal", "weighted"], [4], tmp_path, progress=False,
                         programs={"compute_optimal": compute_optimal_program(fitted, verifier, lm)}).run()
    assert summary["accuracy"]["compute_optimal"]["4"]["all"]["accuracy"] == 1.0
    assert summary["accuracy"]["weighted"]["4"]["all"]["accuracy"] < 1.0
    always_weighted = copy.deepcopy(fitted)
    always_weighted.policy = {key: Plan(kind="best_of_n", options={"n": 4, "selection": "weighted"})
                              for key in fitted.policy}
    other = Evaluation(held_out, lm, verifier, ["compute_optimal"], [4], tmp_path, progress=False,
                       programs={"compute_optimal": compute_optimal_program(always_weighted, verifier, lm)}).run()
    assert other["accuracy"]["compute_optimal"]["4"]["all"]["accuracy"] < 1.0  # the first policy's rows not reused
    with pytest.raises(ValueError, match="unknown strategy 'compute_optimal'"):
        Evaluation(held_out, lm, verifier, ["compute_optimal"], [4], tmp_path / "x")


def test_an_lm_rated_estimate_costs_no_generations(fitted):
    from planners import LMRatedDifficulty

    rated = ComputeOptimalPlanner(budgets=[4], estimator=LMRatedDifficulty(), bins=2)
    rated.estimator.fit([1.0, 5.0], 2)
    rated.policy = dict(fitted.policy)
    pred = AdaptiveTTC(rated, verifier=verifier, lm=scripted_lm(lambda p, s: "3" if "How hard" in p else model(p, s)))(
        question="hard question 5?", budget=4)
    assert pred.difficulty == 3.0 and pred.spent["generations"] == 4 and pred.answer is not None


def chat_reply(prompt: str, seed: int) -> str:
    """``model``'s answers in the format of DSPy's ChatAdapter (the signature path)."""
    answer = model(prompt, seed).removeprefix("The answer is ").rstrip(".")
    return f"[[ ## reasoning ## ]]\nThe answer is {answer}.\n\n[[ ## answer ## ]]\n{answer}\n\n[[ ## completed ## ]]"


def test_adaptive_ttc_inside_a_dspy_program_takes_an_optimizer(fitted):
    from ttc_modules.generation import Generator

    lm = scripted_lm(chat_reply)

    class Pipeline(dspy.Module):
        def __init__(self):
            super().__init__()
            self.solver = AdaptiveTTC(fitted, verifier=verifier, generator=Generator(lm=lm, mode="signature"))

        def forward(self, question):
            return self.solver(question=question, budget=4)

    trainset = [dspy.Example(question="easy question 1?", reasoning="One apple, kept.", answer="1")
                .with_inputs("question")]
    compiled = dspy.LabeledFewShot(k=1).compile(Pipeline(), trainset=trainset)
    assert compiled.solver.generator.solve.demos  # the optimizer reached the strategy's sub-module
    pred = compiled(question="easy question 5?")
    assert "One apple, kept." in str(lm.history[-1]["messages"])  # and its demos reach the prompt
    assert pred.answer == "1" and pred.spent["generations"] <= 4
