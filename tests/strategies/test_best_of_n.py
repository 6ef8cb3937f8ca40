"""Best-of-N: naive, majority and weighted selection over N samples in one request."""

from collections import Counter

import pytest

from tests.strategies.helpers import Q, assert_tree, seven_or_nine
from ttc_modules import BestOfN
from ttc_modules.graph import ROOT
from ttc_modules.testing import scripted_lm


def answer_score(inputs, steps):  # 9 looks great, 7 looks fair
    return 0.9 if "9" in steps[-1] else 0.6


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


def test_acall_under_asyncio_inside_dspy_context():
    import asyncio

    import dspy

    from ttc_modules.budget import BudgetMeter

    lm = scripted_lm(lambda prompt, seed: "2 + 2 = 4.\n\nThe answer is 4.")
    meter = BudgetMeter()

    async def both():
        strategy = BestOfN(n=2, selection="majority")
        return await asyncio.gather(strategy.acall(question="What is 2 + 2?"), strategy.acall(question="What is 3 + 1?"))

    with dspy.context(lm=lm), meter.active():
        predictions = asyncio.run(both())
    assert [p.answer for p in predictions] == ["4", "4"] and meter.spent()["generations"] == 4
