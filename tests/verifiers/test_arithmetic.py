"""The arithmetic checker: expressions, sound and unsound steps."""

from fractions import Fraction

import pytest

from tests.verifiers.helpers import QUESTION
from ttc_modules.verifiers import ArithmeticChecker
from ttc_modules.verifiers.arithmetic import evaluate
from ttc_modules.verifiers.arithmetic.checker import Solution


@pytest.mark.parametrize("expression, value", [("3 + 4", 7), ("20 - 7 - 5", 8), ("4 x 6", 24), ("(3 + 4) * 2", 14),
                                               ("7 ÷ 2", 3.5), ("1,000 + 1", 1001), ("$4.50 + $1.50", 6),
                                               (".25 * 8", 2), ("27(1/3)", 9), ("(2)(3)", 6), ("10 − 4", 6),
                                               ("2 1/2 * 2", 5), ("1 and 1/4 * 4", 5), ("1 200 / 2", 600),
                                               ("1\u2009200 + 1", 1201), ("25% * 80", 20), ("2^3", 8), ("½ * 6", 3),
                                               ("$3/hour * 4 hours", 12), ("5 cups of tea per day * 2", 10),
                                               ("3x", None), ("4 + ", None), ("2 dogs and 3", None)])
def test_evaluate(expression, value):
    assert evaluate(expression) == value


def test_checker_prefers_sound_solutions():
    checker = ArithmeticChecker()
    right = checker.score(QUESTION, ["She spent 7 + 5 = 12 dollars.", "20 - 12 = 8 dollars are left.", "The answer is 8."])
    wrong = checker.score(QUESTION, ["She spent 7 + 5 = 13 dollars.", "20 - 13 = 7 dollars.", "The answer is 7."])
    made_up = checker.score(QUESTION, ["She spent 7 + 9 = 16 dollars.", "The answer is 16."])
    unsupported = checker.score(QUESTION, ["She spent 7 + 5 = 12 dollars.", "The answer is 9."])
    assert right == [1.0, 1.0, 1.0]
    assert wrong[0] == 0.05 and wrong[-1] == 0.05  # the error counts once; its result carries on
    assert made_up[0] == 0.5  # 9 is in neither the question nor an earlier result
    assert unsupported[-1] == 0.5
    assert right[-1] > made_up[-1] > wrong[-1]


def test_checker_reads_units_between_numbers():
    assert ArithmeticChecker().check_step("3 apples - 4 = 1 apple", Solution({Fraction(3), Fraction(4)})) == 0.05


# Steps phrased here, not taken from any data set: each group is what the checker must know.
SOUND = [
    ("Ann buys three boxes of a dozen eggs.", ["3 * 12 = 36 eggs.", "The answer is 36."]),
    ("Ben saves $5 a week for a year.", ["He saves 5 x 52 = 260 dollars.", "The answer is 260."]),
    ("Cy has twice as many cards as Di, who has 40.", ["Cy has 2 * 40 = 80 cards.", "The answer is 80."]),
    ("Half of the 30 pupils walk; a third of the rest cycle.", ["30 / 2 = 15 walk.", "15 / 3 = 5 cycle.",
                                                                  "The answer is 5."]),
    ("A pen costs $.80. How much do 5 pens cost?", [".80*5 = 4 dollars.", "The answer is 4."]),
    ("Ed reads 1 200 pages in 4 weeks.", ["That is 1 200 / 4 = 300 pages a week.", "300 / 7 = 42.86 pages a day.",
                                           "The answer is 42.86."]),
    ("It is −3 degrees and warms by 8.", ["−3 + 8 = 5 degrees.", "The answer is 5."]),
    ("A cake needs 2 1/2 cups of flour. How much for 4 cakes?", ["2 1/2 × 4 = 10 cups.", "The answer is 10."]),
    ("Fay runs 9 km, a third of it uphill.", ["Uphill she runs 9(1/3) = 3 km.", "The answer is 3."]),
    ("Gus buys 4 packs of 6 and 3 packs of 6.", ["4 * 6 = 24 and 3 * 6 = 18, so 24 + 18 = 42 in all.",
                                                 "The answer is 42."]),
    ("Hal has 12 more marbles than Ivy; together they have 40.", ["Let x be Ivy's marbles: x + x + 12 = 40.",
                                                                  "2x = 28, so x = 14.", "The answer is 14."]),
    ("A shirt of $40 is 25% off.", ["It costs 40 * 0.75 = 30 dollars.", "The answer is 30."]),
    ("Jo drives 3 hours at 50 mph.", ["3 hours * 50 miles/hour = 150 miles.", "The answer is 150."]),
    ("Kim had 20 apples and gave away 7, then 5.", ["She has 20 - 7 - 5 = 8 left, or 20 − 12 = 8.", "The answer is 8."]),
]
WRONG = [
    ("Ann buys three boxes of a dozen eggs.", ["3 * 12 = 38 eggs.", "The answer is 38."]),
    ("Ed reads 1 200 pages in 4 weeks.", ["That is 1 200 / 4 = 400 pages a week.", "The answer is 400."]),
    ("Hal has 12 more marbles than Ivy; together they have 40.", ["x + x + 12 = 40.", "2x = 28, so x = 15.",
                                                                  "The answer is 15."]),
    ("A shirt of $40 is 25% off.", ["The discount is 100% - 25% = 65%.", "The answer is 26."]),
    ("Ed reads 1 200 pages in 4 weeks.", ["300 / 7 = 43.86 pages a day.", "The answer is 43.86."]),
]


@pytest.mark.parametrize("question, steps", SOUND, ids=[q[:30] for q, _ in SOUND])
def test_sound_steps_score_one(question, steps):
    assert ArithmeticChecker().score({"question": question}, steps) == [1.0] * len(steps)


@pytest.mark.parametrize("question, steps", WRONG, ids=[q[:30] for q, _ in WRONG])
def test_wrong_arithmetic_is_caught(question, steps):
    assert ArithmeticChecker().score({"question": question}, steps)[-1] <= 0.05


def test_numbers_from_nowhere_are_ungrounded_and_new_claims_unchecked():
    checker, question = ArithmeticChecker(), {"question": "Lea has 6 red and 4 blue beads."}
    assert checker.score(question, ["6 + 9 = 15 beads."]) == [0.5]  # 9: not stated, not one step from 6 and 4
    assert checker.score(question, ["6 + 4 = 10 beads.", "She has 10 - 3 = 7 left."])[-1] == 0.5
    assert checker.score(question, ["So she has 17 beads."]) == [0.7]
    assert checker.score(question, ["So she has 24 beads in all."]) == [1.0]  # 6 x 4, a step not written out


def test_conversions_are_not_checked_as_arithmetic():
    assert ArithmeticChecker().score({"question": "A film lasts 2 hours."}, ["2 hours = 120 minutes."]) == [1.0]


def test_a_solution_longer_than_pythons_recursion_limit_is_checked():
    steps = [f"{i} + 1 = {i + 1}." for i in range(1500)]  # a degenerate counting run, one step a line
    scores = ArithmeticChecker().score({"question": "Start at 0 and count."}, steps)
    assert len(scores) == 1500 and scores == sorted(scores, reverse=True)  # a product of verdicts never rises
