"""``ttc serve`` fuzzed: whatever body arrives, the answer is a 2xx or a 4xx in OpenAI's error JSON, the
server's memory stays bounded, and a plain request still answers afterwards."""

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ttc_modules.strategies.registry import STRATEGIES

pytestmark = pytest.mark.integration

OPTION_NAMES = sorted({name for cls in STRATEGIES.values() for name in cls.Config.model_fields})
ANY_JSON = st.recursive(st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats() | st.text(max_size=12),
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                    max_size=3), max_leaves=8)
SMALL = st.integers(-2, 24)
TTC = st.fixed_dictionaries({}, optional={"strategy": st.sampled_from(sorted(STRATEGIES)) | ANY_JSON,
                                          "budget": SMALL | ANY_JSON,
                                          **{name: SMALL | ANY_JSON for name in OPTION_NAMES}})
MESSAGE = st.fixed_dictionaries({"role": st.sampled_from(["user", "system", "assistant", "tool", "robot"]) | ANY_JSON,
                                 "content": st.text(max_size=40) | ANY_JSON})
BODY = st.fixed_dictionaries(
    {"model": st.just("bo8") | ANY_JSON,
     "messages": st.just([{"role": "user", "content": "What is 2 + 2?"}]) | st.lists(MESSAGE, max_size=3) | ANY_JSON},
    optional={"ttc": TTC | ANY_JSON, "n": SMALL | ANY_JSON, "stream": st.booleans() | ANY_JSON,
              "max_tokens": SMALL | ANY_JSON, "temperature": ANY_JSON, "top_p": ANY_JSON, "seed": ANY_JSON,
              "stream_options": ANY_JSON, "stop": ANY_JSON, "extra": ANY_JSON})
PLAUSIBLE = st.fixed_dictionaries(  # near a valid request, so that searches run with odd options
    {"model": st.just("bo8"), "messages": st.lists(st.fixed_dictionaries(
        {"role": st.sampled_from(["user", "system"]), "content": st.text(min_size=1, max_size=40)}), min_size=1,
        max_size=2).map(lambda messages: [*messages, {"role": "user", "content": "What is 2 + 2?"}])},
    optional={"ttc": st.fixed_dictionaries({"strategy": st.sampled_from(sorted(STRATEGIES))},
                                           optional={"budget": st.integers(1, 17),
                                                     **{name: SMALL for name in OPTION_NAMES}}),
              "n": st.integers(1, 3), "stream": st.booleans(), "seed": st.integers(-5, 5)})
RAW = PLAUSIBLE.map(lambda body: json.dumps(body).encode()) | BODY.map(lambda body: json.dumps(body).encode()) \
    | st.binary(max_size=64)


@settings(max_examples=250, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(body=RAW)
def test_every_body_gets_a_2xx_or_a_4xx_in_openai_s_error_json(command, body):
    answer = httpx.post(command.base_url + "/chat/completions", content=body,
                        headers={"Content-Type": "application/json"}, timeout=60)
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        error = answer.json()["error"]
        assert set(error) == {"message", "type", "param", "code"} and error["message"]
    elif answer.headers["content-type"].startswith("text/event-stream"):
        assert "server_error" not in answer.text and answer.text.rstrip().endswith("data: [DONE]")


def test_after_the_fuzz_memory_is_bounded_and_a_plain_request_answers(command):
    before = command.memory_mib()
    test_every_body_gets_a_2xx_or_a_4xx_in_openai_s_error_json(command)
    assert command.memory_mib() - before < 150
    answer = httpx.post(command.base_url + "/chat/completions", timeout=60,
                        json={"model": "bo8", "messages": [{"role": "user", "content": "What is 5 + 6?"}]})
    assert answer.status_code == 200 and answer.json()["choices"][0]["message"]["content"]
