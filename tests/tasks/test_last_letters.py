"""Last-letter concatenation: seeded examples, right labels, levels as asked, a forgiving but exact metric."""

import re

import dspy
import pytest

from tests.tasks.helpers import as_data, examples_in_a_fresh_python
from ttc_modules.tasks.last_letters import LastLetters, examples, metric

ELON = dspy.Example(words="Elon Musk Larry Page", answer="nkye", level=4).with_inputs("words")


def test_the_same_seed_gives_the_same_examples_and_another_seed_others():
    assert as_data(examples(10, seed=3)) == as_data(examples(10, seed=3))
    assert [e.words for e in examples(10, seed=3)] != [e.words for e in examples(10, seed=4)]


def test_the_examples_are_the_same_in_another_python_run():
    fresh = examples_in_a_fresh_python("last_letters", hash_seed=123, n=5, seed=7)
    assert fresh == as_data(examples(5, seed=7))
    assert examples(1, seed=0, levels=(2,))[0].words == "Chloe Wilson"  # pinned: the same on every machine


def test_the_labels_are_the_last_letters_of_the_words():
    for example in examples(20, seed=1):
        assert example.answer == "".join(re.findall(r"([A-Za-z])(?: |$)", example.words)).lower()
    assert metric(ELON, dspy.Prediction(answer="nkye"))


def test_the_level_is_the_number_of_words_with_n_examples_per_level():
    batch = examples(6, seed=2)
    assert [e.level for e in batch] == [2] * 6 + [3] * 6 + [4] * 6 + [5] * 6
    assert all(len(e.words.split()) == e.level for e in batch)
    assert len({e.id for e in batch}) == len(batch) and batch[0].id == "last_letters-2-0"
    assert [len(e.words.split()) for e in examples(1, levels=(1, 8))] == [1, 8]


def test_the_inputs_are_the_signatures_input_fields():
    example = examples(1)[0]
    assert set(example.inputs().keys()) == set(LastLetters.input_fields) == {"words"}
    assert set(example.labels().keys()) >= {"answer"}


def test_the_metric_accepts_the_letters_in_any_case_and_punctuation():
    for answer in ["nkye", " NKYE ", "n k y e", '"nkye".', "N-K-Y-E", "'Nkye'"]:
        assert metric(ELON, dspy.Prediction(answer=answer)) is True, answer
        assert metric(ELON, {"answer": answer}) is True, answer


def test_the_metric_rejects_wrong_and_odd_predictions_without_raising():
    wrong = [dspy.Prediction(answer=answer) for answer in ("nky", "nkyee", "ekyn", "", None, 42, ["nkye"])]
    odd = [dspy.Prediction(reasoning="nkye"), {}, {"answer": None}, None, object(), "nkye"]
    for prediction in [*wrong, *odd]:
        assert metric(ELON, prediction) is False, prediction


def test_bad_requests_name_the_value_and_the_fix():
    for call, named in [
        (lambda: examples(0), "n=0"), (lambda: examples(-2), "n=-2"), (lambda: examples(2.5), "n=2.5"),
        (lambda: examples(1, levels=(9,)), "level 9"), (lambda: examples(1, levels=(0,)), "level 0"),
        (lambda: examples(1, levels=()), "levels=()"), (lambda: examples(1, levels=(2, 2)), "levels=(2, 2)"),
    ]:
        with pytest.raises(ValueError, match=re.escape(named)) as raised:
            call()
        assert "last_letters" in str(raised.value)
    with pytest.raises(ValueError, match=r"pass levels between 1\.\.8"):
        examples(1, levels=(9,))
