"""The LM boundary on a scripted in-process provider: rollout ids, cache hits, usage, budgets."""

import pytest

from ttc_modules.budget import Budget, BudgetExceeded, BudgetMeter
from ttc_modules.lm import sample
from ttc_modules.testing import scripted_lm

MESSAGES = [{"role": "user", "content": "What is 2 + 2?"}]


def by_seed(prompt: str, seed: int) -> str:
    return f"sample {seed} for {len(prompt)} chars. The answer is {seed % 3}."


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


def test_rerun_is_a_cache_hit_and_still_counts_as_work():
    lm = scripted_lm(by_seed, batch_samples=False)
    first, second = BudgetMeter(), BudgetMeter()
    with first.active():
        texts = sample(lm, MESSAGES, n=3, seed=1)
    with second.active():
        again = sample(lm, MESSAGES, n=3, seed=1)
    assert again == texts
    assert lm.provider_fake.calls == 3  # the rerun never reached the provider
    assert second.spent()["cache_hits"] == 3
    assert second.spent()["completion_tokens"] == first.spent()["completion_tokens"] > 0
    assert second.spent()["prompt_tokens"] == first.spent()["prompt_tokens"] > 0


def test_a_different_seed_is_not_a_cache_hit():
    lm = scripted_lm(by_seed)
    sample(lm, MESSAGES, n=2, seed=1)
    sample(lm, MESSAGES, n=2, seed=2)
    assert lm.provider_fake.calls == 2


def test_token_limit_is_checked_before_the_call():
    lm = scripted_lm(by_seed, max_tokens=100)
    meter = BudgetMeter(Budget(tokens=150))
    with meter.active(), pytest.raises(BudgetExceeded, match="tokens"):
        sample(lm, MESSAGES, n=2, seed=0)  # worst case 2 x 100 completion tokens > 150
    assert lm.provider_fake.calls == 0
    assert meter.spent()["tokens"] == 0 and meter.remaining("tokens") == 150


def test_token_reservation_is_settled_after_the_call():
    lm = scripted_lm(by_seed, max_tokens=50)
    meter = BudgetMeter(Budget(tokens=1000))
    with meter.active():
        sample(lm, MESSAGES, n=2, seed=0)
    assert meter.remaining("tokens") == 1000 - meter.spent()["tokens"]


def test_n_below_one_is_refused():
    with pytest.raises(ValueError, match="n must be >= 1, got 0"):
        sample(scripted_lm(by_seed), MESSAGES, n=0)


def test_meter_is_reported_from_worker_threads():
    lm = scripted_lm(by_seed, batch_samples=False, concurrency=2)
    meter = BudgetMeter()
    with meter.active():
        sample(lm, MESSAGES, n=6, seed=0)
    assert meter.spent()["lm_calls"] == 6


def test_dspy_modules_run_on_it_and_are_metered():
    import dspy

    lm = scripted_lm(lambda prompt, seed: f"[[ ## answer ## ]]\n{seed}\n\n[[ ## completed ## ]]")
    meter = BudgetMeter()
    with dspy.context(lm=lm), meter.active():
        prediction = dspy.Predict("question -> answer")(question="2 + 2?", config={"seed": 4})
    assert prediction.answer == "4"
    assert meter.spent()["lm_calls"] == 1 and meter.spent()["prompt_tokens"] > 0


def test_lm_survives_pickling_for_dspy_save_and_copy():
    import copy
    import pickle

    from ttc_modules.lm import TTCLM

    lm = TTCLM("local/smollm2-135m-instruct", concurrency=3)
    clone = pickle.loads(pickle.dumps(lm))
    assert clone.concurrency == 3 and clone.model == lm.model
    assert copy.deepcopy(lm).params == lm.params
