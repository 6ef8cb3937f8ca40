"""Beam search: N/M prefixes kept and expanded M times, distinct first, finished by weighted best-of-N."""

import re
from collections import Counter

import pytest

from tests.strategies.helpers import Q, assert_tree, expanded_parents
from ttc_modules import DVTS, BeamSearch
from ttc_modules.generation import Generator
from ttc_modules.graph import ROOT
from ttc_modules.testing import END_OF_TEXT, StepScript, scripted_lm, v_score


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


@pytest.mark.parametrize("cls", [BeamSearch, DVTS])
def test_a_solution_ends_at_the_whole_solutions_token_limit(cls):
    """Steps never grow a solution past what one sampled solution may hold (3 tokens a step here)."""
    lm = scripted_lm(StepScript(length=20))
    pred = cls(n=4, beam_width=2, verifier=v_score, generator=Generator(lm=lm, max_solution_tokens=7))(question=Q)
    ends = [n for n, d in pred.graph.nodes(data=True) if d["terminal"]]
    assert ends and {pred.graph.nodes[n]["depth"] for n in ends} == {3}
    assert max(d["depth"] for _, d in pred.graph.nodes(data=True)) == 3


@pytest.mark.parametrize("cls", [BeamSearch, DVTS])
def test_a_step_where_the_model_ended_its_text_finishes_its_solution(cls):
    """No 'The answer is' line, but the model ended there: the solution is over, with its last number."""
    def responder(prompt, seed):
        return f"So it is 1{seed % 2}.{END_OF_TEXT}" if seed % 2 else f"step {prompt.count('step') + 1} v9"

    pred = cls(n=4, beam_width=2, max_rounds=3, verifier=v_score, lm=scripted_lm(responder))(question=Q)
    ended = [n for n, d in pred.graph.nodes(data=True) if d["text"].startswith("So it is")]
    assert ended and all(pred.graph.nodes[n]["terminal"] and pred.graph.out_degree(n) == 0 for n in ended)
    assert {pred.graph.nodes[n]["answer"] for n in ended} == {"11"}



def _counting_up(prompt: str, seed: int) -> str:
    """A model that, after its first step, counts up by one from its last result for ever."""
    results = re.findall(r"= (\d+)\.", prompt.rsplit(Q, 1)[-1])
    return f"{results[-1]} + 1 = {int(results[-1]) + 1}." if results else f"20 + {seed % 2 + 1} = {20 + seed % 2 + 1}."


@pytest.mark.parametrize("cls", [BeamSearch, DVTS])
def test_a_step_that_adds_nothing_ends_its_beam_and_the_graph_says_why(cls):
    pred = cls(n=4, beam_width=2, verifier=v_score, lm=scripted_lm(_counting_up))(question=Q)
    ended = [d for _, d in pred.graph.nodes(data=True) if d["terminal"]]
    assert ended and all(d["ended"] == "no progress: repeats the last operation on its result" for d in ended)
    assert max(d["depth"] for _, d in pred.graph.nodes(data=True)) <= 3  # not the 40-round cap
    assert pred.answer in ("21", "22", "23")  # read from before the useless step


def test_the_graph_says_why_each_solution_ended():
    pred = BeamSearch(n=4, beam_width=2, verifier=v_score, lm=scripted_lm(StepScript(length=2)))(question=Q)
    reasons = {d["ended"] for _, d in pred.graph.nodes(data=True) if d["terminal"]}
    assert reasons == {"answer"}
    assert all(d["ended"] is None for _, d in pred.graph.nodes(data=True) if not d["terminal"])
