"""Real clients against ``ttc serve`` on 127.0.0.1: the ``openai`` client (sync, async, streaming),
LiteLLM's ``completion()``, and DSPy's ``dspy.LM`` in a program."""

import asyncio

import dspy
import litellm
import openai
import pytest

pytestmark = pytest.mark.integration

QUESTION = [{"role": "user", "content": "Tom has 3 apples and buys 4 more. How many apples does he have?"}]


def test_the_openai_client_gets_a_chat_completion_with_usage_and_ttc(serve):
    server = serve()
    client = openai.OpenAI(base_url=server.base_url, api_key="unused")
    reply = client.chat.completions.create(model="ttc", messages=QUESTION)
    ttc = reply.model_extra["ttc"]
    assert reply.choices[0].message.content and reply.choices[0].finish_reason == "stop"
    assert ttc["strategy"] == "best_of_n" and ttc["spent"]["generations"] == 8 and ttc["candidates"] >= 1
    assert ttc["answer"] in reply.choices[0].message.content
    assert reply.usage.total_tokens == ttc["spent"]["prompt_tokens"] + ttc["spent"]["completion_tokens"] > 0
    assert [model.id for model in client.models.list()] == ["ttc"]


def test_a_request_chooses_strategy_and_budget_through_extra_body(serve):
    server = serve(served_models={"math": {"verifier": "arithmetic", "budget": 4, "max_budget": 8}})
    client = openai.OpenAI(base_url=server.base_url, api_key="unused")
    reply = client.chat.completions.create(model="math", messages=QUESTION, n=2,
                                           extra_body={"ttc": {"strategy": "beam_search", "budget": 8, "beam_width": 2}})
    ttc = reply.model_extra["ttc"]
    assert ttc["strategy"] == "beam_search" and 0 < ttc["spent"]["generations"] <= 8
    answers = [choice.message.content for choice in reply.choices]
    assert 1 <= len(answers) <= 2 and len(set(answers)) == len(answers)
    with pytest.raises(openai.BadRequestError, match="above this server's maximum"):
        client.chat.completions.create(model="math", messages=QUESTION, extra_body={"ttc": {"budget": 9}})


def test_the_async_client_and_a_stream(serve):
    server = serve()

    async def ask():
        client = openai.AsyncOpenAI(base_url=server.base_url, api_key="unused")
        plain = await client.chat.completions.create(model="ttc", messages=QUESTION)
        stream = await client.chat.completions.create(model="ttc", messages=QUESTION, stream=True,
                                                      stream_options={"include_usage": True})
        pieces = [chunk async for chunk in stream]
        return plain, pieces

    plain, pieces = asyncio.run(ask())
    content = "".join(c.choices[0].delta.content or "" for c in pieces if c.choices)
    assert content == plain.choices[0].message.content  # the same request again: answered from the cache
    assert pieces[-1].usage.total_tokens == plain.usage.total_tokens
    assert pieces[-1].model_extra["ttc"]["answer"] == plain.model_extra["ttc"]["answer"]


def test_litellm_completion(serve):
    server = serve()
    reply = litellm.completion(model="openai/ttc", api_base=server.base_url, api_key="unused", messages=QUESTION)
    assert reply.choices[0].message.content and reply.usage.total_tokens > 0


def test_a_dspy_program_on_the_server(serve, backend):
    server = serve()
    lm = dspy.LM("openai/ttc", api_base=server.base_url, api_key="unused", cache=False)
    with dspy.context(lm=lm):
        prediction = dspy.ChainOfThought("question -> answer")(question=QUESTION[0]["content"])
    assert prediction.answer and prediction.answer in prediction.reasoning
    asked = [str(request["messages"][-1]["content"]) for request in backend.requests]
    assert asked and all(text.count("[[ ## question ## ]]") == 1 for text in asked)  # the question, not DSPy's prompt
