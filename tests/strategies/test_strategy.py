"""What every strategy shares: options, the returned prediction, seeds, budgets, verifiers, refusals."""

import time

import pytest

from tests.strategies.helpers import Q, assert_tree, seven_or_nine
from ttc_modules import STRATEGIES, BeamSearch, BestOfN, Budget
from ttc_modules.testing import StepScript, scripted_lm, v_score
from ttc_modules.verifiers import as_verifier


def test_unknown_option_is_named():
    with pytest.raises(ValueError, match="beam_search has no option 'width'"):
        BeamSearch(n=8, width=2, verifier=v_score)


@pytest.mark.parametrize("kind, options", [
    ("best_of_n", {"n": 4}), ("beam_search", {"n": 4, "beam_width": 2}),
    ("lookahead", {"n": 4, "beam_width": 2, "k": 1}), ("dvts", {"n": 4, "beam_width": 2}),
    ("revisions", {"n_parallel": 2, "n_sequential": 2})])
def test_every_strategy_returns_answer_reasoning_graph_spent(kind, options):
    strategy = STRATEGIES[kind](verifier=v_score, lm=scripted_lm(StepScript(length=2)), **options)
    pred = strategy(question=Q)
    assert pred.answer is not None and pred.reasoning
    assert_tree(pred.graph)
    assert pred.graph.graph["strategy"] == kind and pred.graph.graph["inputs"]["question"] == Q
    assert set(pred.spent) >= {"generations", "lm_calls", "prompt_tokens", "completion_tokens",
                               "verifier_calls", "cache_hits", "flops"}
    assert strategy.config.kind == kind


class SlowSteps(StepScript):
    """A StepScript whose requests finish in an order set by ``slow_first``, not by who asked first."""

    slow_first = True

    def __call__(self, prompt: str, seed: int) -> str:
        time.sleep(0.004 * (seed % 5 if self.slow_first else 5 - seed % 5))
        return super().__call__(prompt, seed)


@pytest.mark.parametrize("kind, options", [
    ("beam_search", {"n": 6, "beam_width": 2}), ("lookahead", {"n": 4, "beam_width": 2, "k": 2}),
    ("dvts", {"n": 6, "beam_width": 2}), ("revisions", {"n_parallel": 3, "n_sequential": 3})])
def test_concurrent_requests_get_the_same_seeds_whatever_order_they_finish_in(kind, options):
    script = SlowSteps(length=3)
    strategy = STRATEGIES[kind](verifier=v_score, lm=scripted_lm(script), **options)
    first = strategy(question=Q)
    script.slow_first = False
    again = strategy(question=Q)  # the same seed: every request is one the first call made
    assert again.spent["cache_hits"] == again.spent["lm_calls"] == first.spent["lm_calls"]
    assert again.answer == first.answer


def test_generator_predictors_are_visible_to_dspy():
    strategy = BeamSearch(n=4, beam_width=2, verifier=v_score, lm=scripted_lm(StepScript()))
    names = {name for name, _ in strategy.named_predictors()}
    assert {"generator.solve", "generator.extend", "generator.revise"} <= names


def test_no_state_survives_between_calls():
    strategy = BestOfN(n=3, selection="majority", lm=scripted_lm(seven_or_nine))
    first, second = strategy(question=Q), strategy(question=Q)
    assert first.graph is not second.graph and second.graph.number_of_nodes() == 4
    assert second.spent["generations"] == 3 and second.spent["cache_hits"] == 1


def test_budget_running_out_mid_search_returns_the_best_so_far():
    script = StepScript(length=3)
    pred = BeamSearch(n=4, beam_width=2, verifier=v_score, lm=scripted_lm(script),
                      budget=Budget(verifier_calls=6))(question=Q)
    assert pred.spent["exhausted"] == "verifier_calls" and pred.spent["verifier_calls"] <= 6
    assert pred.graph.number_of_nodes() > 1


def test_oracle_is_refused_at_inference():
    from ttc_modules.verifiers import OracleVerifier

    strategy = BestOfN(n=2, verifier=OracleVerifier(), lm=scripted_lm(seven_or_nine))
    with pytest.raises(ValueError, match="evaluation only"):
        strategy(question=Q, answer="7")
    allowed = BestOfN(n=3, verifier=OracleVerifier(), lm=scripted_lm(seven_or_nine), allow_oracle=True)
    assert allowed(question=Q, answer="9").answer == "9"


def test_empty_question_is_refused():
    with pytest.raises(ValueError, match="question is empty"):
        BestOfN(n=2, selection="majority", lm=scripted_lm(seven_or_nine))(question=" ")


def test_as_verifier_accepts_reward_functions_and_modules():
    import dspy

    reward = as_verifier(lambda args, pred: float(pred.answer == "7"))
    assert reward.score({"question": Q}, ["The answer is 7."]) == [1.0]

    class Judge(dspy.Module):
        def forward(self, question, solution):
            return dspy.Prediction(score=0.25 if "7" in solution else 0.75)

    module = as_verifier(Judge())
    assert module.score({"question": Q}, ["The answer is 7."]) == [0.25]
    strategy = BestOfN(n=3, verifier=Judge(), lm=scripted_lm(seven_or_nine))
    assert strategy(question=Q).answer == "9" and strategy.verifier_module is not None


def test_a_run_scores_each_solution_once_and_records_what_scoring_cost():
    from ttc_modules.budget import BudgetMeter
    from ttc_modules.generation import Generator
    from ttc_modules.strategies import Run, StrategyConfig

    calls = []
    run = Run.start({"question": Q}, StrategyConfig(kind="test"),
                    Generator(lm=scripted_lm(lambda prompt, seed: f"The answer is {seed}.")),
                    verifier=lambda inputs, steps: calls.append(steps) or 0.5)
    with run.meter.active():
        first = run.sample_solutions(run.reserve_up_to(3))
        run.score(first)
        more = run.sample_solutions(run.reserve_up_to(2))
        run.score(first + more)
    assert len(calls) == 5 and run.meter.spent()["verifier_calls"] == 5
    assert all(run.graph.nodes[n]["verifier_tokens"] == 0 for n in first + more)  # a function spends no tokens
    assert isinstance(run.meter, BudgetMeter) and run.solutions() == first + more


def test_budget_may_be_a_number_of_generations():
    pred = BestOfN(n=8, selection="majority", budget=3, lm=scripted_lm(seven_or_nine))(question=Q)
    assert pred.spent["generations"] == 3
    with pytest.raises(ValueError, match="a budget is a Budget or a number of generations"):
        BestOfN(n=8, selection="majority", budget="3")
