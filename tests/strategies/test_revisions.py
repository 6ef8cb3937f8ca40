"""Sequential revisions: chains of attempts that see the last four, then selection over them all."""

from tests.strategies.helpers import Q, assert_tree
from ttc_modules import SequentialRevisions
from ttc_modules.graph import ROOT
from ttc_modules.testing import scripted_lm


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


def test_parallel_chains_number_their_nodes_in_chain_order_whatever_finishes_first():
    import time

    from ttc_modules.graph import to_json

    def slower_for_earlier_chains(prompt, seed):
        time.sleep(0.05 * (3 - seed % 4) / 3)  # the first chain's requests tend to finish last
        return f"{seed % 7} + 1 = {seed % 7 + 1}. The answer is {seed % 7 + 1}."

    def graph_of_a_run():
        strategy = SequentialRevisions(n_parallel=4, n_sequential=2, selection="majority",
                                       lm=scripted_lm(slower_for_earlier_chains, cache=False))
        return strategy(question=Q).graph

    first, second = graph_of_a_run(), graph_of_a_run()
    assert to_json(first) == to_json(second)
    assert list(first.successors(ROOT)) == [1, 2, 3, 4]  # chain i's first attempt is node i + 1
    assert [list(first.successors(node)) for node in (1, 2, 3, 4)] == [[5], [6], [7], [8]]
