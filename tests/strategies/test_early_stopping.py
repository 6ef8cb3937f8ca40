"""Best-of-N that stops once its vote is settled: the Beta and window rules on scripted answers."""

import pytest

from tests.strategies.helpers import Q, assert_tree
from ttc_modules import BestOfN
from ttc_modules.graph import ROOT
from ttc_modules.strategies.seeds import SEED_STRIDE
from ttc_modules.testing import scripted_lm


def sample_index(seed: int, batch: int) -> int:
    """Which sample of the run (0, 1, ...) a seed belongs to: request r of the run (seed 0) has seed r x stride,
    its samples that seed + 0, 1, ..."""
    return (seed // SEED_STRIDE - 1) * batch + seed % SEED_STRIDE


def settles_after(disagreeing: int, batch: int = 1):
    """The first ``disagreeing`` samples each give an answer of their own; every later one says 7."""
    def responder(prompt: str, seed: int) -> str:
        index = sample_index(seed, batch)
        return f"The answer is {100 + index}." if index < disagreeing else "The answer is 7."
    return responder


def never_settles(prompt: str, seed: int) -> str:
    return f"The answer is {sample_index(seed, 1) % 2}."


def drawn(pred) -> int:
    return pred.graph.out_degree(ROOT)


def test_beta_rule_stops_once_the_leader_is_ahead_with_the_confidence():
    lm = scripted_lm(settles_after(2), name="beta-settles")
    pred = BestOfN(n=32, selection="majority", stop="beta", lm=lm)(question=Q)
    # two lone answers, then sevens: P(ahead) reaches 0.95 at six sevens against one (0.965; five give 0.938)
    assert pred.answer == "7" and drawn(pred) == 8 == pred.spent["generations"]
    assert pred.spent["lm_calls"] == 8 == lm.provider_fake.calls  # one request per batch of one
    assert pred.graph.graph["stopped"].startswith("after 8 of 32 samples: P(the leading answer stays ahead) = 0.965")
    assert_tree(pred.graph)


def test_window_rule_stops_at_the_first_window_that_agrees_and_a_window_is_one_request():
    lm = scripted_lm(settles_after(3, batch=4), name="window-settles")
    pred = BestOfN(n=20, selection="majority", stop="window", window=4, lm=lm)(question=Q)
    assert pred.answer == "7" and drawn(pred) == 8 == pred.spent["generations"]
    assert pred.spent["lm_calls"] == 2 == lm.provider_fake.calls
    assert pred.graph.graph["stopped"] == "after 8 of 20 samples: the last 4 answers agree"


@pytest.mark.parametrize("rule", ["beta", "window"])
def test_a_vote_that_never_settles_draws_the_cap(rule):
    lm = scripted_lm(never_settles, name=f"never-{rule}")
    pred = BestOfN(n=10, selection="majority", stop=rule, window=2, lm=lm)(question=Q)
    assert drawn(pred) == 10 == pred.spent["generations"] and pred.graph.graph["stopped"] is None


def test_weighted_beta_counts_votes_by_their_scores():
    def doubtful_sevens(inputs, steps):
        return 0.3 if "7" in steps[-1] else 0.9
    lm = scripted_lm(settles_after(2), name="beta-weighted")
    plain = BestOfN(n=32, selection="majority", stop="beta", lm=lm)(question=Q)
    weighted = BestOfN(n=32, selection="weighted", stop="beta", verifier=doubtful_sevens, lm=lm)(question=Q)
    assert drawn(weighted) > drawn(plain) and weighted.answer == "7"  # low-scored sevens take longer to settle


def test_a_rerun_is_answered_from_the_cache_and_identical():
    lm = scripted_lm(settles_after(2), name="beta-rerun")
    first = BestOfN(n=32, selection="majority", stop="beta", lm=lm)(question=Q)
    again = BestOfN(n=32, selection="majority", stop="beta", lm=lm)(question=Q)
    assert again.spent["cache_hits"] == again.spent["lm_calls"] == 8 and lm.provider_fake.calls == 8
    assert again.graph.graph["stopped"] == first.graph.graph["stopped"] and again.answer == first.answer
    assert again.spent["generations"] == first.spent["generations"]


@pytest.mark.parametrize("options, message", [
    ({"stop": "beta", "confidence": 1.5}, "best_of_n option confidence: confidence must be strictly between 0 and 1"),
    ({"stop": "beta", "confidence": 0}, "best_of_n option confidence: confidence must be strictly between 0 and 1"),
    ({"stop": "window", "n": 4, "window": 5}, r"best_of_n: window \(5\) is larger than the cap n \(4\); give a window "
                                                r"from 1 to 4"),
    ({"stop": "sometimes"}, "best_of_n option stop: Input should be 'beta' or 'window'"),
])
def test_bad_stop_options_are_one_line(options, message):
    with pytest.raises(ValueError, match=message) as caught:
        BestOfN(selection="majority", **options)
    assert "\n" not in str(caught.value)
