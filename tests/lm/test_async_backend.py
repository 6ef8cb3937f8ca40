"""``TTCLM.acall`` and sampling under ``asyncio`` against a real OpenAI-compatible server on 127.0.0.1:
the same retries, error classes, top-ups and cache as a plain call, the requests as coroutines."""

import asyncio
import threading

import pytest

from tests.lm.helpers import MESSAGES
from ttc_modules.call_context import in_search_thread
from ttc_modules.lm import TTCLM, BackendError, sample
from ttc_modules.testing import OpenAIStubServer, arithmetic_responder

pytestmark = pytest.mark.integration


def lm_for(server, **kwargs):
    return TTCLM("openai/stub-model", api_base=server.base_url, api_key=kwargs.pop("key", "secret"), temperature=0.8,
                 max_tokens=64, retry_initial_wait=0.01, retry_max_wait=0.05, **kwargs)


def test_acall_retries_429_and_500_then_answers():
    with OpenAIStubServer(api_key="secret") as server:
        server.fail_next(429, 500)
        outputs = asyncio.run(lm_for(server).acall(messages=MESSAGES, seed=1))
        assert len(outputs) == 1 and server.count == 3


def test_acall_fails_at_once_on_a_wrong_key():
    with OpenAIStubServer(api_key="secret") as server:
        with pytest.raises(BackendError, match="authentication failed"):
            asyncio.run(lm_for(server, key="wrong").acall(messages=MESSAGES, seed=2))
        assert server.count == 1


def test_acall_and_a_call_share_one_cache():
    with OpenAIStubServer(api_key="secret") as server:
        lm = lm_for(server)
        first = asyncio.run(lm.acall(messages=MESSAGES, n=2, seed=3))
        assert lm(messages=MESSAGES, n=2, seed=3) == first and server.count == 1


@pytest.mark.parametrize("handling", ["ignore", "reject"])
def test_missing_samples_are_topped_up_by_concurrent_coroutines(handling):
    together = threading.Barrier(3, timeout=20)  # the three top-ups must be in flight at once

    def responder(prompt, index, seed, temperature):
        if seed != 10:  # not the first request (the one with n)
            together.wait()
        return arithmetic_responder(prompt, index, seed, temperature)

    with OpenAIStubServer(n=handling, responder=responder) as server:
        lm = lm_for(server, key=None)
        texts = asyncio.run(in_search_thread(sample, lm, MESSAGES, 4, 10))
        assert len(texts) == 4 and len(set(texts)) == 4
        assert server.count == 4 + (handling == "reject")
