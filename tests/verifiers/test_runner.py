"""The verifier runner: scores cached on disk yet counted, verifier calls checked first, bad scores named."""

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


def test_scores_are_cached_on_disk_and_still_counted(tmp_path):
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
                                          (["x"], "must return a number"), (float("nan"), "not NaN"),
                                          (None, "not NaN, None or text"), ("0.5", "not NaN, None or text")])
def test_bad_scores_fail_the_candidate_and_are_named(bad, message, caplog):
    runner = VerifierRunner(as_verifier(lambda inputs, steps: bad), cache_dir=None)
    meter = BudgetMeter()
    with meter.active():
        assert runner.score(QUESTION, ["a", "b"]) == [0.0]
    assert meter.spent()["verifier_errors"] == 1
    assert message in caplog.text and "the candidate scores 0" in caplog.text


def test_a_verifier_that_raises_fails_the_candidate_named_with_the_step(caplog):
    def broken(inputs, steps):
        return 1 / 0

    runner = VerifierRunner(as_verifier(broken), cache_dir=None)
    meter = BudgetMeter()
    with meter.active():
        assert runner.score({"question": "What is 1 + 1?"}, ["1 + 1 = 2.", "The answer is 2."]) == [0.0]
        assert runner.score({"question": "What is 1 + 1?"}, ["1 + 1 = 2."]) == [0.0]  # not cached: asked again
    assert meter.spent()["verifier_errors"] == 2 and meter.spent()["verifier_calls"] == 2
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1  # the first failure of a runner warns, the rest are debug lines
    message = warnings[0].getMessage()
    assert "'broken'" in message and "step 2" in message and "ZeroDivisionError" in message
    assert "What is 1 + 1?" in message and "\n" not in message


def test_a_verifier_error_the_verifier_raises_itself_ends_the_search():
    class Misused:
        name, process, oracle, cache_id = "misused", False, False, None

        def score(self, inputs, steps):
            raise VerifierError("misused needs a reference; pass it")

    with pytest.raises(VerifierError, match="misused needs a reference"):
        VerifierRunner(Misused(), cache_dir=None).score(QUESTION, ["a"])
