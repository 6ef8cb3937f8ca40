"""Shared by the verifier tests, as a fixture of the same name: the question the solutions answer."""

import pytest

QUESTION = {"question": "Mia had 20 dollars. She spent 7 dollars on lunch and 5 dollars on a book. How much is left?"}


@pytest.fixture(name="QUESTION")
def _question():
    return QUESTION
