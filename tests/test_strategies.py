"""Strategies on scripted fakes: selection logic, beam arithmetic, revision context, trees, budgets."""

import time
from collections import Counter

import networkx as nx
import pytest

from ttc_modules import DVTS, STRATEGIES, BeamSearch, BestOfN, Budget, LookaheadSearch, SequentialRevisions
from ttc_modules.graph import ROOT
from ttc_modules.testing import StepScript, scripted_lm, v_score
from ttc_modules.verifiers import as_verifier

Q = "What is the number?"
NODE_KEYS = {"kind", "text", "step_scores", "score", "depth", "rollout_id", "terminal", "answer", "tokens"}


def seven_or_nine(prompt: str, seed: int) -> str:
    return "The answer is 9." if seed % 3 == 0 else "The answer is 7."


def answer_score(inputs, steps):  # 9 looks great, 7 looks fair
    return 0.9 if "9" in steps[-1] else 0.6


def assert_tree(graph):
    assert nx.is_arborescence(graph)
    for _, data in graph.nodes(data=True):
        assert set(data) >= NODE_KEYS
    for _, _, data in graph.edges(data=True):
        assert data["op"] in ("sample", "extend", "lookahead", "revise") and data["module"]


# ---------------------------------------------------------------------------- best-of-N
@pytest.mark.parametrize("selection, expected", [("weighted", "7"), ("naive", "9"), ("majority", "7")])
def test_best_of_n_selection(selection, expected):
    lm = scripted_lm(seven_or_nine)
    pred = BestOfN(n=3, selection=selection, verifier=answer_score, lm=lm)(question=Q)
    answers = Counter(pred.graph.nodes[n]["answer"] for n in pred.graph.successors(ROOT))
    assert answers == {"7": 2, "9": 1}  # two fair 7s outweigh one great 9 only when weighted
    assert pred.answer == expected


def test_best_of_n_is_a_star_costing_n_in_one_request():
    lm = scripted_lm(seven_or_nine)
    pred = BestOfN(n=6, selection="majority", lm=lm)(question=Q)
    assert_tree(pred.graph)
    assert pred.graph.out_degree(ROOT) == 6 and pred.graph.number_of_nodes() == 7
    assert pred.spent["generations"] == 6 and pred.spent["lm_calls"] == 1 == lm.provider_fake.calls
    assert pred.reasoning == "The answer is " + pred.answer + "."


def test_majority_needs_no_verifier_but_weighted_does():
    BestOfN(n=2, selection="majority", lm=scripted_lm(seven_or_nine))
    with pytest.raises(ValueError, match="needs a verifier"):
        BestOfN(n=2, selection="weighted", lm=scripted_lm(seven_or_nine))


# ---------------------------------------------------------------------------- beam search
def expanded_parents(graph, depth):
    return [n for n, d in graph.nodes(data=True) if d["depth"] == depth and graph.out_degree(n) > 0]


def test_beam_search_keeps_n_over_m_and_expands_each_m_times():
    script = StepScript(length=3)
    pred = BeamSearch(n=8, beam_width=2, verifier=v_score, lm=scripted_lm(script))(question=Q)
    graph = pred.graph
    assert_tree(graph)
    assert graph.out_degree(ROOT) == 8  # N candidate first steps
    for depth in (1, 2):
        kept = expanded_parents(graph, depth)
        assert len(kept) == 4 and all(graph.out_degree(n) == 2 for n in kept)  # N/M kept, M each
        candidates = [n for n, d in graph.nodes(data=True) if d["depth"] == depth]
        best = sorted((graph.nodes[n]["score"] for n in candidates), reverse=True)[:4]
        assert sorted((graph.nodes[n]["score"] for n in kept), reverse=True) == best
    assert pred.spent["generations"] == 8
    assert pred.answer is not None and graph.nodes[pred.chosen]["terminal"]


def test_beam_search_finishes_with_weighted_best_of_n():
    pred = BeamSearch(n=4, beam_width=2, verifier=v_score, lm=scripted_lm(StepScript(length=2)))(question=Q)
    finished = [n for n, d in pred.graph.nodes(data=True) if d["terminal"]]
    totals = Counter()
    for node in finished:
        totals[pred.graph.nodes[node]["answer"]] += pred.graph.nodes[node]["score"]
    assert pred.answer == max(totals, key=totals.get)


def test_n_must_be_divisible_by_the_beam_width():
    with pytest.raises(ValueError, match=r"n \(10\) must be divisible by beam_width \(4\)"):
        BeamSearch(n=10, beam_width=4, verifier=v_score)


def test_unknown_option_is_named():
    with pytest.raises(ValueError, match="beam_search has no option 'width'"):
        BeamSearch(n=8, width=2, verifier=v_score)


