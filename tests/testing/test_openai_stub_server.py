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
