"""Verifiers: the arithmetic checker, the runner (cache, budget), the LLM judge and a remote PRM over HTTP."""

import pytest

from ttc_modules.budget import Budget, BudgetExceeded, BudgetMeter
from ttc_modules.testing import OpenAIStubServer, PRMStubServer, scripted_lm
from ttc_modules.verifiers import (
    ArithmeticChecker,
    LLMJudge,
    OracleVerifier,
    RemotePRM,
    RemotePRMError,
    VerifierError,
    VerifierRunner,
    as_verifier,
)
from ttc_modules.verifiers.arithmetic import evaluate

QUESTION = {"question": "Mia had 20 dollars. She spent 7 dollars on lunch and 5 dollars on a book. How much is left?"}


# ---------------------------------------------------------------------------- arithmetic checker
@pytest.mark.parametrize("expression, value", [("3 + 4", 7), ("20 - 7 - 5", 8), ("4 x 6", 24), ("(3 + 4) * 2", 14),
                                               ("7 ÷ 2", 3.5), ("1,000 + 1", 1001), ("$4.50 + $1.50", 6)])
def test_evaluate(expression, value):
    assert evaluate(expression) == value


def test_checker_prefers_sound_solutions():
    checker = ArithmeticChecker()
    right = checker.score(QUESTION, ["She spent 7 + 5 = 12 dollars.", "20 - 12 = 8 dollars are left.", "The answer is 8."])
    wrong = checker.score(QUESTION, ["She spent 7 + 5 = 13 dollars.", "20 - 13 = 7 dollars.", "The answer is 7."])
    made_up = checker.score(QUESTION, ["She spent 7 + 9 = 16 dollars.", "The answer is 16."])
    unsupported = checker.score(QUESTION, ["She spent 7 + 5 = 12 dollars.", "The answer is 9."])
    assert right == [1.0, 1.0, 1.0]
    assert wrong[0] == 0.05 and wrong[-1] < 0.05
    assert made_up[0] == 0.5  # 9 is in neither the question nor an earlier result
    assert unsupported[-1] == 0.5
    assert right[-1] > made_up[-1] > wrong[-1]


def test_checker_reads_units_between_numbers():
    assert ArithmeticChecker().check_step("3 apples - 4 = 1 apple", {3, 4})[0] == 0.05


# ---------------------------------------------------------------------------- runner: cache and budget
class Counting:
    name, process, oracle, cache_id = "counting", True, False, "counting-v1"

    def __init__(self):
        self.calls = 0

    def score(self, inputs, steps):
        self.calls += 1
        return [0.5] * len(steps)


def test_scores_are_cached_on_disk_and_still_charged(tmp_path):
    verifier = Counting()
    first, second = BudgetMeter(), BudgetMeter()
    with first.active():
        VerifierRunner(verifier, cache_dir=tmp_path).score(QUESTION, ["a", "b"])
    with second.active():
        assert VerifierRunner(verifier, cache_dir=tmp_path).score(QUESTION, ["a", "b"]) == [0.5, 0.5]
    assert verifier.calls == 1  # the second runner read the disk cache
    assert first.spent()["verifier_calls"] == second.spent()["verifier_calls"] == 1
    assert (tmp_path / "cache.db").is_file()


def test_verifier_calls_are_checked_before_the_call(tmp_path):
    verifier = Counting()
    meter = BudgetMeter(Budget(verifier_calls=1))
    runner = VerifierRunner(verifier, cache_dir=tmp_path)
    with meter.active():
        runner.score(QUESTION, ["a"])
        with pytest.raises(BudgetExceeded):
            runner.score(QUESTION, ["b"])
    assert verifier.calls == 1


@pytest.mark.parametrize("bad, message", [([1.5], "must lie in"), ([0.1, 0.2, 0.3], "3 scores for 2 steps"),
                                          (["x"], "must return a float")])
def test_bad_scores_are_named(bad, message):
    runner = VerifierRunner(as_verifier(lambda inputs, steps: bad), cache_dir=None)
    with pytest.raises(VerifierError, match=message):
        runner.score(QUESTION, ["a", "b"])


def test_oracle_reads_the_reference():
    assert OracleVerifier().score({"question": "q", "answer": "8"}, ["The answer is 8.0"]) == [1.0]
    with pytest.raises(VerifierError, match="reference answer"):
        OracleVerifier().score({"question": "q"}, ["The answer is 8."])


# ---------------------------------------------------------------------------- LLM judge
@pytest.mark.integration
def test_judge_reads_p_yes_from_logprobs_over_http():
    from ttc_modules.lm import TTCLM

    def says(prompt, index, seed, temperature):
        return "Yes" if "= 12" in prompt else "No"

    with OpenAIStubServer(responder=says) as server:
        lm = TTCLM("openai/stub-model", api_base=server.base_url, api_key="k")
        judge = LLMJudge(lm=lm, mode="process")
        scores = judge.score(QUESTION, ["7 + 5 = 12.", "The answer is 8."])
        assert len(scores) == 2 and all(0.0 <= s <= 1.0 for s in scores)
        assert server.requests[0]["logprobs"] is True and server.requests[0]["max_tokens"] == 1
        meter = BudgetMeter()
        with meter.active():
            judge.score(QUESTION, ["7 + 5 = 12."])
        assert meter.spent()["prompt_tokens"] > 0  # judge tokens count in the budget


def test_judge_falls_back_to_a_rating_without_logprobs():
    judge = LLMJudge(lm=scripted_lm(lambda prompt, seed: "8"), mode="outcome")
    assert judge.score(QUESTION, ["7 + 5 = 12."]) == [0.8]
    assert judge.use_logprobs is False


# ---------------------------------------------------------------------------- remote PRM over HTTP
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
def test_remote_prm_gives_up_with_the_url():
    with PRMStubServer(failures=[500] * 10) as server, \
            pytest.raises(RemotePRMError, match="kept failing after 2 attempts"):
        RemotePRM(server.url + "/score", attempts=2, max_wait=0.01).score(QUESTION, STEPS)


def test_remote_prm_cache_identity_has_no_key():
    prm = RemotePRM("http://127.0.0.1:1/score", api_key_env="SECRET_VAR")
    assert "SECRET" not in prm.cache_id