# ---------------------------------------------------------------------------- lookahead
def test_lookahead_scores_candidates_at_the_end_of_greedy_rollouts():
    script = StepScript(length=4)
    pred = LookaheadSearch(n=4, beam_width=2, k=2, verifier=v_score, lm=scripted_lm(script))(question=Q)
    graph = pred.graph
    assert_tree(graph)
    assert pred.spent["generations"] == 4 * 3  # N x (k + 1)
    rollouts = [(u, v) for u, v, d in graph.edges(data=True) if d["op"] == "lookahead"]
    assert rollouts
    for first in graph.successors(ROOT):
        end = first
        while lookahead := [v for v in graph.successors(end) if graph.edges[end, v]["op"] == "lookahead"]:
            end = lookahead[0]
        assert graph.nodes[first]["score"] == graph.nodes[end]["score"]


# ---------------------------------------------------------------------------- DVTS
def test_dvts_grows_n_over_m_independent_subtrees():
    pred = DVTS(n=8, beam_width=2, verifier=v_score, lm=scripted_lm(StepScript(length=3)))(question=Q)
    graph = pred.graph
    assert_tree(graph)
    assert graph.out_degree(ROOT) == 8  # 4 subtrees x M first steps
    for depth in (1, 2):
        kept = expanded_parents(graph, depth)
        assert len(kept) == 4 and all(graph.out_degree(n) == 2 for n in kept)  # one kept per subtree
    assert pred.spent["generations"] == 8


# ---------------------------------------------------------------------------- revisions
def attempt_answer(prompt: str, seed: int) -> str:
    return f"The answer is {prompt.count('Attempt ')}."


def test_each_revision_sees_its_chain_and_only_the_last_four_attempts():
    seen = []

    def responder(prompt, seed):
        seen.append(prompt)
        return attempt_answer(prompt, seed)

    pred = SequentialRevisions(n_parallel=1, n_sequential=6, selection="majority",
                               lm=scripted_lm(responder))(question=Q)
    assert_tree(pred.graph)
    assert [p.count("Attempt ") for p in seen] == [0, 1, 2, 3, 4, 4]
    last = seen[-1]
    assert "Attempt 1:\nThe answer is 1." in last and "The answer is 0." not in last  # the oldest fell out
    assert pred.spent["generations"] == 6


def test_revision_chains_are_chains_under_the_root():
    pred = SequentialRevisions(n_parallel=3, n_sequential=2, selection="majority",
                               lm=scripted_lm(attempt_answer))(question=Q)
    graph = pred.graph
    assert graph.out_degree(ROOT) == 3 and all(graph.out_degree(c) == 1 for c in graph.successors(ROOT))
    assert {d["kind"] for n, d in graph.nodes(data=True) if n} == {"revision"}
    assert pred.spent["generations"] == 6


def test_revisions_select_rather_than_take_the_last_attempt():
    # attempts answer 0, 1, 2; the verifier likes 1 best: hierarchical weighted picks it, not the last (2)
    def likes_one(inputs, steps):
        return 0.9 if "is 1." in steps[-1] else 0.1

    pred = SequentialRevisions(n_parallel=2, n_sequential=3, verifier=likes_one,
                               lm=scripted_lm(attempt_answer))(question=Q)
    assert pred.answer == "1"
    flat = SequentialRevisions(n_parallel=2, n_sequential=3, selection="majority",
                               lm=scripted_lm(lambda p, s: "The answer is 5." if "Attempt 2" in p else attempt_answer(p, s)))
    assert flat(question=Q).answer in {"0", "1"}  # majority over all 6 attempts, never the last by rule


# ---------------------------------------------------------------------------- common behaviour
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


def test_beam_search_keeps_distinct_prefixes_before_repeats():
    # every first step is the same text except one worse one: the distinct one is kept second
    def responder(prompt, seed):
        if "step" not in prompt:
            return "step 1 v9" if seed % 4 else "step 1 v5"
        return "The answer is 1."

    pred = BeamSearch(n=4, beam_width=2, verifier=v_score, lm=scripted_lm(responder))(question=Q)
    kept = [n for n in pred.graph.successors(ROOT) if pred.graph.out_degree(n)]
    assert sorted(pred.graph.nodes[n]["text"] for n in kept) == ["step 1 v5", "step 1 v9"]


@pytest.mark.parametrize("cls", [BeamSearch, DVTS])
def test_the_last_round_finishes_open_prefixes(cls):
    lm = scripted_lm(StepScript(length=5))
    pred = cls(n=4, beam_width=2, max_rounds=2, verifier=v_score, lm=lm)(question=Q)
    assert pred.answer is not None and pred.graph.nodes[pred.chosen]["terminal"]
    finals = [n for n, d in pred.graph.nodes(data=True) if d["terminal"]]
    assert finals and all(pred.graph.nodes[n]["score"] is not None for n in finals)
    assert pred.spent["generations"] == 4
