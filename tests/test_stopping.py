"""The stop rules on their own: the Beta posterior against its closed form, the window rule's agreement."""

import math

import pytest

from ttc_modules.stopping import beta_settled, leader_ahead, settled, window_settled


def closed_form(leader: int, runner_up: int) -> float:
    """P(Beta(leader + 1, runner_up + 1) > 1/2) for whole votes: a binomial tail."""
    trials = leader + runner_up + 1
    return sum(math.comb(trials, j) for j in range(runner_up + 1, trials + 1)) / 2**trials


@pytest.mark.parametrize("leader, runner_up", [(1, 0), (4, 0), (3, 1), (10, 3), (40, 25), (900, 850)])
def test_leader_ahead_matches_the_closed_form(leader, runner_up):
    assert leader_ahead(leader, runner_up) == pytest.approx(closed_form(leader, runner_up), abs=1e-7)


def test_fractional_votes_lie_between_their_neighbours():
    assert leader_ahead(3, 1) < leader_ahead(3.5, 1) < leader_ahead(4, 1)


def test_beta_rule_needs_four_unanimous_votes_at_095():
    assert beta_settled([0, 0, 0], [1.0] * 3, confidence=0.95) is None
    assert beta_settled([0, 0, 0, 0], [1.0] * 4, confidence=0.95) is not None


def test_beta_rule_ignores_samples_without_an_answer_and_counts_scores_as_votes():
    assert beta_settled([None] * 9 + [0] * 4, [1.0] * 13, confidence=0.95) is not None
    assert beta_settled([0] * 4, [0.5] * 4, confidence=0.95) is None  # four half-votes are two votes
    assert beta_settled([None, None], [1.0, 1.0], confidence=0.95) is None


def test_window_rule_asks_the_last_window_to_agree():
    assert window_settled([1, 2, 0, 0, 0], window=3) == "the last 3 answers agree"
    assert window_settled([0, 0], window=3) is None
    assert window_settled([0, 0, 1], window=3) is None
    assert window_settled([None, None, None], window=3) is None


def test_unknown_rule_is_one_clear_line():
    with pytest.raises(ValueError, match="unknown stop rule 'vote'; use one of beta, window"):
        settled("vote", [0], [1.0], confidence=0.95, window=1)


def test_a_replay_on_banked_samples_stops_where_the_live_rule_would():
    from ttc_modules.evaluation.curves import stopping_replay

    def banked(answers, right="7", scores=None):
        return [{"answer": a, "correct": a == right, "score": (scores or [1.0] * len(answers))[i]}
                for i, a in enumerate(answers)]

    settling = banked(["1", "2"] + ["7"] * 14)
    assert stopping_replay(settling, "beta", "majority") == (8, 1.0)  # six sevens against one: 0.965
    assert stopping_replay(settling, "window", "majority", window=4) == (8, 1.0)  # the second window agrees
    never = banked(["1", "2"] * 8)
    assert stopping_replay(never, "beta", "majority") == (16, 0.0)
    doubtful = banked(["1", "2"] + ["7"] * 14, scores=[1.0, 1.0] + [0.4] * 14)
    assert stopping_replay(doubtful, "beta", "weighted")[0] > 8
