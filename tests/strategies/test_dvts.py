"""DVTS: N/M independent subtrees, one kept prefix each."""

from tests.strategies.helpers import Q, assert_tree, expanded_parents
from ttc_modules import DVTS
from ttc_modules.graph import ROOT
from ttc_modules.testing import StepScript, scripted_lm, v_score


def test_dvts_grows_n_over_m_independent_subtrees():
    pred = DVTS(n=8, beam_width=2, verifier=v_score, lm=scripted_lm(StepScript(length=3)))(question=Q)
    graph = pred.graph
    assert_tree(graph)
    assert graph.out_degree(ROOT) == 8  # 4 subtrees x M first steps
    for depth in (1, 2):
        kept = expanded_parents(graph, depth)
        assert len(kept) == 4 and all(graph.out_degree(n) == 2 for n in kept)  # one kept per subtree
    assert pred.spent["generations"] == 8
