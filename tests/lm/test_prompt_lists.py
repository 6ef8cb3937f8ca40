"""A search round in one request: a list of prompts to a real loopback ``/v1/completions`` server."""

import logging

import pytest

from ttc_modules import BeamSearch, Budget, ParticleFiltering
from ttc_modules.budget import BudgetMeter
from ttc_modules.generation import Generator
from ttc_modules.lm import TTCLM, sample
from ttc_modules.lm.prompt_lists import sample_prompts, takes_prompt_lists
from ttc_modules.strategies.config import StrategyConfig
from ttc_modules.strategies.run import Run
from ttc_modules.testing import OpenAIStubServer
from ttc_modules.verifiers import ArithmeticChecker

pytestmark = pytest.mark.integration

PROMPTS = [[{"role": "user", "content": f"Question {i}: what is {i} + 2?"}] for i in range(4)]


@pytest.fixture
def server():
    with OpenAIStubServer(stop_reasons=True) as running:
        yield running


def text_lm(server, **kwargs):
    return TTCLM("hosted_vllm/stub-model", api_base=server.base_url, model_type="text", temperature=0.8,
                 max_tokens=32, retry_initial_wait=0.01, retry_max_wait=0.05, **kwargs)


def list_requests(server) -> list[dict]:
    return [body for body in server.requests if isinstance(body.get("prompt"), list)]


def test_the_prompts_go_in_one_request_each_with_n_and_the_seed(server):
    lm = text_lm(server)
    rounds = sample_prompts(lm, PROMPTS[:3], n=2, seed=7)
    assert server.count == 1
    body = server.requests[0]
    assert len(body["prompt"]) == 3 and body["n"] == 2 and body["seed"] == 7
    assert [len(samples) for samples in rounds] == [2, 2, 2]
    alone = [sample(text_lm(server, cache=False), messages, n=2, seed=7) for messages in PROMPTS[:3]]
    assert [list(samples) for samples in rounds] == [list(samples) for samples in alone]  # each prompt as alone


def test_a_half_cached_round_asks_only_for_the_other_half(server):
    lm = text_lm(server)
    first = sample_prompts(lm, PROMPTS[:2], n=2, seed=3)
    again = sample_prompts(lm, PROMPTS, n=2, seed=3)
    assert server.count == 2 and len(server.requests[1]["prompt"]) == 2
    assert [list(s) for s in again[:2]] == [list(s) for s in first]
    sample(lm, PROMPTS[3], n=2, seed=3)  # the one-prompt path reads what the list path wrote
    assert server.count == 2


def test_usage_is_recorded_per_prompt_and_adds_up_to_the_servers(server):
    lm = text_lm(server, cache=False)
    meter = BudgetMeter()
    with meter.active():
        rounds = sample_prompts(lm, PROMPTS, n=3, seed=1)
    assert len(list_requests(server)) == 1 and meter.spent()["lm_calls"] == 4  # calls: one per prompt
    completion = sum(samples.completion_tokens for samples in rounds)
    assert completion == meter.spent()["completion_tokens"] == sum(sum(s.tokens) for s in rounds)
    assert completion == sum(len(text.split()) for samples in rounds for text in samples)


def test_a_server_refusing_lists_is_noticed_once(caplog):
    with OpenAIStubServer(prompt_lists="reject") as server:
        lm = text_lm(server)
        with caplog.at_level(logging.WARNING):
            first = sample_prompts(lm, PROMPTS[:3], n=2, seed=1)
            second = sample_prompts(lm, PROMPTS[1:], n=2, seed=2)
        assert len(list_requests(server)) == 1 and server.count == 1 + 3 + 3
        assert not takes_prompt_lists(lm) and len(first) == 3 and len(second) == 3
        assert sum("did not take a list of prompts" in r.message for r in caplog.records) == 1


def test_a_chat_endpoint_gets_one_request_per_prompt(server):
    lm = TTCLM("openai/stub-model", api_base=server.base_url, api_key="k", max_tokens=32)
    sample_prompts(lm, PROMPTS[:3], n=2, seed=1)
    assert server.count == 3 and not list_requests(server)


def test_a_server_without_n_gets_lists_of_one_sample_only():
    with OpenAIStubServer(n="reject") as server:
        lm = text_lm(server, batch_samples=False)
        sample_prompts(lm, PROMPTS[:2], n=1, seed=1)
        assert len(list_requests(server)) == 1
        sample_prompts(lm, PROMPTS[2:], n=2, seed=1)  # two samples each: one request per sample
        assert len(list_requests(server)) == 1 and server.count == 1 + 4


