"""TTCLM: cache hits still count, the token limit on the meter, DSPy modules on it, pickling."""

import pytest

from tests.lm.helpers import MESSAGES, by_seed
from ttc_modules.budget import Budget, BudgetExceeded, BudgetMeter
from ttc_modules.lm import TTCLM, sample
from ttc_modules.lm.identity import backend_identity
from ttc_modules.testing import scripted_lm


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


def test_building_an_lm_leaves_dspys_cache_where_the_program_put_it(tmp_path):
    import dspy

    from ttc_modules.config import load_settings
    from ttc_modules.lm import build_lm, configure_cache

    before = dspy.cache
    build_lm(load_settings(overrides={"cache.dir": str(tmp_path / "elsewhere")}))
    assert dspy.cache is before
    configure_cache(load_settings(overrides={"cache.dir": str(tmp_path / "asked")}))
    assert dspy.cache.disk_cache.directory == str(tmp_path / "asked" / "lm")


def test_the_prompt_style_is_the_lms_own():
    from ttc_modules.lm import TTCLM, prompt_style

    assert TTCLM("local/smollm2-135m-instruct").prompt_style == "few_shot_chat"
    assert TTCLM("local/gemma3-270m").prompt_style == "few_shot_text"
    assert TTCLM("openai/gpt-4o-mini").prompt_style == "signature"
    assert TTCLM("openai/my-base", prompt_style="few_shot_text").prompt_style == "few_shot_text"
    assert prompt_style(scripted_lm(by_seed)) == "few_shot_chat" and prompt_style(scripted_lm(by_seed, base=True)) == \
        "few_shot_text"


def test_an_embedded_models_identity_names_the_engine_build_and_a_servers_does_not():
    local = backend_identity(TTCLM("local/smollm2-135m-instruct"))
    assert local["engine"].startswith("xllamacpp ")
    assert "engine" not in backend_identity(TTCLM("openai/stub", api_base="http://127.0.0.1:9/v1"))


def test_the_default_lm_follows_the_settings(monkeypatch, tmp_path):
    from ttc_modules.lm import default_lm

    monkeypatch.setenv("TTC_BACKEND__MODEL", "openai/stub-model")
    monkeypatch.setenv("TTC_BACKEND__API_BASE", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("TTC_BACKEND__TEMPERATURE", "0.3")
    first = default_lm()
    assert default_lm() is first and first.kwargs["temperature"] == 0.3  # unchanged settings: the same LM
    monkeypatch.setenv("TTC_BACKEND__TEMPERATURE", "0.9")
    assert default_lm() is not first and default_lm().kwargs["temperature"] == 0.9  # a changed setting is seen
