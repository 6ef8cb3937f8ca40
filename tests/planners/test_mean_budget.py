"""One budget shared across questions: the allocation by bin, the ledger, and AdaptiveTTC(mean_budget=...)."""

import copy
import itertools
import json
import random

import dspy
import pytest

from planners import AdaptiveTTC, ComputeOptimalPlanner, VerifierDifficulty
from planners.mean_budget import allocate
from planners.policies import mean_budget_program
from planners.search_space import plans
from tests.planners.scenario import examples, model, verifier
from ttc_modules.evaluation.harness import Evaluation
from ttc_modules.testing import scripted_lm


def brute_force(cells, mean):
    by_bin = {}
    for bin_, budget, report in cells:
        by_bin.setdefault(bin_, []).append((budget, report["cv_accuracy"] * report["n"], report["n"]))
    questions = sum(choices[0][2] for choices in by_bin.values())
    feasible = [combo for combo in itertools.product(*by_bin.values())
                if sum(budget * n for budget, _, n in combo) <= mean * questions]
    best = max(feasible, key=lambda combo: (round(sum(gain for _, gain, _ in combo), 12),
                                            -sum(budget * n for budget, _, n in combo)))
    return dict(zip(sorted(by_bin), (budget for budget, _, _ in best), strict=True))


@pytest.mark.parametrize("seed", range(20))
def test_allocation_is_the_best_within_the_mean(seed):
    rng = random.Random(seed)
    budgets = sorted(rng.sample([1, 2, 4, 8, 16, 32], 3))
    cells = [(bin_, budget, {"cv_accuracy": round(rng.random(), 2), "n": rng.randint(1, 5)})
             for bin_ in range(1, rng.randint(2, 5) + 1) for budget in budgets]
    mean = rng.choice([budgets[0], budgets[1], (budgets[0] + budgets[2]) / 2, budgets[2]])
    assert allocate(cells, mean) == brute_force(cells, mean)


def test_allocation_ties_go_to_the_smaller_spend():
    cells = [(1, 4, {"cv_accuracy": 1.0, "n": 3}), (1, 16, {"cv_accuracy": 1.0, "n": 3})]
    assert allocate(cells, mean=16) == {1: 4}


