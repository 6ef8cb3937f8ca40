"""``ttc solve``'s library (``ttc_modules/solving.py``): the question, the options, the solver and its report."""

import pytest

from ttc_modules.solving import question_for, solution_report, solve_options, strategy_solver
from ttc_modules.testing import scripted_lm

SOLUTION = "2 + 3 = 5.\n\nThe answer is 5."


def test_a_math_question_fills_question_and_is_answered_in_answer():
    question = question_for("  What is 2 + 3?  ")
    assert (question.program, question.inputs, question.answer_field) == (None, {"question": "What is 2 + 3?"}, "answer")


def test_a_program_of_one_input_takes_the_question_as_it_is():
    question = question_for("Capital of France?", "question -> city")
    assert question.program == "question -> city" and question.inputs == {"question": "Capital of France?"}
    assert question.answer_field == "city"


@pytest.mark.parametrize("text, program, needle", [
    ("  ", None, "question is empty"),
    ("2 + 2?", "question, context -> answer", "takes question, context"),
    ("  ", "question -> answer", "(QUESTION is empty)"),
])
def test_a_question_that_does_not_fit_is_one_clear_error(text, program, needle):
    with pytest.raises(ValueError) as info:
        question_for(text, program)
    assert needle in str(info.value)


def test_options_are_the_strategy_s_at_the_budget_and_below_one_sample_is_refused():
    assert solve_options("best_of_n", 4, selection="weighted", beam_width=None) == {
        **solve_options("best_of_n", 4), "selection": "weighted"}
    with pytest.raises(ValueError, match="--n must be >= 1, got 0"):
        solve_options("best_of_n", 0)


def test_the_verifier_is_chosen_by_what_the_strategy_needs():
    lm = scripted_lm(lambda prompt, seed: SOLUTION)
    assert strategy_solver(solve_options("best_of_n", 2), lm).verifier is None  # majority: auto is none
    weighted = strategy_solver(solve_options("best_of_n", 2, selection="weighted"), lm)
    assert type(weighted.verifier).__name__ == "ArithmeticChecker"
    with pytest.raises(ValueError, match="'magic'"):
        strategy_solver(solve_options("best_of_n", 2), lm, verifier="magic")
    with pytest.raises(ValueError, match="divisible"):
        strategy_solver(solve_options("beam_search", 6, beam_width=4), lm)


def test_the_solver_is_seeded_and_held_to_its_limits():
    solver = strategy_solver(solve_options("best_of_n", 2), scripted_lm(lambda prompt, seed: SOLUTION), seed=7,
                             tokens=500, flops=1e12)
    assert solver.config.seed == 7 and (solver.budget.tokens, solver.budget.flops) == (500, 1e12)
    with pytest.raises(ValueError, match="tokens"):
        strategy_solver(solve_options("best_of_n", 2), scripted_lm(lambda prompt, seed: SOLUTION), tokens=-5)


def test_the_report_holds_every_finished_candidate_and_what_was_spent():
    lm = scripted_lm(lambda prompt, seed: SOLUTION if seed % 2 else "2 + 3 = 6.\n\nThe answer is 6.")
    question = question_for("What is 2 + 3?")
    report = solution_report(strategy_solver(solve_options("best_of_n", 4), lm)(**question.inputs), question, "m")
    assert list(report) == ["question", "strategy", "answer", "reasoning", "outputs", "candidates", "spent",
                            "stopped", "model"]
    assert report["question"] == "What is 2 + 3?" and report["strategy"] == "best_of_n" and report["model"] == "m"
    assert len(report["candidates"]) == 4 and {c["answer"] for c in report["candidates"]} <= {"5", "6"}
    assert report["spent"]["generations"] == 4 and report["outputs"]["answer"] == report["answer"]


def test_a_strategy_needing_a_verifier_with_verifier_none_is_one_command_line_advice():
    lm = scripted_lm(lambda prompt, seed: "The answer is 4.")
    with pytest.raises(ValueError, match="best_of_n with these options needs a verifier, and --verifier is none; "
                                         "pass --verifier arithmetic .* or --selection majority"):
        strategy_solver(solve_options("best_of_n", 4, selection="weighted"), lm, verifier="none")
