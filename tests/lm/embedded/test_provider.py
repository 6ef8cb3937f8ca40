"""The embedded model for real: llama.cpp in process, reached through dspy.LM and LiteLLM."""

import asyncio
import threading
import time

import dspy
import litellm
import pytest

from ttc_modules.budget import BudgetMeter
from ttc_modules.lm import TTCLM, sample
from ttc_modules.lm import embedded as local
from ttc_modules.lm.embedded.provider import engine_for
from ttc_modules.lm.prompt_lists import sample_prompts

pytestmark = pytest.mark.integration

MODEL = "local/smollm2-135m-instruct"
QUESTION = [{"role": "user", "content": "Tom has 3 apples and buys 4 more. How many apples does he have?"}]


@pytest.fixture(scope="module", autouse=True)
def registered():
    local.register()


def test_dspy_lm_returns_n_distinct_samples_and_a_rerun_is_a_cache_hit():
    lm = TTCLM(MODEL, temperature=0.9, max_tokens=24)
    meter, again = BudgetMeter(), BudgetMeter()
    with meter.active():
        first = sample(lm, QUESTION, n=4, seed=3)
    assert len(first) == 4 and len(set(first)) > 1
    with again.active():
        second = sample(lm, QUESTION, n=4, seed=3)
    assert second == first
    assert meter.spent()["cache_hits"] == 0 and again.spent()["cache_hits"] == 1
    assert again.spent()["completion_tokens"] == meter.spent()["completion_tokens"] > 0
    assert meter.spent()["flops"] > 0  # the embedded model's size is known


def test_a_list_of_prompts_runs_at_once_each_as_it_would_alone():
    chats = [QUESTION, [{"role": "user", "content": "What is 12 + 7?"}],
             [*QUESTION, {"role": "assistant", "content": "Tom has"}]]  # a prefilled partial answer too
    lm = TTCLM(MODEL, temperature=0.9, max_tokens=12, cache=False)
    meter = BudgetMeter()
    with meter.active():
        together = sample_prompts(lm, chats, n=2, seed=5, stop=["\n\n"])
    alone = [sample(lm, chat, n=2, seed=5, stop=["\n\n"]) for chat in chats]
    assert [list(s) for s in together] == [list(s) for s in alone]
    assert [s.prompt_tokens for s in together] == [s.prompt_tokens for s in alone]  # exact, per prompt
    assert [s.ended for s in together] == [s.ended for s in alone]
    assert meter.spent()["completion_tokens"] == sum(s.completion_tokens for s in alone)


def test_plain_dspy_lm_takes_the_same_path():
    lm = dspy.LM(MODEL, engine="litellm", temperature=0.7, max_tokens=12, cache=False)
    outputs = lm(messages=QUESTION, n=3, seed=1)
    assert len(outputs) == 3 and all(isinstance(o, str) for o in outputs)


def test_same_seed_same_sample_without_cache():
    kwargs = dict(model=MODEL, messages=QUESTION, max_tokens=16, temperature=0.8, num_retries=0)
    one = litellm.completion(seed=11, n=1, **kwargs).choices[0].message.content
    two = litellm.completion(seed=11, n=2, **kwargs).choices[0].message.content
    assert one == two  # sample 0 of a batch equals a single sample with the same seed


def test_stop_sequences_max_tokens_and_usage():
    reply = litellm.completion(model=MODEL, messages=QUESTION, max_tokens=5, temperature=0, n=2, num_retries=0)
    assert all(c.finish_reason == "length" for c in reply.choices)
    assert reply.usage.completion_tokens == 10 and reply.usage.prompt_tokens > 10
    stopped = litellm.completion(model=MODEL, messages=QUESTION, max_tokens=40, temperature=0,
                                 stop=[" "], num_retries=0).choices[0]
    assert " " not in stopped.message.content and stopped.finish_reason == "stop"


def test_token_logprobs_for_judges():
    reply = litellm.completion(model=MODEL, messages=QUESTION, max_tokens=3, temperature=0, logprobs=True,
                               top_logprobs=3, num_retries=0)
    content = reply.choices[0].logprobs.content
    assert len(content) == 3
    assert all(t.logprob <= 0 and len(t.top_logprobs) == 3 for t in content)
    assert content[0].top_logprobs[0].logprob == pytest.approx(content[0].logprob)  # greedy picks the top


