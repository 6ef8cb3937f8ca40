"""sample(): n samples of one prompt, by rollout id and seed, in one request or several."""

import pytest

from tests.lm.helpers import MESSAGES, by_seed
from ttc_modules.budget import BudgetMeter
from ttc_modules.lm import sample
from ttc_modules.testing import scripted_lm


def test_samples_are_distinct_and_keyed_by_seed():
    lm = scripted_lm(by_seed)
    texts = sample(lm, MESSAGES, n=4, seed=10)
    assert texts == [by_seed(MESSAGES[-1]["content"], 10 + i) for i in range(4)]


def test_one_request_carries_n_samples_where_the_backend_takes_n():
    lm = scripted_lm(by_seed, batch_samples=True)
    sample(lm, MESSAGES, n=5, seed=0)
    assert lm.provider_fake.calls == 1


def test_separate_requests_use_rollout_id_i_and_seed_plus_i():
    lm = scripted_lm(by_seed, batch_samples=False)
    texts = sample(lm, MESSAGES, n=3, seed=7)
    assert lm.provider_fake.calls == 3
    assert texts == [by_seed(MESSAGES[-1]["content"], 7 + i) for i in range(3)]
    rollout_ids = sorted(entry["kwargs"]["rollout_id"] for entry in lm.history)
    assert rollout_ids == [0, 1, 2]


def test_a_different_seed_is_not_a_cache_hit():
    lm = scripted_lm(by_seed)
    sample(lm, MESSAGES, n=2, seed=1)
    sample(lm, MESSAGES, n=2, seed=2)
    assert lm.provider_fake.calls == 2


def test_n_below_one_is_refused():
    with pytest.raises(ValueError, match="n must be >= 1, got 0"):
        sample(scripted_lm(by_seed), MESSAGES, n=0)


def test_meter_is_reported_from_worker_threads():
    lm = scripted_lm(by_seed, batch_samples=False, concurrency=2)
    meter = BudgetMeter()
    with meter.active():
        sample(lm, MESSAGES, n=6, seed=0)
    assert meter.spent()["lm_calls"] == 6
