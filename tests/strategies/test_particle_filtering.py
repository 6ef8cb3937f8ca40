"""Particle filtering: N particles step, are weighted by the verifier and resampled, within N generations."""

import re
import statistics

from tests.strategies.helpers import Q, assert_tree
from ttc_modules import Budget, ParticleFiltering
from ttc_modules.graph import ROOT
from ttc_modules.strategies.registry import options_for_budget
from ttc_modules.testing import StepScript, scripted_lm, v_score


def digit(text: str) -> int:
    return int(re.search(r"v(\d)", text).group(1))


def test_every_particle_steps_each_round_and_the_tree_stays_a_tree():
    pred = ParticleFiltering(n=8, verifier=v_score, lm=scripted_lm(StepScript(length=3)))(question=Q)
    graph = pred.graph
    assert_tree(graph)
    assert graph.out_degree(ROOT) == 8 and pred.spent["generations"] == 8
    for depth in (1, 2, 3):  # 8 particles at every depth; the last holds the answers
        assert sum(1 for _, d in graph.nodes(data=True) if d["depth"] == depth) == 8
    assert pred.answer is not None and graph.nodes[pred.chosen]["terminal"]


def test_resampling_copies_strong_prefixes_and_they_extend_in_one_request():
    lm = scripted_lm(StepScript(length=3))
    pred = ParticleFiltering(n=16, verifier=v_score, lm=lm)(question=Q)
    graph = pred.graph
    first = [graph.nodes[n]["text"] for n in graph.successors(ROOT)]
    extended = [n for n in graph.successors(ROOT) if graph.out_degree(n)]
    assert statistics.mean(digit(graph.nodes[n]["text"]) for n in extended) > statistics.mean(map(digit, first))
    assert any(graph.out_degree(n) > 1 for n in extended)  # a prefix drawn twice grew two children
    requests_after_the_first = lm.provider_fake.calls - 1
    assert requests_after_the_first < 16 * 2  # one request per distinct prefix, not per particle


def test_a_rerun_draws_the_same_particles():
    def run():
        graph = ParticleFiltering(n=8, seed=3, verifier=v_score, lm=scripted_lm(StepScript(length=3)))(question=Q).graph
        return sorted((d["depth"], d["text"]) for _, d in graph.nodes(data=True))

    assert run() == run()


def test_a_smaller_budget_runs_fewer_particles_and_open_ones_are_finished():
    pred = ParticleFiltering(n=8, max_rounds=1, budget=Budget(generations=3), verifier=v_score,
                             lm=scripted_lm(StepScript(length=4)))(question=Q)
    assert pred.spent["generations"] == 3 and pred.graph.out_degree(ROOT) == 3
    ends = [n for n, d in pred.graph.nodes(data=True) if d["terminal"]]
    assert ends and all(pred.graph.nodes[n]["score"] is not None for n in ends)


def test_it_is_a_planner_candidate_at_budget_n():
    assert options_for_budget("particle_filtering", 16) == {"kind": "particle_filtering", "n": 16}
