"""One model at several endpoints through LiteLLM's Router (``ttc_modules/lm/router.py``), against real
servers on 127.0.0.1: requests spread over them; a deployment killed mid-evaluation changes nothing in
the results and counts nothing twice; one that is down from the start is cooled down and skipped;
the cache, keys, text models and fallbacks behave as with one endpoint."""

from __future__ import annotations

import asyncio
import json
import pickle
import subprocess
import sys
import threading
import time

import pytest

from tests.lm.helpers import MESSAGES
from ttc_modules.config import ConfigError, load_settings
from ttc_modules.evaluation.datasets import load_synthetic
from ttc_modules.evaluation.harness import Evaluation
from ttc_modules.lm import BackendError, backend_identity, build_lm, sample
from ttc_modules.lm.cache import configure_cache
from ttc_modules.ports import bound_port
from ttc_modules.testing import OpenAIStubServer, StubServerProcess
from ttc_modules.verifiers import ArithmeticChecker

pytestmark = pytest.mark.integration


def settings_for(tmp_path, endpoints: list[str], cache: str = "cache", backend: dict | None = None, **sections):
    """Settings whose backend is ``openai/stub-model`` at each of ``endpoints``, with quick retries."""
    fields = {"model": "openai/stub-model", "max_tokens": 64,
              "deployments": [{"api_base": url} for url in endpoints], **(backend or {})}
    return load_settings(overrides={"backend": fields, "cache": {"dir": str(tmp_path / cache)},
                                    "retry": {"initial_wait": 0.01, "max_wait": 0.05}, **sections})


def evaluate(settings, out_dir) -> tuple[list[dict], dict]:
    """An evaluation of 6 synthetic questions (a bank strategy and a step-level search: about 300 requests)
    on ``settings``' backend, from ``settings``' cache: its result rows, sorted, and its summary."""
    configure_cache(settings)
    summary = Evaluation(load_synthetic(6, levels=[1, 2]), build_lm(settings), ArithmeticChecker(),
                         ["majority", "beam_search"], [4], out_dir, progress=False, workers=4).run()
    rows = [json.loads(line) for line in (out_dir / "results.jsonl").read_text().splitlines()]
    return sorted(rows, key=lambda row: (row["id"], row["strategy"], row["budget"])), summary


def test_requests_spread_over_the_deployments(tmp_path):
    with OpenAIStubServer() as a, OpenAIStubServer() as b, OpenAIStubServer() as c:
        lm = build_lm(settings_for(tmp_path, [a.base_url, b.base_url, c.base_url]))
        for i in range(30):
            sample(lm, [{"role": "user", "content": f"What is {i} + 2?"}], n=2, seed=0)
        assert all(server.count > 0 for server in (a, b, c)) and a.count + b.count + c.count == 30


def test_a_deployment_killed_mid_evaluation_changes_nothing(tmp_path):
    with OpenAIStubServer(delay=0.02) as a, OpenAIStubServer(delay=0.02) as b, \
            StubServerProcess(delay=0.02) as victim:
        endpoints = [a.base_url, b.base_url, victim.base_url]
        fault_free, fault_free_summary = evaluate(settings_for(tmp_path, endpoints, "cache-1"), tmp_path / "run-1")
        survivors_before = a.count + b.count
        killer = threading.Thread(target=_kill_when, args=(victim, lambda: a.count + b.count >= survivors_before + 20))
        killer.start()
        rows, summary = evaluate(settings_for(tmp_path, endpoints, "cache-2"), tmp_path / "run-2")
        killer.join()
    assert victim.process.returncode == -9  # killed while the evaluation ran
    assert rows == fault_free  # the same answers, grades, tokens and generations: nothing counted twice
    assert (summary["tokens"], summary["backend_calls"]) == (fault_free_summary["tokens"],
                                                             fault_free_summary["backend_calls"])


