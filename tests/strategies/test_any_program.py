"""Strategies on the user's own program: its inputs reach the prompt, its outputs come back as produced,
votes and rewards read its fields. The calls a new user tried (and that failed) are regression tests."""

import inspect
from typing import Literal

import dspy
import pytest

from tests.programs.helpers import field_of, fields_reply
from ttc_modules import BeamSearch, BestOfN, SequentialRevisions
from ttc_modules.budget import BudgetMeter
from ttc_modules.graph import ROOT
from ttc_modules.programs import ProgramError
from ttc_modules.testing import scripted_lm
from ttc_modules.verifiers import LLMJudge

CONTEXT = "Belgium's capital is Brussels."


def chat_lm(reply, **kwargs):
    """A chat model behind an API: DSPy's adapter formats its prompts (the last message is the user's)."""
    return scripted_lm(reply, prompt_style="signature", **kwargs)


def test_a_chain_of_thought_with_two_inputs_under_best_of_n():
    seen = []

    def reply(prompt, seed):
        seen.append((field_of(prompt, "context"), field_of(prompt, "question")))
        return fields_reply(reasoning="The context says so.", answer="Brussels" if seed % 4 else "Paris")

    program = dspy.ChainOfThought("context, question -> answer")
    pred = BestOfN(program, n=4, selection="majority", lm=chat_lm(reply))(context=CONTEXT,
                                                                          question="What is the capital?")
    assert pred.answer == "Brussels" and pred.reasoning == "The context says so."
    assert set(seen) == {(CONTEXT, "What is the capital?")}  # both inputs reached the prompt
    assert pred.spent["generations"] == 4 and pred.graph.out_degree(ROOT) == 4
    assert pred.graph.nodes[pred.chosen]["outputs"] == {"reasoning": "The context says so.", "answer": "Brussels"}


CODES = ["def reverse(s):\n    out = ''\n\n    for c in s:\n        out = c + out\n    return out",
         "def reverse(s):\n    return s[::-1]",
         "def reverse(s):\n\n    return ''.join(reversed(s))"]


def test_a_code_answer_comes_back_byte_for_byte_and_votes_whole():
    lm = chat_lm(lambda prompt, seed: fields_reply(code=CODES[seed % 3]))
    pred = BestOfN("task -> code", n=3, selection="majority", lm=lm)(task="Reverse a string.")
    answers = [pred.graph.nodes[n]["answer"] for n in pred.graph.successors(ROOT)]
    assert sorted(answers) == sorted(CODES)  # three different functions, three different votes
    assert pred.code in CODES and pred.graph.nodes[pred.chosen]["answer"] == pred.code
    assert "The answer is" not in pred.code and not hasattr(pred, "reasoning") or pred.get("reasoning") is None


@pytest.mark.parametrize("replies, winner", [
    (["Paris", "paris", "The capital is Paris", "Lyon", "Lyon"], "Paris"),
    (["Lyon", "**Paris**", "Paris!", "Lyon", "PARIS."], "**Paris**"),
    (["1984 by George Orwell", "1984", "1984 by george orwell"], "1984 by George Orwell"),
])
def test_free_text_votes_by_dspy_normalised_text(replies, winner):
    first = 4099  # the run's first request seed (seeds.py); sample i has that seed + i
    lm = chat_lm(lambda prompt, seed: fields_reply(answer=replies[(seed - first) % len(replies)]))
    pred = BestOfN("question -> answer", n=len(replies), selection="majority", lm=lm)(question="Capital?")
    drawn = [pred.graph.nodes[n]["answer"] for n in sorted(pred.graph.successors(ROOT))]
    assert drawn == replies
    assert pred.answer == winner


def test_a_literal_output_votes_by_value_and_a_bool_too():
    class Sentiment(dspy.Signature):
        """Classify the review."""

        review: str = dspy.InputField()
        label: Literal["pos", "neg"] = dspy.OutputField()

    lm = chat_lm(lambda prompt, seed: fields_reply(label="neg" if seed % 3 else "pos"))
    pred = BestOfN(Sentiment, n=3, selection="majority", lm=lm)(review="Dull.")
    assert pred.label == "neg"
    flag = chat_lm(lambda prompt, seed: fields_reply(ok="True" if seed % 3 else "False"))
    assert BestOfN("claim -> ok: bool", n=3, selection="majority", lm=flag)(claim="x").ok is True


def test_a_reward_written_for_dspy_best_of_n_reads_the_programs_fields_and_a_threshold_stops_early():
    lm = chat_lm(lambda prompt, seed: fields_reply(code=CODES[seed % 3]))
    seen = []

    def reward(args, pred):
        seen.append(dict(args))
        return 1.0 if "[::-1]" in pred.code else 0.2

    pred = BestOfN("task -> code", n=6, selection="naive", verifier=reward, threshold=1.0, lm=lm)(task="Reverse.")
    assert "[::-1]" in pred.code
    assert pred.spent["generations"] < 6 and pred.spent["generations"] == len(seen)  # stopped at the threshold
    assert seen[0] == {"task": "Reverse."}


