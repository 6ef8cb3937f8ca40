"""The generator's two paths: DSPy signatures (chat models) and few-shot prompts (embedded and base models)."""

import dspy
import pytest

from ttc_modules.generation import Generator
from ttc_modules.graph import ROOT, Node, add_child, new_graph
from ttc_modules.programs import ProgramGenerator
from ttc_modules.testing import scripted_lm

Q = "Sam has 5 pencils and buys 3 more. How many pencils does he have?"


def chat_adapter_reply(prompt: str, seed: int) -> str:
    if "partial_solution" in prompt:
        return f"[[ ## next_step ## ]]\nstep from seed {seed}\n\n[[ ## completed ## ]]"
    return "[[ ## reasoning ## ]]\n5 + 3 = 8.\n\n[[ ## answer ## ]]\n8\n\n[[ ## completed ## ]]"


def test_signature_path_runs_dspy_predictors():
    generator = Generator(lm=scripted_lm(chat_adapter_reply), prompt_style="signature")
    drafts = generator.solutions({"question": Q}, n=3, seed=0)
    assert [d.text for d in drafts] == ["5 + 3 = 8.\n\nThe answer is 8."] * 3
    assert generator.solve.demos == [] and len(generator.predictors()) == 3  # optimisable sub-modules


def test_signature_path_steps_and_history_show_the_signature():
    lm = scripted_lm(chat_adapter_reply)
    generator = Generator(lm=lm, prompt_style="signature")
    drafts = generator.extend_steps({"question": Q}, ["5 + 3 = 8."], n=2, seed=4)
    assert [d.text for d in drafts] == ["step from seed 4", "step from seed 5"]
    assert "partial_solution" in str(lm.history[-1]["messages"])


def test_text_path_for_base_models_uses_a_few_shot_prompt_and_stops():
    seen = []

    def base_model(prompt, seed):
        seen.append(prompt)
        return " 5 + 3 = 8."

    lm = scripted_lm(base_model, base=True)
    generator = Generator(lm=lm)
    assert generator.style_for() == "few_shot_text"
    drafts = generator.extend_steps({"question": Q}, ["Sam starts with 5."], n=1, seed=0)
    assert drafts[0].text == "5 + 3 = 8."
    assert seen[-1].startswith("Question: ") and seen[-1].endswith("Answer: Sam starts with 5.\n\n")
    assert lm.history[-1]["kwargs"]["stop"][0] == "\n\n"


def test_text_path_for_chat_models_prefills_the_partial_solution():
    lm = scripted_lm(lambda prompt, seed: "next")
    Generator(lm=lm).extend_steps({"question": Q}, ["first step"], n=1, seed=0)
    messages = lm.history[-1]["messages"]
    assert messages[-1] == {"role": "assistant", "content": "first step\n\n"}


def test_revision_prompt_lists_the_attempts():
    seen = []
    lm = scripted_lm(lambda prompt, seed: seen.append(prompt) or "The answer is 8.")
    graph = new_graph({"question": Q}, "revisions", {}, seed=0)
    attempts = [Node(graph, add_child(graph, ROOT, kind="revision", text=f"The answer is {answer}.", op="sample",
                                      module="generator.revise")) for answer in (7, 9)]
    Generator(lm=lm).revisions({"question": Q}, attempts, n=1, seed=0)
    assert "Attempt 1:\nThe answer is 7." in seen[-1] and "Attempt 2:\nThe answer is 9." in seen[-1]


def test_auto_path_uses_signatures_for_hosted_models():
    assert Generator(lm=dspy.LM("openai/gpt-4o-mini")).style_for() == "signature"


def test_an_unknown_prompt_style_is_named_with_the_choices():
    with pytest.raises(ValueError, match="unknown prompt style 'chatty'; use auto, signature, few_shot_chat or few_shot_text"):
        Generator(prompt_style="chatty")
    with pytest.raises(ValueError, match="unknown prompt style 'prefill'"):
        ProgramGenerator("question -> answer", prompt_style="prefill")