def test_top_p_and_temperature_change_the_samples():
    kwargs = dict(model=MODEL, messages=QUESTION, max_tokens=12, n=4, seed=5, num_retries=0)
    greedy = {c.message.content for c in litellm.completion(temperature=0, **kwargs).choices}
    hot = {c.message.content for c in litellm.completion(temperature=1.2, top_p=0.95, **kwargs).choices}
    assert len(greedy) == 1 and len(hot) > 1


def test_safe_from_several_threads():
    results, errors = [], []

    def ask(seed):
        try:
            results.append(litellm.completion(model=MODEL, messages=QUESTION, max_tokens=8, seed=seed,
                                              num_retries=0).choices[0].message.content)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(s,)) for s in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(results) == 4


def test_model_loads_once_per_process():
    first = engine_for(MODEL)[1]
    assert engine_for(MODEL)[1] is first


def test_base_model_plain_text_completion():
    reply = litellm.text_completion(model="local/gemma3-270m", max_tokens=12, temperature=0, num_retries=0,
                                    prompt="Question: What is 2 + 3?\nAnswer: 2 + 3 = 5. The answer is 5.\n\n"
                                           "Question: What is 4 + 4?\nAnswer:", stop=["\nQuestion:"])
    assert reply.choices[0].text.startswith(" 4 + 4 =")  # it continues the few-shot text


def test_unknown_embedded_model_is_not_found():
    with pytest.raises(litellm.NotFoundError, match="unknown embedded model 'local/nope'"):
        litellm.completion(model="local/nope", messages=QUESTION, num_retries=0)


def test_missing_gguf_file_names_the_path(tmp_path):
    local.add_model("ghost", tmp_path / "ghost.gguf")
    with pytest.raises(litellm.NotFoundError, match="ghost.gguf"):
        litellm.completion(model="local/ghost", messages=QUESTION, num_retries=0)


def test_prompt_longer_than_the_context_is_a_context_error(tmp_path):
    local.add_model("tiny-ctx", local.EMBEDDED_MODELS["smollm2-135m-instruct"].locate(), n_ctx=64)
    long = [{"role": "user", "content": "apple " * 600}]
    with pytest.raises(litellm.ContextWindowExceededError, match="exceeds the available context size"):
        litellm.completion(model="local/tiny-ctx", messages=long, max_tokens=4, num_retries=0)


def test_embeddings_through_litellm():
    reply = litellm.embedding(model=MODEL, input=["2 + 2 = 4", "The sea is blue."])
    first, second = (item["embedding"] for item in reply.data)
    assert len(first) == len(second) == 576 and first != second


STORY = [{"role": "user", "content": "Write a very long story about a dragon, in many chapters."}]


def test_a_timeout_stops_the_request_and_frees_its_slot():
    local.add_model("one-slot", local.EMBEDDED_MODELS["smollm2-135m-instruct"].locate(), slots=1)
    with pytest.raises(litellm.Timeout, match="no answer within"):
        litellm.completion(model="local/one-slot", messages=STORY, max_tokens=1500, temperature=0.8, seed=1,
                           timeout=0.5, num_retries=0)
    start = time.monotonic()
    litellm.completion(model="local/one-slot", messages=QUESTION, max_tokens=4, num_retries=0)
    assert time.monotonic() - start < 10  # not behind the rest of a 1,500-token story


def test_a_cancelled_async_call_stops_its_request_and_frees_its_slot():
    local.add_model("one-slot-async", local.EMBEDDED_MODELS["smollm2-135m-instruct"].locate(), slots=1)
    call = litellm.acompletion(model="local/one-slot-async", messages=STORY, max_tokens=1500, temperature=0.8,
                               seed=1, num_retries=0)
    with pytest.raises(TimeoutError):
        asyncio.run(asyncio.wait_for(call, 0.5))
    start = time.monotonic()
    litellm.completion(model="local/one-slot-async", messages=QUESTION, max_tokens=4, num_retries=0)
    assert time.monotonic() - start < 10
