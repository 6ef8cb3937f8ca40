"""A real OpenAI-compatible HTTP server on 127.0.0.1, reached through LiteLLM's openai/ provider."""

import pytest

from tests.lm.helpers import MESSAGES
from ttc_modules.budget import BudgetMeter
from ttc_modules.lm import TTCLM, BackendError, sample
from ttc_modules.testing import OpenAIStubServer

pytestmark = pytest.mark.integration


@pytest.fixture
def server():
    with OpenAIStubServer(api_key="secret") as running:
        yield running


def lm_for(server, key="secret", model="openai/stub-model", **kwargs):
    kwargs.setdefault("retry_initial_wait", 0.01)
    kwargs.setdefault("retry_max_wait", 0.05)
    return TTCLM(model, api_base=server.base_url, api_key=key, temperature=0.8, max_tokens=64, **kwargs)


def test_n_samples_in_one_request_and_a_rerun_from_the_cache(server):
    lm = lm_for(server)
    meter = BudgetMeter()
    texts = sample(lm, MESSAGES, n=3, seed=1)
    assert len(texts) == 3 and len(set(texts)) > 1 and server.count == 1
    assert server.requests[0]["n"] == 3 and server.requests[0]["seed"] == 1
    with meter.active():
        assert sample(lm, MESSAGES, n=3, seed=1) == texts
    assert server.count == 1 and meter.spent()["cache_hits"] == 1 and meter.spent()["completion_tokens"] > 0


def test_429_and_500_are_retried(server):
    server.fail_next(429, 500)
    texts = sample(lm_for(server), MESSAGES, n=1, seed=2)
    assert texts and server.count == 3


def test_retries_are_not_stacked(server):
    server.fail_next(500, 500, 500, 500, 500, 500)
    with pytest.raises(BackendError, match="kept failing"):
        sample(lm_for(server, retry_attempts=3), MESSAGES, n=1, seed=3)
    assert server.count == 3  # our three attempts, nothing retried underneath them


def test_401_fails_at_once_with_the_fix(server):
    with pytest.raises(BackendError) as info:
        sample(lm_for(server, key="wrong"), MESSAGES, n=1, seed=4)
    assert server.count == 1
    message = str(info.value)
    assert "authentication failed" in message and "openai/stub-model" in message and "api_key_env" in message
    assert "\n" not in message and "wrong" not in message


def test_400_is_not_retried(server):
    server.fail_next(400)
    with pytest.raises(BackendError, match="rejected"):
        sample(lm_for(server), MESSAGES, n=1, seed=5)
    assert server.count == 1


def test_unknown_model_is_named(server):
    with pytest.raises(BackendError, match="unknown model 'openai/no-such-model'"):
        sample(lm_for(server, model="openai/no-such-model"), MESSAGES, n=1, seed=6)
    assert server.count == 1


def test_unreachable_server_says_so():
    with OpenAIStubServer() as stopped:
        base = stopped.base_url
    lm = TTCLM("openai/stub-model", api_base=base, api_key="k", retry_attempts=2, retry_initial_wait=0.01,
               retry_max_wait=0.02, max_tokens=16)
    with pytest.raises(BackendError, match="cannot reach|kept failing"):
        sample(lm, MESSAGES, n=1, seed=7)


@pytest.mark.parametrize("handling", ["ignore", "reject"])
def test_a_server_that_ignores_or_rejects_n_is_topped_up(handling):
    with OpenAIStubServer(n=handling) as one_choice:
        lm = lm_for(one_choice, key=None)
        texts = sample(lm, MESSAGES, n=3, seed=8)
        assert len(texts) == 3 and len(set(texts)) == 3
        rejected = handling == "reject"  # the request with n refused, then sent again with n=1
        assert one_choice.count == 3 + rejected  # one answer to the request with n, one request per missing sample
        sample(lm, MESSAGES, n=3, seed=20)
        assert one_choice.count == 6 + rejected  # refused once only: n is not sent again


def test_the_key_is_never_written_to_the_cache(server, tmp_path):
    import dspy

    lm = TTCLM("openai/stub-model", api_base=server.base_url, api_key="secret", max_tokens=16)
    sample(lm, MESSAGES, n=2, seed=9)
    dspy.cache.reset_memory_cache()
    cache_dir = tmp_path / "cache"
    written = b"".join(p.read_bytes() for p in cache_dir.rglob("*") if p.is_file())
    assert written and b"secret" not in written
    assert "secret" not in str(lm.history[-1]["kwargs"])


