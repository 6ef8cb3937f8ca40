"""The generator of a user's program on a model prompted with the reply begun: whole replies, a reply whose
reasoning never reaches its fields (finished for it), steps, and a failed reply counted."""

import dspy

from ttc_modules.budget import BudgetMeter
from ttc_modules.programs import ProgramGenerator
from ttc_modules.testing import scripted_lm

COT = "question -> reasoning, answer"


def test_a_whole_reply_keeps_the_fields_as_written():
    lm = scripted_lm(lambda prompt, seed: "Think.\n\n[[ ## answer ## ]]\n42\n\n[[ ## completed ## ]]")
    [draft] = ProgramGenerator(COT, lm=lm).solutions({"question": "?"}, n=1, seed=0)
    assert draft.outputs == {"reasoning": "Think.", "answer": "42"} and draft.text == "Think."


def test_a_reply_that_never_reaches_its_fields_is_finished_for_it():
    def reply(prompt, seed):  # the reply rambles on; asked for the answer, it gives one
        return "7\n\n[[ ## completed ## ]]" if prompt.endswith("[[ ## answer ## ]]\n") else "Hmm.\n\n## answer ##\n7"

    meter = BudgetMeter()
    with meter.active():
        [draft] = ProgramGenerator(COT, lm=scripted_lm(reply)).solutions({"question": "?"}, n=1, seed=0)
    assert draft.outputs == {"reasoning": "Hmm.\n\n## answer ##\n7", "answer": "7"}
    assert meter.spent()["lm_calls"] == 2 and meter.spent()["unparsed"] == 0 and meter.spent()["generations"] == 0


def test_a_reply_that_cannot_be_read_at_all_is_a_failed_draft_counted_once():
    meter = BudgetMeter()
    with meter.active():
        [draft] = ProgramGenerator("question -> answer: int", lm=scripted_lm(lambda p, s: "many")).solutions(
            {"question": "?"}, n=1, seed=0)
    assert draft.outputs is None and not draft.parsed and meter.spent()["unparsed"] == 1


def test_steps_end_where_a_field_begins():
    replies = {0: "First.", 1: "[[ ## answer ## ]]\n4"}
    lm = scripted_lm(lambda prompt, seed: replies[prompt.count("First.")])
    generator = ProgramGenerator(dspy.ChainOfThought("question -> answer"), lm=lm)
    [step] = generator.extend_steps({"question": "?"}, [], n=1, seed=0)
    [end] = generator.extend_steps({"question": "?"}, ["First."], n=1, seed=0)
    assert step.text == "First." and not step.final and end.final and end.text == ""


def test_the_program_s_demos_reach_the_prompt():
    seen = []
    lm = scripted_lm(lambda prompt, seed: seen.append(prompt) or "x\n\n[[ ## completed ## ]]")
    qa = dspy.Predict("question -> answer")
    qa.demos = [dspy.Example(question="Capital of Peru?", answer="Lima")]
    generator = ProgramGenerator(qa, lm=lm)
    messages = generator._prompt(generator.resolve_lm(), {"question": "?"}).messages("[[ ## answer ## ]]\n")
    assert any("Capital of Peru?" in str(m["content"]) for m in messages) and "Lima" in str(messages)
