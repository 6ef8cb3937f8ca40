"""``ttc serve`` under bad input and trouble: OpenAI's error JSON, one clear message, the right status."""

import asyncio

import httpx
import openai
import pytest

from planners import policy_program
from tests.serving.conftest import RunningApp, settings_for
from ttc_modules.config import ConfigError
from ttc_modules.serving import create_app
from ttc_modules.testing import OpenAIStubServer

pytestmark = pytest.mark.integration

QUESTION = [{"role": "user", "content": "What is 12 + 7?"}]


def post(server, body, headers=None, **kwargs):
    """POST ``body`` (JSON, or raw bytes sent as JSON) to the chat-completions route."""
    if isinstance(body, (bytes, str)):
        headers, kwargs["content"] = {"Content-Type": "application/json", **(headers or {})}, body
    else:
        kwargs["json"] = body
    return httpx.post(server.base_url + "/chat/completions", timeout=60, headers=headers, **kwargs)


def error_of(response, status: int) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and "\n" not in error["message"]
    return error["message"]


def test_malformed_json_wrong_types_and_no_question_are_400(serve):
    server = serve()
    assert "not JSON" in error_of(post(server, b"{not json"), 400)
    assert "messages" in error_of(post(server, {"model": "ttc", "messages": "hi"}), 400)
    assert "n='many' is not valid" in error_of(post(server, {"model": "ttc", "messages": QUESTION, "n": "many"}), 400)
    assert "user message" in error_of(post(server, {"model": "ttc", "messages": [{"role": "system", "content": "x"}]}),
                                      400)


def test_unknown_model_strategy_and_bad_options(serve):
    server = serve(served_models={"math": {"verifier": "arithmetic"}})
    assert "not served here" in error_of(post(server, {"model": "gpt-4o", "messages": QUESTION}), 404)
    assert "unknown strategy" in error_of(post(server, {"model": "math", "messages": QUESTION,
                                                        "ttc": {"strategy": "telepathy"}}), 400)
    assert "beam_width" in error_of(post(server, {"model": "math", "messages": QUESTION,
                                                  "ttc": {"strategy": "beam_search", "budget": 8, "beam_width": 3}}), 400)
    assert "too small for lookahead" in error_of(post(server, {"model": "math", "messages": QUESTION,
                                                               "ttc": {"strategy": "lookahead", "budget": 2}}), 400)
    for reserved, instead in (("n", "ttc.budget"), ("kind", "ttc.strategy"), ("seed", "seed")):
        assert instead in error_of(post(server, {"model": "math", "messages": QUESTION, "ttc": {reserved: 4}}), 400)


def test_unknown_routes_and_methods_answer_in_openai_s_error_json(serve):
    server = serve()
    assert "routes are" in error_of(httpx.get(server.base_url + "/chat/completions"), 405)
    assert "routes are" in error_of(httpx.post(server.base_url + "/completions", json={}), 404)


def test_a_body_over_the_limit_is_413(serve):
    server = serve(**{"serve.max_body_bytes": 2048})
    assert "2,048" in error_of(post(server, {"model": "ttc", "messages": [{"role": "user", "content": "x" * 4000}]}),
                               413)


def test_bearer_keys_when_configured(serve, monkeypatch):
    monkeypatch.setenv("TTC_SERVE_KEY", "sesame")
    server = serve(**{"serve.api_keys_env": ["TTC_SERVE_KEY"]})
    with pytest.raises(openai.AuthenticationError, match="API key"):
        openai.OpenAI(base_url=server.base_url, api_key="wrong").chat.completions.create(model="ttc", messages=QUESTION)
    reply = openai.OpenAI(base_url=server.base_url, api_key="sesame").chat.completions.create(model="ttc",
                                                                                                messages=QUESTION)
    assert reply.choices[0].message.content
    body = {"model": "ttc", "messages": QUESTION}
    assert post(server, body, headers={"Authorization": "bearer sesame"}).status_code == 200  # any case of the scheme
    assert "API key" in error_of(post(server, body, headers={"Authorization": "sesame"}), 401)  # no scheme
    assert httpx.get(server.url + "/health").status_code == 200  # health and metrics stay open to probes


def test_a_failing_backend_is_502_naming_the_model_and_the_kind_never_the_address(serve, backend, caplog):
    server = serve(**{"retry.attempts": 1})
    backend.fail_next(*[500] * 20)
    message = error_of(post(server, {"model": "ttc", "messages": QUESTION}), 502)
    assert "the backend of ttc failed (backend failure" in message
    assert backend.base_url.split("//")[1] not in message and "stub-model" not in message
    assert backend.base_url.split("//")[1] in caplog.text  # the log keeps the details


def test_a_search_past_the_timeout_is_504(tmp_path):
    with OpenAIStubServer(delay=2.0) as slow:
        settings = settings_for(slow, tmp_path, **{"serve.request_timeout": 0.5})
        with RunningApp(create_app(settings)) as server:
            assert "longer than 0.5 s" in error_of(post(server, {"model": "ttc", "messages": QUESTION}), 504)


def test_beyond_the_line_requests_are_refused_with_429(tmp_path):
    with OpenAIStubServer(delay=0.5) as slow:
        settings = settings_for(slow, tmp_path, **{"serve.max_concurrency": 1, "serve.max_queue": 1})
        with RunningApp(create_app(settings)) as server:
            async def five_at_once():
                async with httpx.AsyncClient(timeout=60) as client:
                    return await asyncio.gather(*(client.post(server.base_url + "/chat/completions", json={
                        "model": "ttc", "messages": [{"role": "user", "content": f"What is {i} + 1?"}]}) for i in range(5)))

            replies = asyncio.run(five_at_once())
    assert sorted(r.status_code for r in replies) == [200, 200, 429, 429, 429]  # one running, one in line
    assert all(r.headers["retry-after"] == "1" and "busy" in r.json()["error"]["message"]
               for r in replies if r.status_code == 429)


@pytest.mark.parametrize("entry, named", [
    ({"mean_budget": 4}, r"mean_budget \(4.0\) shares a fitted policy's budget across requests; set policy"),
    ({"policy": "p.json", "mean_budget": 0.5}, r"mean_budget \(0.5\) must be from 1 to max_budget \(64\)"),
    ({"policy": "p.json", "mean_budget": 4, "mean_budget_window": 0}, "mean_budget_window"),
])
def test_a_bad_mean_budget_is_one_line_naming_the_option(backend, tmp_path, entry, named):
    with pytest.raises(ConfigError, match=named) as caught:
        settings_for(backend, tmp_path, served_models={"math": entry})
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("entry, named", [
    ({"strategy": "telepathy"}, r"served_models.math.strategy: unknown strategy 'telepathy'"),
    ({"strategy": "beam_search"}, r"served_models.math: beam_search with these options needs a verifier; set "
                                  r"served_models.math.verifier"),
    ({"options": {"frist": 2}}, r"served_models.math.options: best_of_n has no option 'frist'"),
    ({"options": {"selection": "weighted"}}, r"served_models.math: best_of_n .* or "
                                             r"served_models.math.options.selection: majority"),
    ({"policy": "missing.json"}, "served_models.math: .*policy file not found")])
def test_a_bad_served_model_fails_at_start_naming_it(backend, tmp_path, entry, named):
    settings = settings_for(backend, tmp_path, served_models={"math": entry})
    with pytest.raises(ConfigError, match=named) as caught:
        create_app(settings, policy_program=policy_program)
    assert "ttc." not in str(caught.value)  # the config's words, not a request's
