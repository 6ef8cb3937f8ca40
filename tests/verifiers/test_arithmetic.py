"""The arithmetic checker: expressions, sound and unsound steps."""

import pytest

from tests.verifiers.helpers import QUESTION
from ttc_modules.verifiers import ArithmeticChecker
from ttc_modules.verifiers.arithmetic import evaluate


@pytest.mark.parametrize("expression, value", [("3 + 4", 7), ("20 - 7 - 5", 8), ("4 x 6", 24), ("(3 + 4) * 2", 14),
                                               ("7 ÷ 2", 3.5), ("1,000 + 1", 1001), ("$4.50 + $1.50", 6)])
def test_evaluate(expression, value):
    assert evaluate(expression) == value


def test_checker_prefers_sound_solutions():
    checker = ArithmeticChecker()
    right = checker.score(QUESTION, ["She spent 7 + 5 = 12 dollars.", "20 - 12 = 8 dollars are left.", "The answer is 8."])
    wrong = checker.score(QUESTION, ["She spent 7 + 5 = 13 dollars.", "20 - 13 = 7 dollars.", "The answer is 7."])
    made_up = checker.score(QUESTION, ["She spent 7 + 9 = 16 dollars.", "The answer is 16."])
    unsupported = checker.score(QUESTION, ["She spent 7 + 5 = 12 dollars.", "The answer is 9."])
    assert right == [1.0, 1.0, 1.0]
    assert wrong[0] == 0.05 and wrong[-1] < 0.05
    assert made_up[0] == 0.5  # 9 is in neither the question nor an earlier result
    assert unsupported[-1] == 0.5
    assert right[-1] > made_up[-1] > wrong[-1]


def test_checker_reads_units_between_numbers():
    assert ArithmeticChecker().check_step("3 apples - 4 = 1 apple", {3, 4})[0] == 0.05
