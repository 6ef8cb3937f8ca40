"""Solutions as steps."""

from ttc_modules.steps import split_steps


def test_split_steps_on_blank_lines():
    assert split_steps("a = 1\n\n\nb = 2\n\n") == ["a = 1", "b = 2"]
    assert split_steps("a\nb", delimiter="\n") == ["a", "b"]
