"""The verifier runner: scores cached on disk yet charged, verifier calls checked first, bad scores named."""

import pytest

from tests.verifiers.helpers import QUESTION
from ttc_modules.budget import Budget, BudgetExceeded, BudgetMeter
from ttc_modules.verifiers import VerifierError, VerifierRunner, as_verifier


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


def test_a_verifier_that_raises_is_named_with_the_step():
    def broken(inputs, steps):
        return 1 / 0

    runner = VerifierRunner(as_verifier(broken), cache_dir=None)
    with pytest.raises(VerifierError) as info:
        runner.score({"question": "What is 1 + 1?"}, ["1 + 1 = 2.", "The answer is 2."])
    message = str(info.value)
    assert "'broken'" in message and "step 2" in message and "ZeroDivisionError" in message
    assert "What is 1 + 1?" in message and "\n" not in message
