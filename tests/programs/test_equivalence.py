"""When two answers are the same: by the answer field's type, or the user's rule."""

import enum
from typing import Literal

import pytest

from ttc_modules.programs import Equivalence, equivalence_for


class Colour(enum.Enum):
    RED = "red"


@pytest.mark.parametrize("annotation, name", [(int, "math"), (float, "math"), (str, "text"), (bool, "value"),
                                              (Literal["a", "b"], "value"), (Colour, "value"), (list[str], "json")])
def test_the_type_chooses_the_equivalence(annotation, name):
    assert equivalence_for(annotation).name == name


def test_missing_values_never_vote_and_json_groups_equal_lists():
    assert equivalence_for(str).groups(["", None, "  ", "x"]) == [None, None, None, 0]
    assert equivalence_for(list[str]).groups([["a"], ["a"], ["b"]]) == [0, 0, 1]


def test_a_users_equivalence_joins_groups_through_a_middle_value():
    near = Equivalence("near", equivalent=lambda a, b: abs(a - b) <= 1)
    assert near.groups([1, 3, 2, 10]) == [0, 0, 0, 1]


def test_an_unknown_name_is_named():
    with pytest.raises(ValueError, match="unknown equivalence 'fuzzy'"):
        Equivalence("fuzzy")


def test_a_short_text_votes_with_the_answer_it_states_and_code_is_compared_whole():
    text = equivalence_for(str)
    assert text.groups(["The answer is Paris.", "**Paris**", "Final answer: paris", "Lyon"]) == [0, 0, 0, 1]
    code = ["def f():\n    # the answer is 1\n    return 1", "def f():\n    # the answer is 1\n    return 2"]
    assert text.groups(code) == [0, 1]
