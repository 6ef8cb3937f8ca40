"""``ttc serve`` in operation: metrics, progress while streaming, a served policy, load, restarts and
graceful shutdown of the real command."""

import asyncio
import json
import signal
import threading
import time

import httpx
import openai
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from planners import ComputeOptimalPlanner, Plan, VerifierDifficulty, policy_program
from tests.serving.conftest import RunningApp, settings_for
from ttc_modules.serving import create_app
from ttc_modules.testing import OpenAIStubServer, ServeCommand

pytestmark = pytest.mark.integration

QUESTION = [{"role": "user", "content": "What is 12 + 7?"}]


def ask(base_url: str, question: str = "What is 12 + 7?", **body):
    return httpx.post(base_url + "/chat/completions", timeout=120,
                      json={"model": "ttc", "messages": [{"role": "user", "content": question}], **body})


def test_metrics_count_requests_generations_tokens_and_cache_hits(serve):
    server = serve()
    assert ask(server.base_url).status_code == 200 and ask(server.base_url).status_code == 200  # the second from the cache
    assert ask(server.base_url, question="What is 3 + 4?").status_code == 200
    httpx.post(server.base_url + "/chat/completions", json={"model": "nope", "messages": QUESTION})
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(httpx.get(server.url + "/metrics").text)
               for s in family.samples}
    assert samples[("ttc_requests_total", (("model", "ttc"), ("status", "200")))] == 3
    assert samples[("ttc_requests_total", (("model", "unknown"), ("status", "404")))] == 1  # refused, counted
    assert samples[("ttc_generations_total", (("model", "ttc"),))] == 24  # 8 each, the cached request too
    assert samples[("ttc_cache_hits_total", (("model", "ttc"),))] == 1  # the repeated request's one LM call
    assert samples[("ttc_tokens_total", (("kind", "completion"), ("model", "ttc")))] > 0
    assert samples[("ttc_request_seconds_count", (("model", "ttc"),))] == 3


def test_a_stream_sends_progress_while_it_searches(tmp_path):
    body = {"model": "ttc", "messages": QUESTION, "stream": True, "ttc": {"strategy": "revisions", "budget": 2}}
    with (OpenAIStubServer(delay=1.5) as slow, RunningApp(create_app(settings_for(slow, tmp_path))) as server,
          httpx.stream("POST", server.base_url + "/chat/completions", json=body, timeout=120) as response):
        lines = [line for line in response.iter_lines() if line]
    assert any(line.startswith(": searching") for line in lines)
    assert lines[-1] == "data: [DONE]" and json.loads(lines[-2][len("data: "):])["ttc"]["strategy"] == "revisions"


def test_a_served_policy_chooses_the_plan(serve, tmp_path):
    planner = ComputeOptimalPlanner(budgets=[4], bins=1, estimator=VerifierDifficulty(probes=2))
    planner.estimator.fit([0.5], 1)
    planner.policy = {(1, 4): Plan(kind="best_of_n", options={"n": 2, "selection": "weighted"})}
    planner.save(tmp_path / "policy.json")
    server = serve(policy_program=policy_program, served_models={
        "math-co": {"policy": str(tmp_path / "policy.json"), "budget": 4, "verifier": "arithmetic"}})
    reply = openai.OpenAI(base_url=server.base_url, api_key="x").chat.completions.create(model="math-co",
                                                                                          messages=QUESTION)
    ttc = reply.model_extra["ttc"]
    assert ttc["plan"]["kind"] == "best_of_n" and ttc["strategy"] == "best_of_n" and 0 < ttc["spent"]["generations"] <= 4


def test_a_served_policy_with_a_mean_budget_holds_it_over_every_window(serve, tmp_path):
    planner = ComputeOptimalPlanner(budgets=[2, 8], bins=2, estimator=VerifierDifficulty(probes=2))
    planner.estimator.fit([0.9, 0.1], 2)  # the stub's sound arithmetic lands every question in bin 1
    evidence = {(1, 2): 0.5, (1, 8): 0.9, (2, 2): 0.2, (2, 8): 0.3}  # at a mean of 5, bin 1 gets 8 and bin 2 gets 2
    planner.policy = {(b, n): Plan(kind="best_of_n", options={"n": n, "selection": "weighted"}) for b, n in evidence}
    planner.report = {f"{b}|{n}": {"cv_accuracy": accuracy, "n": 1} for (b, n), accuracy in evidence.items()}
    planner.save(tmp_path / "policy.json")
    server = serve(policy_program=policy_program, served_models={"math-mean": {
        "policy": str(tmp_path / "policy.json"), "verifier": "arithmetic", "max_budget": 16, "mean_budget": 5,
        "mean_budget_window": 4}})
    client = openai.OpenAI(base_url=server.base_url, api_key="x")
    spent = [client.chat.completions.create(model="math-mean", messages=[{"role": "user", "content": f"What is {i} + 7?"}]
                                            ).model_extra["ttc"]["spent"]["generations"] for i in range(6)]
    assert spent == [8, 8, 2, 2, 8, 8]  # 8 while the window has room, the smallest budget when it has not
    assert all(sum(spent[i:i + 4]) <= 5 * 4 for i in range(len(spent)))


def test_two_hundred_requests_thirty_two_at_a_time_are_answered_or_refused(serve):
    server = serve(**{"serve.max_concurrency": 4, "serve.max_queue": 8})
    rss_before = _rss_mib()

    async def load():
        gate = asyncio.Semaphore(32)
        async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=32)) as client:
            async def one(i):
                async with gate:
                    response = await client.post(server.base_url + "/chat/completions", json={
                        "model": "ttc", "messages": [{"role": "user", "content": f"What is {i} + 2?"}], "n": 1})
                    return response.status_code

            return await asyncio.gather(*(one(i) for i in range(200)))

    statuses = asyncio.run(asyncio.wait_for(load(), 600))
    assert len(statuses) == 200 and set(statuses) <= {200, 429} and statuses.count(200) > 0
    assert httpx.get(server.url + "/health").json()["running"] == 0
    assert _rss_mib() - rss_before < 300  # memory stays bounded: nothing kept per request


def _rss_mib() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024


def test_the_command_finishes_requests_in_flight_and_a_restarted_or_killed_one_answers_from_the_cache(tmp_path):
    with OpenAIStubServer(delay=1.0) as slow:
        config = tmp_path / "ttc.yaml"
        config.write_text(yaml.safe_dump({"backend": {"model": "openai/stub-model", "api_base": slow.base_url,
                                                      "max_tokens": 64}, "cache": {"dir": str(tmp_path / "cache")}}))
        with ServeCommand(config) as first_server:
            first = {}
            asking = threading.Thread(target=lambda: first.update(reply=ask(first_server.base_url)))
            asking.start()
            time.sleep(0.5)  # the request is in flight
            first_server.process.send_signal(signal.SIGTERM)
            asking.join(120)
            assert first["reply"].status_code == 200  # finished although the server was told to stop
            # then stopped (uvicorn re-raises the signal it caught)
            assert first_server.process.wait(60) in (0, -signal.SIGTERM)
        calls = slow.count
        with ServeCommand(config, first_server.port) as restarted:
            again = ask(restarted.base_url)
            other = ask(restarted.base_url, question="What is 5 + 6?")
            restarted.process.kill()  # no shutdown at all: what was answered is in the cache already
        assert again.json()["choices"] == first["reply"].json()["choices"] and slow.count == calls + 1
        with ServeCommand(config, first_server.port) as after_kill:
            answer = ask(after_kill.base_url, question="What is 5 + 6?")
        assert answer.json()["choices"] == other.json()["choices"] and slow.count == calls + 1
