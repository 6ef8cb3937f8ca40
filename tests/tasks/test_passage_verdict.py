"""Passage verdict: seeded examples, verdicts a small reader of the passage agrees with, levels as asked."""

import re

import dspy
import pytest

from tests.tasks.helpers import as_data, examples_in_a_fresh_python
from ttc_modules.tasks.passage_verdict import PassageVerdict, examples, metric

VERB = {"lives in": "live in", "works as a": "work as a", "owns a": "own a"}
FACT = re.compile(r"(\w+) (lives in|works as a|owns a) (\w+)\.")
NEGATED = re.compile(r"(\w+) does not (live in|work as a|own a) (\w+)\.")
QUESTION = re.compile(r"Does (?:the (\w+)|(\w+)) (live in|work as a|own a) (\w+)\?")
YES = dspy.Example(passage="Mia lives in Oslo.", question="Does Mia live in Oslo?", verdict="yes", level=1)


def read(example) -> str:
    """The verdict, worked out from the text alone: yes only if the passage states the fact."""
    facts = {(name, VERB[verb], value) for name, verb, value in FACT.findall(example.passage)}
    negated = set(NEGATED.findall(example.passage))
    assert not facts & negated, example.passage
    job, name, verb, value = QUESTION.fullmatch(example.question).groups()
    if job:
        [name] = [person for person, fact_verb, fact in facts if (fact_verb, fact) == ("work as a", job)]
    return "yes" if (name, verb, value) in facts else "no"


def test_the_same_seed_gives_the_same_examples_and_another_seed_others():
    assert as_data(examples(10, seed=3)) == as_data(examples(10, seed=3))
    assert [e.passage for e in examples(10, seed=3)] != [e.passage for e in examples(10, seed=4)]


def test_the_examples_are_the_same_in_another_python_run():
    fresh = examples_in_a_fresh_python("passage_verdict", hash_seed=123, n=5, seed=7)
    assert fresh == as_data(examples(5, seed=7))
    first = examples(1, seed=0, levels=(1,))[0]  # pinned: the same on every machine
    assert (first.passage, first.question, first.verdict) == (
        "Ben works as a baker. Ben lives in Cairo. Ben owns a parrot.", "Does Ben live in Riga?", "no")


def test_the_verdicts_are_what_the_passage_says():
    for example in examples(60, seed=1):
        assert example.verdict == read(example), (example.passage, example.question)


def test_the_levels_have_the_people_negations_and_questions_asked_for():
    batch = examples(100, seed=2)
    assert [e.level for e in batch] == [1] * 100 + [2] * 100 + [3] * 100
    for example in batch:
        people = {name for name, _, _ in FACT.findall(example.passage)}
        assert len(people) == {1: 1, 2: 3, 3: 3}[example.level]
        assert len(NEGATED.findall(example.passage)) == (1 if example.level == 3 else 0)
        if example.level < 3:
            assert QUESTION.fullmatch(example.question).group(2), "levels 1 and 2 ask about a person by name"
    level_3 = [e.question for e in batch if e.level == 3]
    assert 20 < sum(q.startswith("Does the ") for q in level_3) < 80  # two facts, else the negated one


def test_no_answers_name_another_persons_value_or_an_unstated_one():
    stated_elsewhere = unstated = 0
    for example in examples(100, seed=4, levels=(2,)):
        *_, value = QUESTION.fullmatch(example.question).groups()
        if example.verdict == "no":
            stated_elsewhere += f" {value}." in example.passage
            unstated += f" {value}." not in example.passage
    assert stated_elsewhere > 10 and unstated > 10


def test_yes_and_no_are_roughly_balanced_at_each_level():
    for level in (1, 2, 3):
        share = sum(e.verdict == "yes" for e in examples(200, seed=5, levels=(level,))) / 200
        assert 0.35 <= share <= 0.65, (level, share)


def test_the_inputs_are_the_signatures_input_fields():
    example = examples(1)[0]
    assert set(example.inputs().keys()) == set(PassageVerdict.input_fields) == {"passage", "question"}
    assert example.id == "passage_verdict-1-0"


def test_the_metric_reads_the_verdict_however_written_and_never_raises():
    for verdict in ["yes", "Yes", "yes.", " YES ", '"yes"', True]:
        assert metric(YES, dspy.Prediction(verdict=verdict)) is True, verdict
    wrong = [dspy.Prediction(verdict=verdict) for verdict in ("no", False, "maybe", "", None, 1)]
    for prediction in [*wrong, dspy.Prediction(answer="yes"), {}, None, object()]:
        assert metric(YES, prediction) is False, prediction


def test_bad_requests_name_the_value_and_the_fix():
    for call, named in [(lambda: examples(0), "n=0"), (lambda: examples(1, levels=(4,)), "level 4"),
                        (lambda: examples(1, levels=("2",)), "level '2'")]:
        with pytest.raises(ValueError, match=re.escape(named)):
            call()
    with pytest.raises(ValueError, match=r"between 1\.\.3"):
        examples(1, levels=(4,))