@pytest.mark.parametrize("mean, message", [
    (0.5, "mean_budget must be at least 1 generation per question, got 0.5; give a number >= 1"),
    (2, "mean_budget 2 is below the smallest budget the policy is fitted for (4); give at least 4"),
])
def test_a_mean_budget_that_cannot_serve_a_question_is_one_line(mean, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        allocate([(1, 4, {"cv_accuracy": 0.5, "n": 2}), (1, 8, {"cv_accuracy": 0.6, "n": 2})], mean)


@pytest.fixture(scope="module")
def two_budgets(tmp_path_factory):
    """The scenario fitted at 4 and 16 generations, its cells' evidence set so that easy questions are served as
    well by 4 as by 16 and hard ones gain from 16."""
    planner = ComputeOptimalPlanner(budgets=[4, 16], estimator=VerifierDifficulty(probes=4), bins=2,
                                    search_space=lambda budget: plans(budget)[:2],
                                    work_dir=tmp_path_factory.mktemp("fit"))
    fitted = planner.fit(examples(), verifier=verifier, lm=scripted_lm(model), progress=False)
    evidence = {(1, 4): 0.9, (1, 16): 0.9, (2, 4): 0.2, (2, 16): 0.6}
    for (bin_, budget), accuracy in evidence.items():
        fitted.report[f"{bin_}|{budget}"]["cv_accuracy"] = accuracy
    return fitted


def test_adaptive_ttc_spends_by_difficulty_and_holds_the_mean_exactly(two_budgets):
    assert allocate(two_budgets.cells(), 10) == {1: 4, 2: 16}
    program = AdaptiveTTC(two_budgets, verifier=verifier, lm=scripted_lm(model), mean_budget=10)
    questions = ["easy question 1?", "hard question 1?", "hard question 2?", "easy question 2?", "easy question 3?",
                 "hard question 3?"]
    spent = [program(question=q).spent["generations"] for q in questions]
    assert spent == [4, 16, 4, 4, 4, 16]  # the third question had only 10 of credit: the largest fitted budget in it
    assert all(sum(spent[:k]) <= 10 * k for k in range(1, len(spent) + 1))
    assert program.ledger.spent == sum(spent) and program.ledger.mean_spent() <= 10


def test_the_policy_file_records_the_allocations_and_a_copied_program_keeps_its_own_ledger(two_budgets, tmp_path):
    two_budgets.save(tmp_path / "policy.json")
    saved = json.loads((tmp_path / "policy.json").read_text())
    assert saved["mean_budget_allocations"] == {"4": {"1": 4, "2": 4}, "16": {"1": 4, "2": 16}}
    program = AdaptiveTTC(two_budgets, verifier=verifier, lm=scripted_lm(model), mean_budget=10)
    copied = program.deepcopy()  # as DSPy optimizers copy a program
    copied(question="easy question 5?")
    assert copied.ledger.questions == 1 and program.ledger.questions == 0


def test_a_call_budget_still_caps_a_shared_one(two_budgets):
    program = AdaptiveTTC(two_budgets, verifier=verifier, lm=scripted_lm(model), mean_budget=16)
    assert program(question="hard question 4?", budget=4).spent["generations"] == 4


def test_a_mean_budget_below_one_is_refused_at_once(two_budgets):
    with pytest.raises(ValueError, match="mean_budget must be at least 1 generation per question, got 0"):
        AdaptiveTTC(two_budgets, verifier=verifier, lm=scripted_lm(model), mean_budget=0)


def held_out(count: int) -> list:
    kinds = [("easy", "1"), ("hard", "7")]
    return [dspy.Example(id=f"{kind}-m{i}", question=f"{kind} question m{i}?", answer=answer, level=1 + k)
            .with_inputs("question") for i in range(count) for k, (kind, answer) in enumerate(kinds)]


def test_an_evaluation_holds_the_mean_over_the_run_also_when_it_resumes(two_budgets, tmp_path):
    lm = scripted_lm(model)
    questions = held_out(3)
    first = Evaluation(questions[:4], lm, verifier, ["mean_budget"], [4, 10], tmp_path, progress=False, workers=1,
                       programs={"mean_budget": mean_budget_program(two_budgets, 10, verifier, lm)}).run()
    assert "10" in first["accuracy"]["mean_budget"] and "4" not in first["accuracy"]["mean_budget"]
    resumed = Evaluation(questions, lm, verifier, ["mean_budget"], [10], tmp_path, progress=False, workers=2,
                         programs={"mean_budget": mean_budget_program(two_budgets, 10, verifier, lm)})
    resumed.run()
    spent = [row["generations"] for row in resumed.rows]
    assert len(spent) == 6 and sum(spent) <= 10 * 6 and sum(spent[:4]) <= 10 * 4
    assert max(spent) == 16  # a hard question got more than the mean


def test_a_settled_vote_leaves_its_budget_to_the_questions_after_it(two_budgets):
    easy_gains = copy.deepcopy(two_budgets)
    easy_gains.report["1|16"]["cv_accuracy"] = 0.95  # so that easy questions get 16 too
    drawing = AdaptiveTTC(easy_gains, verifier=verifier, lm=scripted_lm(model), mean_budget=16)
    stopping = AdaptiveTTC(easy_gains, verifier=verifier, lm=scripted_lm(model), mean_budget=16, stop="beta")
    questions = ["easy question 5?", "easy question 6?"]  # right three times in four: settled before 16
    drawn = [drawing(question=q).spent["generations"] for q in questions]
    settled = [stopping(question=q) for q in questions]
    assert drawn == [16, 16] and all(p.spent["generations"] < 16 and p.answer == "1" for p in settled)
    assert all(p.graph.graph["stopped"].startswith("after") for p in settled)
    assert stopping.ledger.spent == sum(p.spent["generations"] for p in settled)  # the rest is credit again
    with pytest.raises(ValueError, match="unknown stop rule 'soon'; use beta or window"):
        AdaptiveTTC(two_budgets, verifier=verifier, lm=scripted_lm(model), stop="soon")
