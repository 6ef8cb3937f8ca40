"""ttc serve on any chat: the whole conversation reaches the backend, a DSPy client's own program is searched
and answered in its fields, a served model may name a program of its own."""

from typing import Literal

import dspy
import openai
import pytest

from tests.programs.helpers import field_of, fields_reply
from ttc_modules.testing import OpenAIStubServer

pytestmark = pytest.mark.integration

CODE = "def reverse(s):\n    out = ''\n\n    for c in s:\n        out = c + out\n\n    return out"


def chat_reply(prompt, index, seed, temperature):
    """A model that answers each program in its own fields (the prompt is every message joined)."""
    if "[[ ## code ## ]]" in prompt:
        return fields_reply(code=CODE)
    if "[[ ## label ## ]]" in prompt:
        return fields_reply(label="neg" if (seed or 0) % 3 else "pos")
    if "[[ ## reasoning ## ]]" in prompt:  # the math program
        said = "Zwei plus zwei ist vier." if "German" in prompt else "Two plus two is four."
        return fields_reply(reasoning=said, answer="4")
    return fields_reply(answer="Brussels")


@pytest.fixture
def backend():
    with OpenAIStubServer(responder=chat_reply) as server:
        yield server


def test_system_messages_and_earlier_turns_reach_the_backend(serve, backend):
    client = openai.OpenAI(base_url=serve().base_url, api_key="unused")
    plain = [{"role": "user", "content": "What is 2 + 2?"}]
    conversation = [{"role": "system", "content": "Always answer in German."},
                    {"role": "user", "content": "Hi."}, {"role": "assistant", "content": "Hallo."}, *plain]
    first = client.chat.completions.create(model="ttc", messages=plain).choices[0].message.content
    second = client.chat.completions.create(model="ttc", messages=conversation).choices[0].message.content
    assert first.startswith("Two plus two") and second.startswith("Zwei plus zwei ist vier.")
    sent = " ".join(str(m["content"]) for m in backend.requests[-1]["messages"])
    assert "Always answer in German." in sent and "Hallo." in sent


def test_a_dspy_client_gets_its_code_field_byte_for_byte(serve):
    lm = dspy.LM("openai/ttc", api_base=serve().base_url, api_key="unused", cache=False)
    with dspy.context(lm=lm):
        prediction = dspy.Predict("task -> code")(task="Reverse a string.")
    assert prediction.code == CODE


def test_a_dspy_client_gets_a_literal_field_parsed(serve):
    class Sentiment(dspy.Signature):
        """Classify the review."""

        review: str = dspy.InputField()
        label: Literal["pos", "neg"] = dspy.OutputField()

    lm = dspy.LM("openai/ttc", api_base=serve().base_url, api_key="unused", cache=False)
    with dspy.context(lm=lm):
        prediction = dspy.Predict(Sentiment)(review="Dull and long.")
    assert prediction.label == "neg"  # two of three samples say so


def test_a_served_model_names_a_program_and_a_reward(serve, backend):
    server = serve(served_models={"capitals": {"program": "question -> answer", "budget": 3,
                                               "verifier": "tests.programs.verdict_task:always_half",
                                               "options": {"selection": "weighted"}}})
    client = openai.OpenAI(base_url=server.base_url, api_key="unused")
    reply = client.chat.completions.create(model="capitals", messages=[{"role": "user", "content": "Capital of Belgium?"}])
    assert reply.choices[0].message.content == "Brussels" and reply.model_extra["ttc"]["answer"] == "Brussels"
    asked = [field_of(str(request["messages"][-1]["content"]), "question") for request in backend.requests]
    assert asked[-1] == "Capital of Belgium?"


def test_a_served_program_takes_only_requests_of_its_own_fields(serve):
    server = serve(served_models={"capitals": {"program": "question -> answer", "budget": 2}})
    lm = dspy.LM("openai/capitals", api_base=server.base_url, api_key="unused", cache=False, num_retries=0)
    with dspy.context(lm=lm):
        assert dspy.Predict("question -> answer")(question="Capital of Belgium?").answer == "Brussels"
        with pytest.raises(Exception, match="serves the program Predict \\(question -> answer\\)"):
            dspy.Predict("task -> code")(task="Reverse a string.")