def _steps_responder(prompt: str, index: int, seed, temperature: float) -> str:
    steps = prompt.rsplit("2 + 3?", 1)[-1].count(" = ")  # the solution so far: a new step each round
    return "The answer is 5." if steps >= 3 else f"{steps} + {index + 2} = {steps * 10 + index + 2}.\n\nMore"


def beam_search_on(server, **lm_options):
    lm = text_lm(server, **lm_options)
    search = BeamSearch(n=4, beam_width=2, verifier=ArithmeticChecker(), lm=lm, max_rounds=6)
    return search(question="What is 2 + 3?")


def test_each_round_of_beam_search_is_one_request_and_spent_is_the_same_on_both_paths():
    with OpenAIStubServer(responder=_steps_responder, stop_reasons=True) as server:
        listed = beam_search_on(server, cache=False)
        rounds = max(node["depth"] for _, node in listed.graph.nodes(data=True))
        assert server.count == rounds  # the first round is one prompt with n; each later round one list
        assert all(len(body["prompt"]) == 2 for body in list_requests(server))
    with OpenAIStubServer(responder=_steps_responder, stop_reasons=True) as server:
        single = beam_search_on(server, cache=False, batch_prompts=False)
        assert not list_requests(server) and server.count > rounds
    assert listed.answer == single.answer
    for key in ("generations", "tokens", "completion_tokens", "prompt_tokens"):
        assert listed.spent[key] == single.spent[key], key
    assert listed.spent["generations"] == 4


def test_particle_filtering_sends_a_round_in_as_few_requests_as_its_counts():
    with OpenAIStubServer(responder=_steps_responder, stop_reasons=True) as server:
        lm = text_lm(server, cache=False)
        prediction = ParticleFiltering(n=4, verifier=ArithmeticChecker(), lm=lm, max_rounds=4)(question="What is 2 + 3?")
        assert prediction.spent["generations"] == 4 and list_requests(server)


def test_a_round_repeating_a_prefix_sends_the_repeat_in_a_later_request(server):
    lm = text_lm(server, cache=False)
    run = Run.start({"question": "What is 2 + 3?"}, StrategyConfig(kind="mine"), Generator(lm=lm),
                    budget=Budget(generations=8))
    first = run.extend(0, 2)
    groups = run.extend_round([first[0], first[1], first[0]], 2)
    assert [len(group) for group in groups] == [2, 2, 2]
    texts = [run.graph.nodes[node]["text"] for node in groups[0] + groups[2]]
    assert len(set(texts)) == len(texts) or server.requests[-1]["seed"] != server.requests[-2]["seed"]
    assert [len(body["prompt"]) for body in list_requests(server)] == [2]  # the repeat went alone, with its own seed


def test_a_routed_text_backend_sends_a_round_one_prompt_per_request_through_the_router(tmp_path):
    from ttc_modules.config import load_settings
    from ttc_modules.lm import build_lm

    with OpenAIStubServer() as a, OpenAIStubServer() as b:
        settings = load_settings(overrides={
            "backend": {"model": "openai/stub-model", "model_type": "text", "max_tokens": 32,
                        "deployments": [{"api_base": a.base_url}, {"api_base": b.base_url}]},
            "cache": {"dir": str(tmp_path / "cache")}})
        lm = build_lm(settings)
        rounds = sample_prompts(lm, PROMPTS, n=2, seed=4)
        assert [len(samples) for samples in rounds] == [2, 2, 2, 2]
        assert not list_requests(a) + list_requests(b) and a.count + b.count == 4
        assert takes_prompt_lists(lm) is False


def test_under_a_token_limit_each_prompt_is_reserved_and_sent_on_its_own():
    with OpenAIStubServer(responder=_steps_responder, stop_reasons=True) as server:
        lm = text_lm(server, cache=False)
        search = BeamSearch(n=4, beam_width=2, verifier=ArithmeticChecker(), lm=lm, max_rounds=6,
                            budget=Budget(tokens=100_000))
        prediction = search(question="What is 2 + 3?")
        assert not list_requests(server) and prediction.spent["tokens"] <= 100_000
        assert prediction.spent["generations"] == 4
