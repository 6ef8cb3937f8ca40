"""Properties of reading and comparing answers (hypothesis).

- ``same_answer`` is symmetric, and so is grouping two answers with ``answer_groups``;
- ``clean_answer`` is idempotent: what it returns it leaves as it is;
- every usual written form of a number (trailing zeros, ``$n$``, ``\\$n``, ``1,234``, ``\\frac{2n}{2}``,
  the Unicode minus, "12 apples") grades as that number, and no form of a different number does;
- stating an answer in a sentence ("The answer is ...") grades as the bare answer does.

The first math-verify check starts its worker process, hence ``deadline=None``.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ttc_modules.answers import answer_groups, clean_answer, extract_answer, same_answer
from ttc_modules.evaluation import grade

PROPERTY = settings(max_examples=75, deadline=None)

# Answers as MATH / GSM8K references and model outputs write them; several are forms of one another.
POOL = [
    "3", "3.0", "$3$", "x = 3", "-3", "\u22123", "4",
    "\\frac{1}{2}", "\\dfrac{1}{2}", "1/2", "0.5", ".5", "\\frac{2}{4}", "-\\frac{1}{2}",
    "\\frac{3}{4}", "0.75", "\\tfrac{3}{4}", "\\frac{1}{3}", "0.33",
    "25\\%", "25 \\%", "10.5", "\\frac{21}{2}", "10.50",
    "\\frac{\\pi}{6}", "-\\frac{\\pi}{6}", "\\frac{-\\pi}{6}",
    "2\\sqrt{3}", "\\sqrt{12}", "\\sqrt{3}",
    "x^2+2x+1", "1+2x+x^2", "(x+1)^2", "x^2+1", "5r^5", "5", "y = 2x+3", "2x+3",
    "(1,2)", "(2,1)", "\\left( 1, 2 \\right)", "\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\pi/2)",
    "[0,1)", "\\left[0,1\\right)", "(0,1]", "(-\\infty, 3]", "\\{1,2,3\\}", "\\{3,1,2\\}", "1, 2", "2, 1",
    "90^\\circ", "90", "\\text{(C)}", "C", "(C)", "\\text{Evelyn}", "Evelyn", "Briana",
    "5\\text{ cm}", "5\\text{ cm}^2", "18 \\text{ dollars}", "\\$18.90", "18.9", "18",
    "1,000,000", "1000000", "118,000", "118", "1000", "100", "\\infty", "7!", "5040", "2^{10}", "1024",
]
UNIT_WORDS = ["apples", "dollars", "hours", "cm", "meters", "miles", "students", "cookies", "minutes", "km"]

integers = st.integers(-10**7, 10**7).map(Decimal)
terminating_decimals = st.builds(lambda digits, places: Decimal(digits).scaleb(-places),
                                 st.integers(-10**7, 10**7), st.integers(1, 4))
numbers = st.one_of(integers, terminating_decimals)


def written(n: Decimal) -> str:
    """``n`` as a person writes it: no exponent, no trailing zeros (``12.5``, ``-3``, ``1000``)."""
    return format(n.normalize(), "f")


def forms(n: Decimal, unit: str) -> dict[str, str]:
    """Written forms of the number ``n`` that all mean ``n``."""
    text = written(n)
    is_integer = n == n.to_integral_value()
    places = 0 if is_integer else -n.normalize().as_tuple().exponent
    found = {
        "plain": text,
        "trailing zero": f"{text}.0" if is_integer else f"{text}0",
        "trailing zeros": f"{text}.00" if is_integer else f"{text}00",
        "math mode": f"${text}$",
        "unit word": f"{text} {unit}",
        "fraction": (f"\\frac{{{written(2 * n)}}}{{2}}" if is_integer
                     else f"\\frac{{{written(n.scaleb(places))}}}{{{10 ** places}}}"),
    }
    if n >= 0:
        found["dollar sign"] = f"\\${text}"
        found["bare dollar sign"] = f"${text}"
    if abs(n) >= 1000:
        found["thousands grouped"] = format(n.normalize(), ",f")
    if n < 0:
        found["unicode minus"] = text.replace("-", "\u2212")
    return found


def last_place(n: Decimal) -> Decimal:
    """One unit in the last written place of ``n`` (1 for integers)."""
    return Decimal(1).scaleb(min(0, n.normalize().as_tuple().exponent))


WRAPPERS = [
    lambda s, unit: f"${s}$",
    lambda s, unit: f"\\${s}",
    lambda s, unit: f"${s}",
    lambda s, unit: f"{s}.",
    lambda s, unit: f"{s},",
    lambda s, unit: f"  {s} ",
    lambda s, unit: f"\\({s}\\)",
    lambda s, unit: f"\\[{s}\\]",
    lambda s, unit: f"$${s}$$",
    lambda s, unit: f"\\displaystyle {s}",
    lambda s, unit: f"{s} {unit}",
    lambda s, unit: f"{s}%",
    lambda s, unit: f"{s}\\%",
    lambda s, unit: s.replace("-", "\u2212"),
]


@st.composite
def wrapped_numbers(draw) -> str:
    """A number in one of its forms, wrapped in up to three of the wrappers above."""
    n, unit = draw(numbers), draw(st.sampled_from(UNIT_WORDS))
    text = draw(st.sampled_from(sorted(forms(n, unit).values())))
    for wrap in draw(st.lists(st.sampled_from(WRAPPERS), max_size=3)):
        text = wrap(text, unit)
    return text


answer_like_text = st.lists(st.sampled_from(
    list("0123456789.,$\\{}()[] -\u2212%^_xcm") + ["\\text{ cm}", "\\frac", "\\$", "$$", "\\(", "\\)", "\\,", "{,}",
                                                   "\\displaystyle ", " apples", "\\sqrt", "\u2009"]),
    max_size=12).map("".join)


@PROPERTY
@given(st.sampled_from(POOL), st.sampled_from(POOL))
def test_same_answer_is_symmetric(a, b):
    assert same_answer(a, b) == same_answer(b, a), f"same_answer({a!r}, {b!r}) != same_answer({b!r}, {a!r})"
    together = answer_groups([a, b]) == [0, 0]
    assert together == (answer_groups([b, a]) == [0, 0]), f"grouping {a!r} with {b!r} depends on their order"


@PROPERTY
@given(st.one_of(numbers.map(written), wrapped_numbers(), st.sampled_from(POOL), answer_like_text))
def test_clean_answer_is_idempotent(text):
    once = clean_answer(text)
    assert clean_answer(once) == once, f"clean_answer({text!r}) = {once!r}, cleaned again {clean_answer(once)!r}"


@PROPERTY
@given(numbers, st.sampled_from(UNIT_WORDS))
def test_every_written_form_of_a_number_grades_as_that_number(n, unit):
    reference = written(n)
    wrong = {name: form for name, form in forms(n, unit).items() if not grade(form, reference)}
    assert not wrong, f"forms of {reference} graded wrong against {reference!r}: {wrong}"


@PROPERTY
@given(numbers, st.sampled_from(UNIT_WORDS), st.sampled_from(["next integer", "next in the last place"]))
def test_no_form_of_a_different_number_grades_as_the_number(n, unit, step):
    reference = written(n)
    other = n + (1 if step == "next integer" else last_place(n))
    right = {name: form for name, form in forms(other, unit).items() if grade(form, reference)}
    assert not right, f"forms of {written(other)} graded right against {reference!r}: {right}"


@PROPERTY
@given(st.one_of(numbers.map(written), wrapped_numbers(), st.sampled_from(POOL)),
       st.one_of(numbers.map(written), st.sampled_from(POOL)))
def test_an_answer_stated_in_a_sentence_grades_as_the_bare_answer(form, reference):
    sentence = f"The answer is {form}."
    extracted = extract_answer(sentence)
    assert grade(extracted, reference) == grade(form, reference), (
        f"{sentence!r} reads as {extracted!r}: graded {grade(extracted, reference)} against {reference!r}, "
        f"the bare {form!r} graded {grade(form, reference)}")
