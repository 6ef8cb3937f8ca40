"""AdaptiveTTC: probes reserved and reused, budgets kept, in the harness and inside a DSPy program."""

import copy

import dspy
import pytest

from planners import AdaptiveTTC, ComputeOptimalPlanner, Plan, VerifierDifficulty
from tests.planners.scenario import model, verifier
from ttc_modules.testing import scripted_lm


def test_adaptive_reserves_the_probes_and_reuses_them(fitted):
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
            self.solver = AdaptiveTTC(fitted, verifier=verifier, generator=Generator(lm=lm, prompt_style="signature"))

        def forward(self, question):
            return self.solver(question=question, budget=4)

    trainset = [dspy.Example(question="easy question 1?", reasoning="One apple, kept.", answer="1")
                .with_inputs("question")]
    compiled = dspy.LabeledFewShot(k=1).compile(Pipeline(), trainset=trainset)
    assert compiled.solver.generator.solve.demos  # the optimizer reached the strategy's sub-module
    pred = compiled(question="easy question 5?")
    assert "One apple, kept." in str(lm.history[-1]["messages"])  # and its demos reach the prompt
    assert pred.answer == "1" and pred.spent["generations"] <= 4


def test_one_call_is_one_tree_the_plan_grows_beside_the_probes():
    import networkx as nx

    planner = ComputeOptimalPlanner(budgets=[8], estimator=VerifierDifficulty(probes=4), bins=1)
    planner.policy = {(1, 8): Plan(kind="best_of_n", options={"n": 8, "selection": "weighted"})}
    planner.estimator.fit([0.5], 1)
    pred = AdaptiveTTC(planner, verifier=verifier, lm=scripted_lm(model))(question="hard question 9?", budget=8)
    graph = pred.graph
    assert nx.is_arborescence(graph) and graph.graph["strategy"] == "adaptive" and graph.graph["config"]["budget"] == 8
    samples = [n for n in graph.successors(0) if graph.nodes[n]["kind"] == "answer"]
    assert len(samples) == pred.spent["generations"] == 8  # 4 probes, then 4 more drawn by best-of-N
    assert pred.spent["verifier_calls"] == 8  # each sample scored once, the probes not again
    assert graph.graph["chosen"] == pred.chosen and graph.nodes[pred.chosen]["answer"] == pred.answer


def test_a_budget_object_limits_tokens_too(fitted):
    from ttc_modules import Budget

    unlimited = AdaptiveTTC(fitted, verifier=verifier, lm=scripted_lm(model))(question="hard question 9?", budget=4)
    tight = AdaptiveTTC(fitted, verifier=verifier, lm=scripted_lm(model), budget=Budget(generations=4, tokens=10**6))(
        question="hard question 9?")
    assert tight.answer == unlimited.answer and tight.spent["generations"] == 4
    with pytest.raises(ValueError, match="needs a budget of at least 1 generation"):
        AdaptiveTTC(fitted, verifier=verifier, lm=scripted_lm(model))(question="hard question 9?",
                                                                       budget=Budget(tokens=100))


def test_a_policy_that_scores_solutions_needs_a_verifier(fitted):
    with pytest.raises(ValueError, match="this policy needs a verifier"):
        AdaptiveTTC(fitted, lm=scripted_lm(model))


def test_adaptive_ttc_acall(fitted):
    import asyncio

    program = AdaptiveTTC(fitted, verifier=verifier, lm=scripted_lm(model))
    prediction = asyncio.run(program.acall(question="What is 3 + 4?", budget=4))
    assert prediction.plan is not None and prediction.spent["generations"] <= 4


def test_dspy_callbacks_see_the_strategy_a_policy_chose(fitted):
    from dspy.utils.callback import BaseCallback

    class Heard(BaseCallback):
        def __init__(self):
            self.started = []

        def on_module_start(self, call_id, instance, inputs):
            self.started.append((type(instance).__name__, sorted(inputs["kwargs"])))

    heard = Heard()
    program = AdaptiveTTC(fitted, verifier=verifier, lm=scripted_lm(model))
    with dspy.context(callbacks=[heard]):
        prediction = program(question="hard question 9?", budget=8)
    chosen = type(prediction.plan.build(verifier=verifier)).__name__
    assert ("AdaptiveTTC", ["budget", "question"]) in heard.started
    assert (chosen, ["question"]) in heard.started  # called as a DSPy module, with the call's inputs
    assert prediction.spent["generations"] <= 8 and prediction.answer == program(question="hard question 9?",
                                                                                  budget=8).answer


def test_a_strategy_continuing_on_a_run_reports_to_the_run_s_meter(fitted):
    from ttc_modules import BestOfN, Budget

    starter = BestOfN(n=4, selection="majority", lm=scripted_lm(model))
    run = starter.start_run({"question": "easy question 3?"}, starter.config, Budget(generations=4))
    chosen = starter.continue_on(run)  # outside any `with run.meter.active()`
    assert chosen is not None and run.meter.spent()["generations"] == 4 and run.meter.spent()["lm_calls"] >= 1