def test_signature_path_makes_one_call_per_sample_where_the_lm_takes_no_n():
    lm = scripted_lm(chat_adapter_reply, batch_samples=False)
    drafts = Generator(lm=lm, prompt_style="signature").extend_steps({"question": Q}, ["5 + 3 = 8."], n=3, seed=10)
    assert sorted(d.text for d in drafts) == ["step from seed 10", "step from seed 11", "step from seed 12"]
    assert lm.provider_fake.calls == 3
    assert sorted(entry["kwargs"]["rollout_id"] for entry in lm.history) == [0, 1, 2]


def test_one_unreadable_sample_is_a_failed_candidate_not_an_error():
    from ttc_modules import BestOfN
    from ttc_modules.budget import BudgetMeter

    def reply(prompt, seed):
        return "I think it is eight" if seed % 2 else chat_adapter_reply(prompt, seed)

    meter = BudgetMeter()
    with meter.active():
        prediction = BestOfN(n=4, selection="majority", lm=scripted_lm(reply), generator=Generator(prompt_style="signature"))(
            question=Q)
    answers = [d["answer"] for _, d in prediction.graph.nodes(data=True) if d["kind"] == "answer"]
    assert sorted(answers, key=str) == ["8", "8", None, None] and prediction.answer == "8"
    assert prediction.spent["unparsed"] == 2 and meter.spent()["unparsed"] == 2
    assert prediction.spent["generations"] == 4


@pytest.mark.integration
@pytest.mark.parametrize("handling", ["ignore", "reject"])
def test_the_signature_path_tops_up_a_server_that_ignores_or_rejects_n(handling):
    from ttc_modules import BestOfN
    from ttc_modules.lm import TTCLM
    from ttc_modules.testing import OpenAIStubServer

    reply = "[[ ## reasoning ## ]]\n5 + 3 = 8.\n\n[[ ## answer ## ]]\n8\n\n[[ ## completed ## ]]"
    with OpenAIStubServer(n=handling, responder=lambda *_: reply) as server:
        lm = TTCLM("openai/stub-model", api_base=server.base_url, max_tokens=64, cache=False)
        prediction = BestOfN(n=4, selection="majority", lm=lm)(question=Q)
        assert lm.prompt_style == "signature" and server.count == 4 + (handling == "reject")
    answers = [d["answer"] for _, d in prediction.graph.nodes(data=True) if d["kind"] == "answer"]
    assert answers == ["8"] * 4 and prediction.spent["generations"] == 4


@pytest.mark.parametrize("base", [True, False])
def test_compiled_demos_reach_the_text_path_prompt(base):
    lm = scripted_lm(lambda prompt, seed: " 5 + 3 = 8.\n\nThe answer is 8.", base=base)
    generator = Generator(lm=lm, prompt_style="few_shot_text" if base else "few_shot_chat")
    compiled = dspy.LabeledFewShot(k=1).compile(
        generator, trainset=[dspy.Example(question="What is 40 + 2?", reasoning="40 + 2 = 42.", answer="42")
                             .with_inputs("question")])
    compiled.solutions({"question": Q}, n=1, seed=0)
    sent = str(lm.history[-1]["messages"])
    assert "What is 40 + 2?" in sent and "40 + 2 = 42.\\n\\nThe answer is 42." in sent
    assert "Sam has 5 pencils and buys 3 more. How many pencils does Sam have now?" not in sent


def test_a_sample_written_as_json_is_read_as_json():
    from ttc_modules.lenient_adapter import lenient

    lm = scripted_lm(lambda prompt, seed: '{"answer": "4"}')
    with dspy.context(lm=lm, adapter=lenient(dspy.ChatAdapter())):
        assert dspy.Predict("question -> answer")(question="What is 2 + 2?").answer == "4"
