"""Every strategy for real on the embedded model, with a tiny budget."""

import networkx as nx
import pytest

from ttc_modules import STRATEGIES, Budget
from ttc_modules.verifiers import ArithmeticChecker

pytestmark = pytest.mark.integration

QUESTION = "Tom has 3 apples and buys 4 more. How many apples does Tom have now?"

CONFIGS = {
    "best_of_n": {"n": 4, "selection": "weighted"},
    "beam_search": {"n": 4, "beam_width": 2, "max_rounds": 3},
    "lookahead": {"n": 2, "beam_width": 2, "k": 1, "max_rounds": 2},
    "dvts": {"n": 4, "beam_width": 2, "max_rounds": 3},
    "revisions": {"n_parallel": 2, "n_sequential": 2},
}


@pytest.mark.parametrize("kind", sorted(CONFIGS))
def test_strategy_on_the_embedded_model(kind):
    budget = Budget(generations=STRATEGIES[kind].Config(**CONFIGS[kind]).generations(), tokens=20_000)
    strategy = STRATEGIES[kind](verifier=ArithmeticChecker(), budget=budget, **CONFIGS[kind])
    pred = strategy(question=QUESTION)
    assert nx.is_arborescence(pred.graph) and pred.graph.number_of_nodes() > 1
    assert pred.spent["lm_calls"] >= 1 and pred.spent["completion_tokens"] > 0 and pred.spent["flops"] > 0
    assert pred.spent["generations"] <= budget.generations and pred.spent["tokens"] <= budget.tokens
    assert pred.answer is None or isinstance(pred.answer, str)
    again = strategy(question=QUESTION)  # the same seed: every call comes from the cache
    assert again.answer == pred.answer and again.spent["cache_hits"] == again.spent["lm_calls"]
