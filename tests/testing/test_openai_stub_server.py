"""The stub server itself, spoken to with plain urllib."""

import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from ttc_modules.testing import OpenAIStubServer


def post(server, path, body, key=None):
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
    request = urllib.request.Request(server.base_url + path, json.dumps(body).encode(), headers)
    return json.load(urllib.request.urlopen(request, timeout=10))


def chat(**extra):
    return {"model": "stub-model", "messages": [{"role": "user", "content": "2 + 2?"}], **extra}


def test_choices_are_distinct_and_deterministic():
    with OpenAIStubServer() as server:
        first = post(server, "/chat/completions", chat(n=3, seed=1, temperature=0.8))
        again = post(server, "/chat/completions", chat(n=3, seed=1, temperature=0.8))
    texts = [c["message"]["content"] for c in first["choices"]]
    assert texts == [c["message"]["content"] for c in again["choices"]] and len(set(texts)) > 1
    assert first["usage"]["completion_tokens"] > 0


def test_stop_max_tokens_and_logprobs():
    with OpenAIStubServer() as server:
        cut = post(server, "/chat/completions", chat(stop=["+"]))["choices"][0]
        short = post(server, "/chat/completions", chat(max_tokens=2))["choices"][0]
        scored = post(server, "/chat/completions", chat(logprobs=True, top_logprobs=2))["choices"][0]
    assert "+" not in cut["message"]["content"] and cut["finish_reason"] == "stop"
    assert len(short["message"]["content"].split()) == 2 and short["finish_reason"] == "length"
    assert all(entry["logprob"] < 0 and len(entry["top_logprobs"]) == 2 for entry in scored["logprobs"]["content"])


def test_text_completions_and_models():
    with OpenAIStubServer() as server:
        text = post(server, "/completions", {"model": "stub-model", "prompt": "Q: 1 + 1?\nA:"})
        listing = json.load(urllib.request.urlopen(server.base_url + "/models"))
    assert text["choices"][0]["text"] and listing["data"][0]["id"] == "stub-model"


@pytest.mark.parametrize("path, status", [("/nowhere", 404)])
def test_unknown_path(path, status):
    with OpenAIStubServer() as server, pytest.raises(urllib.error.HTTPError) as info:
        post(server, path, chat())
    assert info.value.code == status and "error" in json.load(info.value)


def test_failures_in_order_then_success():
    with OpenAIStubServer(failures=[429, 500]) as server:
        codes = []
        for _ in range(3):
            try:
                post(server, "/chat/completions", chat())
                codes.append(200)
            except urllib.error.HTTPError as error:
                codes.append(error.code)
                if error.code == 429:
                    assert error.headers["Retry-After"] == "0"
    assert codes == [429, 500, 200] and server.count == 3


def test_wrong_key_is_401():
    with OpenAIStubServer(api_key="right") as server, pytest.raises(urllib.error.HTTPError) as info:
        post(server, "/chat/completions", chat(), key="wrong")
    assert info.value.code == 401 and json.load(info.value)["error"]["code"] == "invalid_api_key"


def test_concurrency_limit_holds_requests():
    with OpenAIStubServer(delay=0.2, concurrency=2) as server, ThreadPoolExecutor(4) as pool:
        start = time.perf_counter()
        list(pool.map(lambda _: post(server, "/chat/completions", chat()), range(4)))
        elapsed = time.perf_counter() - start
    assert elapsed >= 0.4  # two waves of two


def status_of(server, path, body, headers=None):
    request = urllib.request.Request(server.base_url + path, json.dumps(body).encode(),
                                     {"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_handler_is_a_module_level_class_reaching_its_server():
    from ttc_modules.testing.openai_stub_server import OpenAIStubHandler

    with OpenAIStubServer() as one, OpenAIStubServer(model="other") as two:
        assert status_of(one, "/chat/completions", chat()) == 200
        assert status_of(two, "/chat/completions", chat()) == 404  # each handler answers for its own server
    assert OpenAIStubHandler.__qualname__ == "OpenAIStubHandler"


def test_a_dropped_connection_has_no_answer_and_a_hang_answers_late():
    with OpenAIStubServer(failures=[0, -1], hang=0.3) as server:
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            post(server, "/chat/completions", chat())
        start = time.perf_counter()
        assert post(server, "/chat/completions", chat())["choices"]
        assert time.perf_counter() - start >= 0.3
        post(server, "/chat/completions", chat())
    assert server.count == 3 and len(server.answered) == 1  # the hung answer came too late to count


def test_what_the_server_stands_in_for_refuses():
    with OpenAIStubServer(api_key="k", rejected_params=("logprobs",), n="reject", prompt_lists="reject") as server:
        key = {"Authorization": "Bearer k"}
        assert status_of(server, "/chat/completions", chat(), {"x-api-key": "k"}) == 200
        assert status_of(server, "/chat/completions", chat(), {"x-api-key": "no"}) == 401
        assert status_of(server, "/chat/completions", {**chat(), "model": "gpt"}, key) == 404
        assert status_of(server, "/chat/completions", chat(logprobs=True), key) == 400
        assert status_of(server, "/chat/completions", chat(n=2), key) == 400
        assert status_of(server, "/completions", {"model": "stub-model", "prompt": ["a", "b"]}, key) == 400
        server.fail_next(503)
        assert status_of(server, "/chat/completions", chat(), {"x-api-key": "no"}) == 503  # the fault comes first
    assert server.count == 7 and len(server.answered) == 1


def test_n_ignored_gives_one_choice_and_prompt_lists_n_per_prompt():
    with OpenAIStubServer(n="ignore") as server:
        assert len(post(server, "/chat/completions", chat(n=3))["choices"]) == 1
    with OpenAIStubServer() as server:
        choices = post(server, "/completions", {"model": "stub-model", "prompt": ["a", "b"], "n": 2})["choices"]
    assert [choice["index"] for choice in choices] == [0, 1, 2, 3]


def test_anthropic_and_ollama_are_answered_in_their_shapes():
    with OpenAIStubServer(api_key="k") as server:
        anthropic = post_to(server, "/v1/messages", {"model": "stub-model", "max_tokens": 64, "messages": [
            {"role": "user", "content": "2 + 2?"}]}, {"x-api-key": "k"})
        ollama = post_to(server, "/api/chat", {"model": "stub-model", "messages": [
            {"role": "user", "content": "2 + 2?"}]}, {"Authorization": "Bearer k"})
    assert anthropic["type"] == "message" and anthropic["content"][0]["text"]
    assert ollama["done"] and ollama["message"]["content"]
    assert [request["n"] for request in server.requests] == [1, 1]


def post_to(server, path, body, headers):
    request = urllib.request.Request(server.url + path, json.dumps(body).encode(),
                                     {"Content-Type": "application/json", **headers})
    return json.load(urllib.request.urlopen(request, timeout=10))


def test_seeded_fault_rates_replay():
    def codes(seed):
        with OpenAIStubServer(fault_rates={429: 0.3, 500: 0.3}, seed=seed) as server:
            return [status_of(server, "/chat/completions", chat()) for _ in range(12)]

    assert codes(1) == codes(1) and {429, 500, 200} <= set(codes(1) + codes(2))