def test_a_dropped_connection_is_retried(server):
    server.fail_next(0)
    assert sample(lm_for(server), MESSAGES, n=1, seed=10) and server.count == 2


def test_timeouts_are_retried_then_reported():
    with OpenAIStubServer(delay=1.0) as slow:
        lm = TTCLM("openai/stub-model", api_base=slow.base_url, api_key="k", timeout=0.2, retry_attempts=2,
                   retry_initial_wait=0.01, retry_max_wait=0.02, max_tokens=16)
        with pytest.raises(BackendError, match="stub-model"):
            sample(lm, MESSAGES, n=1, seed=11)
        assert slow.count == 2


@pytest.mark.parametrize("model_type", ["chat", "text"])
def test_vllms_stop_reason_says_which_samples_the_model_ended(model_type):
    def responder(prompt, index, seed, temperature):  # sample 0 stops at the delimiter, sample 1 ends
        return "2 + 2 = 4.\n\nThe answer is 4." if index == 0 else "2 + 2 = 4."

    with OpenAIStubServer(responder=responder, stop_reasons=True) as vllm, OpenAIStubServer(responder=responder) as api:
        lms = {"vllm": lm_for(vllm, model_type=model_type), "api": lm_for(api, model_type=model_type)}
        ended = {name: sample(lm, MESSAGES, n=2, seed=1, stop=["\n\n"]).ended for name, lm in lms.items()}
        again = sample(lms["vllm"], MESSAGES, n=2, seed=1, stop=["\n\n"])  # from the cache
        assert vllm.count == 1
    assert ended == {"vllm": [False, True], "api": [False, False]}  # a hosted API cannot say
    assert again.ended == [False, True]


@pytest.mark.parametrize("model,model_type", [("openai/stub-model", "chat"), ("openai/stub-model", "text"),
                                              ("hosted_vllm/stub-model", "chat"), ("hosted_vllm/stub-model", "text")])
def test_a_server_that_needs_no_key_is_reached_without_one(model, model_type, monkeypatch):
    for name in ("OPENAI_API_KEY", "HOSTED_VLLM_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with OpenAIStubServer() as keyless:
        lm = TTCLM(model, api_base=keyless.base_url, model_type=model_type, max_tokens=16, cache=False,
                   retry_attempts=2, retry_initial_wait=0.01, retry_max_wait=0.02)
        assert sample(lm, MESSAGES, n=1, seed=12) and keyless.count == 1


def test_a_key_in_the_environment_is_not_replaced(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "from-env")
    with OpenAIStubServer(api_key="from-env") as keyed:
        lm = TTCLM("openai/stub-model", api_base=keyed.base_url, max_tokens=16, cache=False)
        assert sample(lm, MESSAGES, n=1, seed=13) and keyed.count == 1


def test_a_missing_key_for_a_hosted_api_fails_at_once_with_the_fix(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    lm = TTCLM("openai/gpt-4o-mini", max_tokens=16, cache=False, retry_attempts=3, retry_initial_wait=0.01)
    with pytest.raises(BackendError) as info:
        sample(lm, MESSAGES, n=1, seed=14)
    message = str(info.value)
    assert "no key for model 'openai/gpt-4o-mini'" in message and "api_key_env" in message and "\n" not in message


def test_an_option_the_endpoint_does_not_take_fails_at_once_with_the_fix(server):
    lm = lm_for(server, model_type="text", cache=False)
    with pytest.raises(BackendError, match="request option not accepted for model 'openai/stub-model'.*top_logprobs"):
        sample(lm, MESSAGES, n=1, seed=15, logprobs=True, top_logprobs=2)
    assert server.count == 0  # refused by the client library: never sent, never retried


def test_a_plain_dspy_lm_is_counted_and_held_to_its_budget(server):
    import dspy

    from ttc_modules import BestOfN
    from ttc_modules.budget import Budget, BudgetExceeded

    plain = dspy.LM("openai/stub-model", api_base=server.base_url, api_key="secret", cache=False, max_tokens=32)
    with dspy.context(lm=plain):
        prediction = BestOfN(n=2, selection="majority")(question="What is 2 + 3?")
        assert prediction.spent["lm_calls"] >= 1 and prediction.spent["tokens"] > 0
        calls = server.count
        with pytest.raises(BudgetExceeded, match="tokens"):
            BestOfN(n=2, selection="majority", budget=Budget(tokens=10))(question="What is 2 + 3?")
    assert server.count == calls  # refused before anything was sent
