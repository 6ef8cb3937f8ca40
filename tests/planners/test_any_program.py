"""The planner as a DSPy optimizer over a program of the user's: compile(program, trainset=, metric=) grades
every plan with the metric and returns an AdaptiveTTC over the program, which saves and loads."""

import dspy
import pytest

from planners import AdaptiveTTC, ComputeOptimalPlanner, VerifierDifficulty, load_adaptive
from tests.programs.verdict_task import ROWS, Verdict, metric, reply, reward
from ttc_modules.testing import scripted_lm


def trainset():
    return [dspy.Example(**row).with_inputs("passage", "question") for row in ROWS]


def test_compile_grades_with_the_metric_and_returns_an_adaptive_program(tmp_path):
    lm = scripted_lm(reply, prompt_style="signature")
    planner = ComputeOptimalPlanner(budgets=[3], estimator=VerifierDifficulty(probes=1), bins=1,
                                    kinds=["best_of_n", "revisions"], work_dir=tmp_path / "work")
    graded = []

    def counting(example, pred, trace=None):
        graded.append(pred.verdict)
        return metric(example, pred, trace)

    program = planner.compile(Verdict, trainset=trainset(), metric=counting, verifier=reward, lm=lm)
    assert isinstance(program, AdaptiveTTC) and program.planner.policy
    assert set(graded) <= {"yes", "no"} and len(graded) >= 4 * 3  # banked samples were graded by the metric
    report = program.planner.report["1|3"]
    assert report["accuracies"]  # every plan scored, best-of-N included
    pred = program(passage="Mia lives in Lima.", question="Does Mia live in Oslo?", budget=3)
    assert pred.verdict in ("yes", "no") and pred.plan.bin == 1 and pred.spent["generations"] <= 3

    program.save(tmp_path / "program.json")
    loaded = load_adaptive(tmp_path / "program.json", Verdict, verifier=reward, lm=lm)
    assert loaded.planner.state() == program.planner.state()
    again = loaded(passage="Mia lives in Lima.", question="Does Mia live in Oslo?", budget=3)
    assert again.verdict == pred.verdict
    with pytest.raises(ValueError, match="fitted on another program, not on the program Predict"):
        load_adaptive(tmp_path / "program.json", "question -> answer", verifier=reward, lm=lm)
    with pytest.raises(ValueError, match="fitted on another program"):  # as ttc eval and ttc serve build it
        AdaptiveTTC(program.planner, "question -> answer", verifier=reward, lm=lm)
    with pytest.raises(ValueError, match="pass budget=3"):
        loaded(passage="Mia lives in Lima.", question="Does Mia live in Oslo?")


def test_step_level_plans_are_left_out_for_a_program_without_text_reasoning(tmp_path):
    lm = scripted_lm(reply, prompt_style="signature")
    everything = ComputeOptimalPlanner(budgets=[4], estimator=VerifierDifficulty(probes=1), bins=1, work_dir=tmp_path)
    fitted = everything.fit(trainset(), program=Verdict, metric=metric, verifier=reward, lm=lm, progress=False)
    assert {plan.split("(")[0] for plan in fitted.report["1|4"]["accuracies"]} == {"best_of_n", "revisions"}
    named = ComputeOptimalPlanner(budgets=[4], bins=1, kinds=["best_of_n", "beam_search"], work_dir=tmp_path)
    with pytest.raises(ValueError, match="beam_search grow a program's text reasoning"):
        named.fit(trainset(), program=Verdict, metric=metric, verifier=reward, lm=lm, progress=False)
