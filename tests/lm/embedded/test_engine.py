"""The engine under concurrent load: each request gets what it asked for, and failures stay its own."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from ttc_modules.lm.embedded import EMBEDDED_MODELS
from ttc_modules.lm.embedded.engine import EngineRequestError, LocalEngine, RequestCancelled
from ttc_modules.lm.embedded.gguf_metadata import read_metadata

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def engine():
    """SmolLM2 with 4 slots of 4,096 tokens: few enough that the tests below fill them."""
    return LocalEngine.load(EMBEDDED_MODELS["smollm2-135m-instruct"].locate(), n_ctx=4096, slots=4)


def chat(text: str, **options) -> dict:
    return {"messages": [{"role": "user", "content": text}], **options}


REQUESTS = [
    chat("Count from 1 to 20.", max_tokens=40, temperature=0, stop=[" 5"]),
    chat("Tom has 3 apples and buys 4 more. How many apples?", max_tokens=7, temperature=0.9, seed=3, n=3),
    chat("Write a poem about the sea.", max_tokens=12, temperature=1.2, seed=9, logprobs=True, top_logprobs=2),
    chat("Name a colour.", max_tokens=5, temperature=0, n=2),
]


def test_concurrent_requests_each_get_their_own_stops_lengths_counts_and_logprobs(engine):
    alone = [engine.complete(request, chat=True) for request in REQUESTS]
    with ThreadPoolExecutor(len(REQUESTS)) as pool:
        together = list(pool.map(lambda request: engine.complete(request, chat=True), REQUESTS))
    for done in (alone, together):
        counting, apples, poem, colour = done
        assert " 5" not in counting.samples[0].text and counting.samples[0].finish_reason == "stop"
        assert len(apples.samples) == 3 and all(s.completion_tokens <= 7 for s in apples.samples)
        assert len({s.text for s in apples.samples}) > 1  # seeds 3, 4, 5
        assert [len(s.logprobs) for s in poem.samples] == [poem.samples[0].completion_tokens]
        assert all(len(t["top_logprobs"]) == 2 for t in poem.samples[0].logprobs)
        assert colour.samples[0].text == colour.samples[1].text  # greedy
        assert all(s.logprobs is None for s in counting.samples + apples.samples)
        assert all(d.prompt_tokens > 10 for d in done)
    # each slot has KV cells of its own, so what shares the batch changes no text (benchmarks/batch_invariance.py)
    assert [[s.text for s in d.samples] for d in together] == [[s.text for s in d.samples] for d in alone]


def test_sample_i_of_a_request_is_the_one_sample_request_with_seed_plus_i_even_beyond_the_slots(engine):
    request = chat("Tom has 3 apples and buys 4 more. How many apples?", max_tokens=6, temperature=1.0)
    many = engine.complete({**request, "n": 6, "seed": 20}, chat=True).samples  # 6 > 4 slots: two parts
    singles = [engine.complete({**request, "seed": 20 + i}, chat=True).samples[0] for i in (0, 5)]
    assert [many[0].text, many[5].text] == [s.text for s in singles]


def test_a_prompt_longer_than_the_context_fails_alone(engine):
    good = chat("Count from 1 to 20.", max_tokens=30, temperature=0)
    expected = engine.complete(good, chat=True).samples[0].text
    with ThreadPoolExecutor(3) as pool:
        first = pool.submit(engine.complete, good, True)
        bad = pool.submit(engine.complete, {"prompt": "apple " * 5000, "max_tokens": 4}, False)
        second = pool.submit(engine.complete, good, True)
        with pytest.raises(EngineRequestError, match="exceeds the available context size") as error:
            bad.result()
        assert error.value.kind == "exceed_context_size_error"
        assert first.result().samples[0].text == second.result().samples[0].text == expected


def _long(max_tokens: int = 3000) -> dict:
    return {"prompt": "Once upon a time", "max_tokens": max_tokens, "temperature": 1.0, "ignore_eos": True}


def test_a_request_that_times_out_mid_batch_frees_its_slot():
    one_slot = LocalEngine.load(EMBEDDED_MODELS["smollm2-135m-instruct"].locate(), n_ctx=4096, slots=1)
    with pytest.raises(RequestCancelled, match="no answer within 0.5 s of decoding"):
        one_slot.complete(_long(), timeout=0.5)
    start = time.monotonic()
    one_slot.complete({"prompt": "Hello", "max_tokens": 4})
    # with the slot still taken this would wait for 3,000 tokens (tens of seconds on 2 cores)
    assert time.monotonic() - start < 10


def test_time_waiting_for_a_slot_does_not_count_against_the_timeout():
    one_slot = LocalEngine.load(EMBEDDED_MODELS["smollm2-135m-instruct"].locate(), n_ctx=4096, slots=1)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(one_slot.complete, _long(max_tokens=300))
        time.sleep(0.1)  # the first request has the only slot
        start = time.monotonic()
        second = one_slot.complete({"prompt": "Hello", "max_tokens": 4}, timeout=0.5)
        waited = time.monotonic() - start
        assert first.result().samples[0].completion_tokens == 300
    assert second.samples[0].completion_tokens >= 1 and waited > 0.5


def test_a_cancelled_request_stops_and_frees_its_slot():
    one_slot = LocalEngine.load(EMBEDDED_MODELS["smollm2-135m-instruct"].locate(), n_ctx=4096, slots=1)
    cancelled = threading.Event()
    threading.Timer(0.5, cancelled.set).start()
    with pytest.raises(RequestCancelled, match="cancelled"):
        one_slot.complete(_long(), cancelled=cancelled)
    start = time.monotonic()
    one_slot.complete({"prompt": "Hello", "max_tokens": 4})
    assert time.monotonic() - start < 10


def test_embeddings_of_a_prompt(engine):
    first, again, other = engine.embed(["2 + 2 = 4", "2 + 2 = 4", "The sea is blue."])
    assert len(first) == 576 and first == again and first != other


CHATS = [
    [{"role": "user", "content": "Name a colour."}],
    [{"role": "system", "content": "Answer in one word."}, {"role": "user", "content": "Name a fruit."}],
    [{"role": "user", "content": "Tom has 3 apples and buys 4 more. How many apples?"},
     {"role": "assistant", "content": "3 + 4 ="}],  # continued, not answered anew
]


@pytest.mark.parametrize("messages", CHATS)
def test_a_chat_is_the_prompt_llama_cpps_own_chat_path_makes(engine, messages):
    request = {"messages": messages, "max_tokens": 12, "temperature": 0}
    ours = engine.complete(request, chat=True)
    theirs = engine._server.handle_chat_completions(request)  # llama.cpp renders it; its reply repeats a prefill
    prefill = messages[-1]["content"] if messages[-1]["role"] == "assistant" else ""
    assert ours.prompt_tokens == theirs["usage"]["prompt_tokens"]
    assert prefill + ours.samples[0].text == theirs["choices"][0]["message"]["content"]


def test_each_sample_says_whether_the_model_ended_its_text_or_a_stop_string_ended_it(engine):
    counting = engine.complete(chat("Count from 1 to 20.", max_tokens=40, temperature=0, stop=[" 5"]), chat=True)
    answered = engine.complete(chat("What is 2 + 2? Answer with a number only.", max_tokens=40, temperature=0,
                                    stop=["\n\n"]), chat=True)
    assert counting.samples[0].stop_reason == " 5"
    assert answered.samples[0].finish_reason == "stop" and answered.samples[0].stop_reason is None
    assert read_metadata(engine.path)["tokenizer.ggml.eos_token_id"] in engine.end_tokens