def test_a_reward_that_fails_fails_its_candidate_not_the_search():
    lm = chat_lm(lambda prompt, seed: fields_reply(answer=str(seed % 4)))

    def fussy(args, pred):
        if pred.answer == "1":
            raise KeyError("no such thing")
        return {"0": float("nan"), "2": "high"}.get(pred.answer, 0.9)

    pred = BestOfN("question -> answer", n=4, selection="naive", verifier=fussy, lm=lm)(question="?")
    assert pred.answer == "3" and pred.spent["verifier_errors"] == 3


def test_revisions_show_earlier_attempts_as_an_input_field_with_their_own_fields():
    shown = []

    def reply(prompt, seed):
        attempts = field_of(prompt, "previous_attempts")
        shown.append(attempts)
        return fields_reply(code=f"def f():\n\n    return {0 if attempts is None else attempts.count('Attempt')}")

    pred = SequentialRevisions("task -> code", n_parallel=1, n_sequential=3, selection="majority",
                               lm=chat_lm(reply))(task="Write f.")
    assert shown[0] is None and shown[1] == "Attempt 1:\ncode:\ndef f():\n\n    return 0"
    assert "The answer is" not in "".join(shown[1:]) and shown[2].count("Attempt") == 2
    assert pred.code.startswith("def f():\n\n    return")


def test_a_program_of_several_predictors_runs_once_per_rollout():
    calls = []

    class Draft(dspy.Module):
        def __init__(self):
            super().__init__()
            self.outline = dspy.Predict("topic -> outline")
            self.write = dspy.Predict("topic, outline -> text")

        def forward(self, topic):
            calls.append(topic)
            outline = self.outline(topic=topic).outline
            return self.write(topic=topic, outline=outline)

    def reply(prompt, seed):
        return fields_reply(outline="a, b") if field_of(prompt, "outline") is None else fields_reply(text=f"t{seed % 2}")

    pred = BestOfN(Draft(), n=3, selection="majority", lm=chat_lm(reply))(topic="cats")
    assert len(calls) == 3 and pred.text in ("t0", "t1") and pred.spent["generations"] == 3


def test_beam_search_grows_a_chain_of_thought_step_by_step_on_a_chat_api():
    def reply(prompt, seed):
        partial = field_of(prompt, "partial_reasoning")
        if partial is None:  # the last call: the outputs, from the finished reasoning
            return fields_reply(answer="4" if "2 + 2 = 4" in (field_of(prompt, "reasoning") or "") else "5")
        steps = [s for s in partial.split("\n\n") if s.strip()]
        step = ["First, add.", "2 + 2 = 4."][len(steps)] if len(steps) < 2 else "Done."
        return fields_reply(next_step=step, complete=str(len(steps) >= 1))

    def scores(inputs, steps):
        return 0.9 if any("= 4" in step for step in steps) else 0.5

    pred = BeamSearch(dspy.ChainOfThought("question -> answer"), n=2, beam_width=2, verifier=scores,
                      lm=chat_lm(reply))(question="What is 2 + 2?")
    assert pred.answer == "4" and pred.reasoning == "First, add.\n\n2 + 2 = 4."


def test_beam_search_on_a_model_prompted_with_the_reply_begun():
    def reply(prompt, seed):  # the last message is the reply begun: continue it
        steps = prompt.count("\n\n")
        if "[[ ## answer ## ]]" in prompt:
            return "4\n\n[[ ## completed ## ]]"
        return ["Add the numbers.\n\n", "2 + 2 = 4.\n\n", "[[ ## answer ## ]]\n4\n\n[[ ## completed ## ]]"][min(steps, 2)]

    meter = BudgetMeter()
    with meter.active():
        pred = BeamSearch(dspy.ChainOfThought("question -> answer"), n=2, beam_width=2, verifier=lambda i, s: 0.5,
                          lm=scripted_lm(reply))(question="What is 2 + 2?")
    assert pred.answer == "4" and pred.reasoning == "Add the numbers.\n\n2 + 2 = 4."
    assert meter.spent()["unparsed"] == 0


def test_the_judge_is_shown_the_programs_instructions_inputs_and_outputs():
    class Capital(dspy.Signature):
        """Name the capital city of the country."""

        country: str = dspy.InputField()
        capital: str = dspy.OutputField()

    asked = []
    judge_lm = scripted_lm(lambda prompt, seed: asked.append(prompt) or "7", provider="judge", prompt_style="signature")
    lm = chat_lm(lambda prompt, seed: fields_reply(capital="Paris"))
    judge = LLMJudge(lm=judge_lm)
    judge.use_logprobs = False  # a rating, so the prompt is one message to read
    pred = BestOfN(Capital, n=2, selection="weighted", verifier=judge, lm=lm)(country="France")
    assert pred.capital == "Paris"
    assert "Name the capital city of the country." in asked[0] and "country: France" in asked[0]
    assert "Paris" in asked[0] and "math" not in asked[0].lower()


