"""A remote PRM over HTTP: our contract and vLLM pooling, retries, a cache identity without the key."""

import pytest

from tests.verifiers.helpers import QUESTION
from ttc_modules.testing import PRMStubServer
from ttc_modules.verifiers import RemotePRM, RemotePRMError


@pytest.fixture
def prm_server():
    with PRMStubServer(failures=[503]) as server:
        yield server


STEPS = ["She spent 7 + 5 = 12 dollars.", "20 - 12 = 8.", "The answer is 8."]


@pytest.mark.integration
def test_remote_prm_our_contract_with_a_retried_503(prm_server):
    prm = RemotePRM(prm_server.url + "/score", max_wait=0.05)
    assert prm.score(QUESTION, STEPS) == [1.0, 1.0, 1.0]
    assert len(prm_server.bodies) == 2 and prm_server.bodies[1]["steps"] == STEPS


@pytest.mark.integration
def test_remote_prm_vllm_pooling_format(prm_server):
    prm = RemotePRM(prm_server.url + "/pooling", format="vllm", model="Qwen/Qwen2.5-Math-PRM-7B", max_wait=0.05)
    assert prm.score(QUESTION, STEPS) == [1.0, 1.0, 1.0]
    sent = prm_server.bodies[-1]
    assert sent["model"] == "Qwen/Qwen2.5-Math-PRM-7B" and sent["messages"][2]["content"].count("<extra_0>") == 3


@pytest.mark.integration
def test_remote_prm_vllm_pooling_as_trl_lays_out_a_row(prm_server):
    prm = RemotePRM(prm_server.url + "/pooling", format="vllm", separator="\n", chat=False, max_wait=0.05)
    assert prm.score(QUESTION, STEPS) == [1.0, 1.0, 1.0]
    sent = prm_server.bodies[-1]
    assert sent["input"] == QUESTION["question"] + "".join(step + "\n" for step in STEPS)
    assert prm.cache_id != RemotePRM(prm_server.url + "/pooling", format="vllm").cache_id


@pytest.mark.integration
def test_remote_prm_gives_up_with_the_url():
    with PRMStubServer(failures=[500] * 10) as server, \
            pytest.raises(RemotePRMError, match="kept failing after 2 attempts"):
        RemotePRM(server.url + "/score", attempts=2, max_wait=0.01).score(QUESTION, STEPS)


def test_remote_prm_cache_identity_has_no_key():
    prm = RemotePRM("http://127.0.0.1:1/score", api_key_env="SECRET_VAR")
    assert "SECRET" not in prm.cache_id


def test_remote_prm_names_choose_the_layout():
    from ttc_modules.verifiers.named import verifier_from_name

    ours, qwen, trl = (verifier_from_name(f"{kind}:http://127.0.0.1:8001/pooling") for kind in ("prm", "vllm-prm", "trl-prm"))
    assert (ours.format, qwen.format, qwen.chat, qwen.separator) == ("ttc", "vllm", True, "<extra_0>")
    assert (trl.format, trl.chat, trl.separator) == ("vllm", False, "\n")
