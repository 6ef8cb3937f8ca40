"""Extraction: the final answer as written, freed of what only wraps it."""

import pytest

from ttc_modules.answers import clean_answer, extract_answer, has_final_answer, stating_answer


@pytest.mark.parametrize("text, expected", [
    ("5 + 3 = 8.\n\nThe answer is 8.", "8"),
    ("so x = \\boxed{\\frac{1}{2}} in the end", "\\frac{1}{2}"),
    ("\\boxed{x^{2}+1}", "x^{2}+1"),
    ("a \\fbox{7} b", "7"),
    ("a\n#### 1,250", "1250"),
    ("The answer is: $42", "42"),
    ("first 3, then 4 and finally 9 apples", "9"),
    ("no number here", None),
    ("", None),
    (None, None),
    ("The answer is $10.5$.", "10.5"),
    ("The answer is 10.5$.", "10.5"),
    ("The answer is \\$18.90.", "18.90"),
    ("The answer is .35625.", ".35625"),
    ("We count 118 000 people.", "118000"),
    ("The answer is 1\u2009000.", "1000"),
    ("The answer is 1{,}000", "1000"),
    ("The answer is 1,234,567.", "1234567"),
    ("The answer is \u22123.", "-3"),
    ("The answer is 8 apples.", "8"),
    ("The answer is 12 dollars an hour", "12"),
    ("The answer is 3.5 hours. Then we go home.", "3.5"),
    ("The answer is 50%.", "50%"),
    ("The answer is (1, 2).", "(1, 2)"),
    ("The answer is 5\\text{ cm}^2.", "5\\text{ cm}^2"),
    ("The final answer is $\\frac{3}{4}$. I hope it is correct.", "\\frac{3}{4}"),
    ("It costs $5. The answer is 5", "5"),
    ("the answer is x=2 or x=3.", "x=2 or x=3"),
    ("\\frac{21}{2}", "\\frac{21}{2}"),
    ("x = 3", "x = 3"),
    ("\\theta = 2", "\\theta = 2"),
    ("Evelyn", "Evelyn"),
    ("5 + 3 = 8", "8"),
    ("She has 5 apples", "5"),
])
def test_extract_answer(text, expected):
    assert extract_answer(text) == expected


def test_a_number_of_any_length_is_kept_whole_and_compared_exactly():
    from ttc_modules.answers import answer_groups, matches

    digits = "9" * 5000
    assert extract_answer(f"The answer is {digits}.") == digits
    assert extract_answer(f"so we get {digits}") == digits
    assert matches(digits, f"{digits}.0") and not matches(digits, f"{digits}8")
    assert answer_groups([digits, f"{digits}8", digits]) == [0, 1, 0]


def test_an_answer_stated_in_a_field_of_its_own_reads_back():
    solution = stating_answer("Add them: 2 + 2 = 4.", "4")
    assert solution == "Add them: 2 + 2 = 4.\n\nThe answer is 4." and extract_answer(solution) == "4"
    assert extract_answer(stating_answer("", "Evelyn and Briana")) == "Evelyn and Briana"


def test_a_stated_answer_is_marked():
    assert has_final_answer("so \\boxed{3}") and has_final_answer("The answer is 3.") and has_final_answer("#### 3")
    assert not has_final_answer("3 + 4 = 7")


@pytest.mark.parametrize("raw, expected", [("\\$1,000.50 per hour.", "1000.50"), ("$\\frac{1}{2}$", "\\frac{1}{2}"),
                                           ("\\(x+1\\)", "x+1"), ("7!", "7!"), ("  -2.  ", "-2")])
def test_clean_answer(raw, expected):
    assert clean_answer(raw) == expected