def test_options_are_in_the_constructors_signature():
    parameters = inspect.signature(BeamSearch).parameters
    assert list(parameters)[:3] == ["program", "n", "beam_width"] and parameters["n"].default == 16
    assert "beam_width" in inspect.getdoc(BeamSearch) or "beam_width" in str(inspect.signature(BeamSearch))


@pytest.mark.parametrize("make, call, message", [
    (lambda lm: BestOfN("context, question -> answer", n=2, selection="majority", lm=lm),
     {"question": "q"}, "is missing context; call it with its inputs: context=..., question=..."),
    (lambda lm: BestOfN("question -> answer", n=2, selection="majority", lm=lm),
     {"question": "q", "text": "t"}, "got no field text"),
    (lambda lm: BestOfN(n=2, selection="majority", lm=lm), {"question": "q", "context": "c"},
     "got no field context"),
    (lambda lm: BestOfN("question -> answer", n=2, selection="majority", answer_field="code", lm=lm), {},
     "answer_field 'code' is not an output"),
    (lambda lm: BeamSearch("question -> answer", n=2, beam_width=2, verifier=lambda i, s: 1.0, lm=lm), {},
     "no reasoning output; search a dspy.ChainOfThought"),
    (lambda lm: BestOfN(LLMJudge(lm=lm), n=2, lm=lm), {}, "looks like a verifier"),
    (lambda lm: BestOfN("question -> answer", n=2, selection="majority", lm=lm)("q"), {}, "keyword inputs"),
])
def test_bad_programs_and_inputs_get_one_line_naming_the_fix(make, call, message):
    lm = chat_lm(lambda prompt, seed: fields_reply(answer="1"))
    with pytest.raises(ProgramError) as info:
        make(lm)(**call)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_module_and_signature_name_the_program_as_dspy_s_wrappers_do():
    lm = chat_lm(lambda prompt, seed: fields_reply(answer="Paris"))
    assert BestOfN(module=dspy.Predict("question -> answer"), n=2, selection="majority", lm=lm)(question="?").answer \
        == "Paris"
    assert BestOfN(signature="question -> answer", n=2, selection="majority", lm=lm)(question="?").answer == "Paris"
    with pytest.raises(ProgramError, match="given twice"):
        BestOfN("question -> answer", module=dspy.Predict("question -> answer"), n=2)
    with pytest.raises(ProgramError, match="generator= takes a Generator"):
        BestOfN(generator=dspy.ChainOfThought("question -> answer"), n=2, selection="majority")


def test_a_module_without_output_fields_is_refused():
    class Empty(dspy.Module):
        def forward(self, question):
            return dspy.Prediction()

    with pytest.raises(ProgramError, match="has no predictor"):
        BestOfN(Empty(), n=2, selection="majority")


def test_user_functions_that_fail_are_named_in_one_line():
    from ttc_modules.verifiers import as_verifier

    lm = chat_lm(lambda prompt, seed: fields_reply(answer="x"))
    with pytest.raises(ValueError, match="the normalize= function '<lambda>' raised ZeroDivisionError"):
        BestOfN("question -> answer", n=2, selection="majority", normalize=lambda v: 1 / 0, lm=lm)(question="?")
    with pytest.raises(ValueError, match="takes 1 argument"):
        as_verifier(lambda pred: 1.0)
    with pytest.raises(ValueError, match="not both"):
        BestOfN("question -> answer", n=2, selection="majority", normalize=str.lower, equivalent="text")


def test_acall_runs_a_program_s_rollouts_as_coroutines():
    import asyncio

    lm = chat_lm(lambda prompt, seed: fields_reply(reasoning="r", answer="Paris" if seed % 2 else "Lyon"))

    class Two(dspy.Module):
        def __init__(self):
            super().__init__()
            self.ask = dspy.ChainOfThought("question -> answer")

        def forward(self, question):
            return self.ask(question=question)

    async def both():
        one = BestOfN(dspy.ChainOfThought("question -> answer"), n=3, selection="majority", lm=lm)
        two = BestOfN(Two(), n=3, selection="majority", lm=lm)
        return await asyncio.gather(one.acall(question="Capital?"), two.acall(question="Capital?"))

    first, second = asyncio.run(both())
    assert first.answer in ("Paris", "Lyon") and second.answer in ("Paris", "Lyon")
    assert first.spent["generations"] == second.spent["generations"] == 3 and lm.provider_fake.async_threads