def _kill_when(victim: StubServerProcess, ready, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready() and time.monotonic() < deadline:
        time.sleep(0.005)
    victim.kill()


def test_a_deployment_down_from_the_start_is_cooled_down_and_skipped(tmp_path):
    with OpenAIStubServer() as a, OpenAIStubServer() as b, OpenAIStubServer(failures=[503] * 1000) as down:
        lm = build_lm(settings_for(tmp_path, [a.base_url, b.base_url, down.base_url]))
        for i in range(30):
            assert sample(lm, [{"role": "user", "content": f"What is {i} + 2?"}], n=2, seed=0)
        assert down.count == 1  # one failure, then cooled down for routing.cooldown_time
        assert a.count + b.count == 30


def test_an_endpoint_nobody_listens_at_is_skipped(tmp_path):
    nowhere = f"http://127.0.0.1:{bound_port()}/v1"
    with OpenAIStubServer() as a, OpenAIStubServer() as b:
        lm = build_lm(settings_for(tmp_path, [a.base_url, b.base_url, nowhere]))
        for i in range(20):
            assert sample(lm, [{"role": "user", "content": f"What is {i} + 2?"}], n=2, seed=0)
        assert a.count + b.count == 20


def test_routed_answers_equal_one_endpoints_and_are_cached_under_the_deployments(tmp_path):
    with OpenAIStubServer() as a, OpenAIStubServer() as b:
        one = build_lm(load_settings(overrides={"backend": {"model": "openai/stub-model", "max_tokens": 64,
                                                             "api_base": a.base_url}}))
        routed = build_lm(settings_for(tmp_path, [a.base_url, b.base_url]))
        assert routed(messages=MESSAGES, n=3, seed=5) == one(messages=MESSAGES, n=3, seed=5)
        asked = a.count + b.count
        assert routed(messages=MESSAGES, n=3, seed=5) and a.count + b.count == asked  # from the cache
        assert asyncio.run(routed.acall(messages=MESSAGES, n=3, seed=5)) and a.count + b.count == asked
        identity = backend_identity(routed)
        assert identity["deployments"]["groups"]["deployments"] == sorted(
            [["openai/stub-model", server.base_url] for server in (a, b)])


def test_each_deployment_sends_its_own_key(tmp_path, monkeypatch):
    monkeypatch.setenv("KEY_A", "secret-a")
    monkeypatch.setenv("KEY_B", "secret-b")
    with OpenAIStubServer(api_key="secret-a") as a, OpenAIStubServer(api_key="secret-b") as b:
        settings = settings_for(tmp_path, [], backend={"deployments": [
            {"api_base": a.base_url, "api_key_env": "KEY_A"}, {"api_base": b.base_url, "api_key_env": "KEY_B"}]})
        lm = build_lm(settings)
        for i in range(12):
            sample(lm, [{"role": "user", "content": f"What is {i} + 2?"}], n=1, seed=0)
        assert a.count > 0 and b.count > 0 and len(a.answered) + len(b.answered) == 12
        assert "secret" not in json.dumps(backend_identity(lm)) and b"secret" not in pickle.dumps(lm)


def test_a_text_model_gets_the_prompt_one_endpoint_gets(tmp_path):
    with OpenAIStubServer() as a, OpenAIStubServer() as b:
        text = {"model_type": "text"}
        one = build_lm(load_settings(overrides={"backend": {"model": "openai/stub-model", "max_tokens": 64,
                                                             "api_base": a.base_url, **text}}))
        routed = build_lm(settings_for(tmp_path, [a.base_url, b.base_url], backend=text))
        assert routed.prompt_style == one.prompt_style == "few_shot_text"
        assert routed(messages=MESSAGES, seed=1) == one(messages=MESSAGES, seed=1)
        prompts = [request["prompt"] for request in a.requests + b.requests]
        assert len(prompts) == 2 and prompts[0] == prompts[1]


def test_all_deployments_failing_falls_back_to_another_backend(tmp_path):
    with OpenAIStubServer(failures=[500] * 1000) as broken, OpenAIStubServer() as spare:
        settings = settings_for(tmp_path, [broken.base_url], backend={"routing": {"fallbacks": ["spare"]}},
                                backends={"spare": {"model": "openai/stub-model", "api_base": spare.base_url}})
        assert build_lm(settings)(messages=MESSAGES, seed=3)
        assert spare.count == 1


def test_a_hosted_fallback_without_an_endpoint_is_named_in_the_identity(tmp_path, monkeypatch):
    monkeypatch.setenv("HOSTED_KEY", "sk-hosted")
    settings = settings_for(tmp_path, ["http://127.0.0.1:2/v1", "http://127.0.0.1:3/v1"],
                            backend={"routing": {"fallbacks": ["hosted"]}},
                            backends={"hosted": {"model": "openai/gpt-4o-mini", "api_key_env": "HOSTED_KEY"}})
    identity = backend_identity(build_lm(settings))["deployments"]
    assert identity["groups"]["hosted"] == [["openai/gpt-4o-mini", ""]] and identity["fallbacks"] == ["hosted"]
    assert "sk-hosted" not in json.dumps(identity)


def test_a_routed_lm_unpickled_in_another_process_builds_its_router_there(tmp_path):
    with OpenAIStubServer() as a, OpenAIStubServer() as b:
        lm = build_lm(settings_for(tmp_path, [a.base_url, b.base_url]), cache=False)
        script = ("import pickle, sys; lm = pickle.loads(sys.stdin.buffer.read()); "
                  "print(len(lm(messages=[{'role': 'user', 'content': 'What is 1 + 1?'}], n=2, seed=0)))")
        done = subprocess.run([sys.executable, "-c", script], input=pickle.dumps(lm), capture_output=True, timeout=120)
        assert done.stdout.decode().strip() == "2", done.stderr.decode()[-2000:]
        assert a.count + b.count == 1


@pytest.mark.parametrize("backend, needle", [
    ({"api_base": "http://127.0.0.1:1/v1"}, "api_base and deployments are both set"),
    ({"routing": {"fallbacks": ["nowhere"]}}, "routing.fallbacks of 'openai/stub-model': unknown model or backend"),
    ({"deployments": [{"api_base": "http://127.0.0.1:1/v1", "api_key_env": "NOT_SET_ANYWHERE"}]},
     "reads its key from $NOT_SET_ANYWHERE, which is not set"),
    ({"model": "local/smollm2-135m-instruct"}, "is embedded"),
    ({"routing": {"strategy": "fastest"}}, "backend.routing.strategy"),
])
def test_bad_routing_config_is_one_clear_error(tmp_path, backend, needle):
    with pytest.raises(ConfigError, match=needle.replace("$", r"\$").replace("(", r"\(")):
        build_lm(settings_for(tmp_path, ["http://127.0.0.1:2/v1"] if "deployments" not in backend else [],
                              backend=backend))


def test_every_deployment_down_is_one_line_naming_them(tmp_path):
    nowhere = [f"http://127.0.0.1:{bound_port()}/v1" for _ in range(2)]
    lm = build_lm(settings_for(tmp_path, nowhere, retry={"attempts": 2, "initial_wait": 0.01, "max_wait": 0.05}))
    with pytest.raises(BackendError) as failed:
        lm(messages=MESSAGES, seed=1)
    message = str(failed.value)
    assert "openai/stub-model on 2 deployments" in message and all(url in message for url in nowhere)
    assert "backend.deployments" in message and "ttc-router/" not in message and "api_base" not in message
