"""Lookahead search: candidates scored at the end of greedy rollouts."""

from tests.strategies.helpers import Q, assert_tree
from ttc_modules import LookaheadSearch
from ttc_modules.graph import ROOT
from ttc_modules.testing import StepScript, scripted_lm, v_score


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
