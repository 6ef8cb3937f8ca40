"""Answers and steps in solution text: extraction, normalisation, splitting."""

import pytest

from ttc_modules.steps import extract_answer, normalize_answer, split_steps


@pytest.mark.parametrize("text, expected", [
    ("5 + 3 = 8.\n\nThe answer is 8.", "8"),
    ("so x = \\boxed{\\frac{1}{2}} in the end", "\\frac{1}{2}"),
    ("a\n#### 1,250", "1,250"),
    ("The answer is: $42", "42"),
    ("first 3, then 4 and finally 9 apples", "9"),
    ("no number here", None),
    ("\\boxed{x^{2}+1}", "x^{2}+1"),
])
def test_extract_answer(text, expected):
    assert extract_answer(text) == expected


@pytest.mark.parametrize("raw, expected", [
    ("1,000", "1000"), ("$1000.00", "1000"), ("8.", "8"), ("-3.50", "-3.5"), ("12 apples", "12"),
    ("\\frac{1}{2}", "0.5"), (None, None),
])
def test_normalize_answer(raw, expected):
    assert normalize_answer(raw) == expected


def test_split_steps_on_blank_lines():
    assert split_steps("a = 1\n\n\nb = 2\n\n") == ["a = 1", "b = 2"]
    assert split_steps("a\nb", delimiter="\n") == ["a", "b"]


@pytest.mark.parametrize("a, b", [("\\frac{1}{2}", "0.5"), ("\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\pi/2)"),
                                  ("90^\\circ", "90"), ("\\dfrac{3}{4}", "0.75"), ("1,000", "1000.0")])
def test_equivalent_answers_share_a_canonical_form(a, b):
    assert normalize_answer(a) == normalize_answer(b)


def test_words_stay_words():
    assert normalize_answer("banana split") == "banana split"
    assert normalize_answer("\\frac{1}{3}") != normalize_answer("0.33")
