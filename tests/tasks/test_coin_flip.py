"""Coin flip: seeded examples, right labels, balanced answers, a metric that reads yes/no however written."""

import re

import dspy
import pytest

from tests.tasks.helpers import as_data, examples_in_a_fresh_python
from ttc_modules.tasks.coin_flip import CoinFlip, examples, metric

MOVE = re.compile(r"(\w+) (flips|does not flip) the coin\.")
YES = dspy.Example(question="A coin is heads up. Ka flips the coin. Sherrie flips the coin. "
                            "Is the coin still heads up?", answer="yes", level=2).with_inputs("question")
NO = dspy.Example(question="A coin is heads up. Ka flips the coin. Is the coin still heads up?",
                  answer="no", level=1).with_inputs("question")


def test_the_same_seed_gives_the_same_examples_and_another_seed_others():
    assert as_data(examples(10, seed=3)) == as_data(examples(10, seed=3))
    assert [e.question for e in examples(10, seed=3)] != [e.question for e in examples(10, seed=4)]


def test_the_examples_are_the_same_in_another_python_run():
    fresh = examples_in_a_fresh_python("coin_flip", hash_seed=123, n=5, seed=7)
    assert fresh == as_data(examples(5, seed=7))
    first = examples(1, seed=0, levels=(2,))[0]  # pinned: the same on every machine
    assert first.question == ("A coin is heads up. Jonas does not flip the coin. Vera flips the coin. "
                              "Is the coin still heads up?") and first.answer == "no"


def test_the_label_is_yes_when_the_coin_was_flipped_an_even_number_of_times():
    for example in examples(25, seed=1):
        flips = [move for _, move in MOVE.findall(example.question)].count("flips")
        assert example.answer == ("yes" if flips % 2 == 0 else "no")


def test_the_level_is_the_number_of_people_with_n_examples_per_level():
    batch = examples(5, seed=2)
    assert [e.level for e in batch] == [1] * 5 + [2] * 5 + [3] * 5 + [4] * 5
    for example in batch:
        people = [person for person, _ in MOVE.findall(example.question)]
        assert len(people) == len(set(people)) == example.level
    assert len({e.id for e in batch}) == len(batch) and batch[0].id == "coin_flip-1-0"


def test_yes_and_no_are_roughly_balanced():
    for batch in (examples(50, seed=5), examples(200, seed=6, levels=(1,))):
        share = sum(e.answer == "yes" for e in batch) / len(batch)
        assert 0.35 <= share <= 0.65, share


def test_the_inputs_are_the_signatures_input_fields():
    assert set(examples(1)[0].inputs().keys()) == set(CoinFlip.input_fields) == {"question"}


def test_the_metric_accepts_the_answer_however_written():
    written = [(YES, "yes"), (YES, "Yes"), (YES, "yes."), (YES, " YES "), (YES, '"yes"'), (YES, True),
               (NO, "no"), (NO, "No!"), (NO, "'no'"), (NO, False)]
    for example, answer in written:
        assert metric(example, dspy.Prediction(answer=answer)) is True, answer
        assert metric(example, {"answer": answer}) is True, answer
    assert metric(dspy.Example(answer="Yes"), {"answer": "yes"}) is True  # a label written by hand


def test_the_metric_rejects_wrong_and_odd_predictions_without_raising():
    answers = ("no", False, "maybe", "yes, it is", "", None, 1, ["yes"])
    wrong = [dspy.Prediction(answer=answer) for answer in answers]
    for prediction in [*wrong, dspy.Prediction(reasoning="yes"), {}, None, object(), "yes"]:
        assert metric(YES, prediction) is False, prediction


def test_bad_requests_name_the_value_and_the_fix():
    for call, named in [(lambda: examples(0), "n=0"), (lambda: examples(1, levels=(9,)), "level 9"),
                        (lambda: examples(1, levels=(0,)), "level 0"),
                        (lambda: examples(1, levels=(1, 1)), "levels=(1, 1)")]:
        with pytest.raises(ValueError, match=re.escape(named)):
            call()
