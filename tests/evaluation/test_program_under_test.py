"""``ProgramUnderTest.named``: a program and metric named on the command line, and the fields examples give it."""

import pytest

from ttc_modules.evaluation.program_under_test import ProgramUnderTest
from ttc_modules.tasks import coin_flip


def test_named_loads_the_program_and_the_metric_from_the_user_s_code():
    subject = ProgramUnderTest.named("ttc_modules.tasks.coin_flip:CoinFlip", "ttc_modules.tasks.coin_flip:metric")
    assert subject.program is coin_flip.CoinFlip and subject.metric is coin_flip.metric
    assert subject.input_fields == subject.fields.inputs == ["question"]


def test_without_names_it_is_the_math_program_whose_data_sets_hold_questions():
    subject = ProgramUnderTest.named()
    assert subject.program is None and subject.metric is None and subject.input_fields is None


def test_a_program_without_a_metric_or_a_bad_name_is_one_clear_error():
    with pytest.raises(ValueError, match="needs a metric"):
        ProgramUnderTest.named("question -> answer")
    with pytest.raises(ValueError, match="names no attribute"):
        ProgramUnderTest.named("question -> answer", "no_colon")
