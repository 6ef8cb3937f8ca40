"""The LLM judge: P(yes) from logprobs over HTTP, or a rating without them."""

import pytest

from tests.verifiers.helpers import QUESTION
from ttc_modules.budget import BudgetMeter
from ttc_modules.testing import OpenAIStubServer, scripted_lm
from ttc_modules.verifiers import LLMJudge


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


@pytest.mark.integration
@pytest.mark.parametrize("model_type,requests", [("chat", 3), ("text", 2)])  # text: the client refuses top_logprobs
def test_judge_rates_where_the_backend_refuses_logprobs(model_type, requests):
    from ttc_modules.lm import TTCLM

    with OpenAIStubServer(responder=lambda *_: "7", rejected_params=("logprobs",)) as server:
        lm = TTCLM("openai/stub-model", api_base=server.base_url, cache=False, model_type=model_type)
        judge = LLMJudge(lm=lm, mode="outcome")
        assert judge.score(QUESTION, ["7 + 5 = 12."]) == [0.7] and judge.use_logprobs is False
        assert judge.score(QUESTION, ["7 + 5 = 12."]) == [0.7] and server.count == requests  # refused once only
