"""Grading against a labelled table of answer forms (``answer_pairs.tsv``).

Each row is a reference answer, a candidate answer as a model might write it, whether the two are
the same answer (1) or not (0), and a category naming what the pair tests (``fraction_decimal``,
``interval_ends``, ...). Over the whole table, :func:`~ttc_modules.evaluation.grade` may call at most
1% of the equivalent pairs wrong (false negatives) and at most 0.5% of the non-equivalent pairs
right (false positives); a failure lists every misgraded pair.

Equivalence is symmetric, so for every category but ``relation`` (a reference value against a
candidate stating it as ``x = 3``, ``x \\in [0,1)`` or ``f(x) = ...``: the candidate's form is not
a reference's) grading the pair the other way round, the reference as the solution, must give the
same verdict, within the same tolerances.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

import pytest

from ttc_modules.evaluation import grade

TABLE = Path(__file__).with_name("answer_pairs.tsv")
HEADER = ["reference", "candidate", "equivalent", "category"]
MAX_FALSE_NEGATIVE_RATE = 0.01
MAX_FALSE_POSITIVE_RATE = 0.005
ASYMMETRIC_CATEGORIES = frozenset({"relation"})


class Pair(NamedTuple):
    line: int
    reference: str
    candidate: str
    equivalent: bool
    category: str


class Graded(NamedTuple):
    pair: Pair
    forward: bool  # grade(candidate, reference): the candidate graded against the reference
    backward: bool  # grade(reference, candidate): the same pair the other way round


@functools.cache
def pairs() -> tuple[Pair, ...]:
    lines = TABLE.read_text(encoding="utf-8").splitlines()
    assert lines and lines[0].split("\t") == HEADER, f"{TABLE.name}: the header must be {HEADER}"
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split("\t")
        assert len(fields) == 4 and fields[2] in ("0", "1") and all(f.strip() for f in fields), \
            f"{TABLE.name}:{number}: malformed row {line!r}"
        reference, candidate, equivalent, category = fields
        rows.append(Pair(number, reference, candidate, equivalent == "1", category))
    return tuple(rows)


@functools.cache
def graded() -> tuple[Graded, ...]:
    return tuple(Graded(pair, grade(pair.candidate, pair.reference), grade(pair.reference, pair.candidate))
                 for pair in pairs())


def describe(rows: Iterable[tuple[Pair, str]]) -> str:
    return "\n".join(f"  line {p.line} [{p.category}] reference {p.reference!r} vs candidate {p.candidate!r}: "
                     f"labelled {'equivalent' if p.equivalent else 'not equivalent'}, {what}" for p, what in rows)


def check_rate(kind: str, wrong: list[tuple[Pair, str]], total: int, limit: float) -> None:
    assert total, f"no pairs for the {kind} rate"
    rate = len(wrong) / total
    if rate > limit:
        pytest.fail(f"{kind} rate {rate:.2%} ({len(wrong)}/{total}) is above {limit:.1%}; "
                    f"misgraded pairs:\n{describe(wrong)}", pytrace=False)


def test_the_table_is_large_and_has_both_labels():
    rows = pairs()
    assert len(rows) >= 300, f"{len(rows)} pairs: the table should hold at least 300"
    assert {p.equivalent for p in rows} == {True, False}
    duplicates = sorted(pair for pair, count in Counter((p.reference, p.candidate) for p in rows).items() if count > 1)
    assert not duplicates, f"pairs listed twice: {duplicates}"


def test_false_negative_rate():
    """Equivalent pairs that grade calls wrong."""
    equivalent = [g for g in graded() if g.pair.equivalent]
    wrong = [(g.pair, "grade said False") for g in equivalent if not g.forward]
    check_rate("false-negative", wrong, len(equivalent), MAX_FALSE_NEGATIVE_RATE)


def test_false_positive_rate():
    """Non-equivalent pairs that grade calls right."""
    different = [g for g in graded() if not g.pair.equivalent]
    wrong = [(g.pair, "grade said True") for g in different if g.forward]
    check_rate("false-positive", wrong, len(different), MAX_FALSE_POSITIVE_RATE)


@pytest.mark.parametrize("equivalent, limit", [(True, MAX_FALSE_NEGATIVE_RATE), (False, MAX_FALSE_POSITIVE_RATE)],
                         ids=["equivalent", "not-equivalent"])
def test_grading_the_other_way_round_gives_the_same_verdict(equivalent, limit):
    """grade(reference, candidate) == grade(candidate, reference) for pairs of the symmetric categories."""
    symmetric = [g for g in graded() if g.pair.equivalent == equivalent
                 and g.pair.category not in ASYMMETRIC_CATEGORIES]
    wrong = [(g.pair, f"grade(candidate, reference) said {g.forward}, grade(reference, candidate) said {g.backward}")
             for g in symmetric if g.forward != g.backward]
    check_rate("asymmetric-verdict", wrong, len(symmetric), limit)


def test_every_category_of_the_table_is_known_to_the_symmetry_check():
    """The categories left out of the symmetry check are categories of the table (a renamed one is noticed)."""
    assert {p.category for p in pairs()} >= ASYMMETRIC_CATEGORIES
