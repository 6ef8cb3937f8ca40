"""Shared by the LM tests, as fixtures of the same names: the prompt, and a scripted reply per seed."""

import pytest

MESSAGES = [{"role": "user", "content": "What is 2 + 2?"}]


def by_seed(prompt: str, seed: int) -> str:
    return f"sample {seed} for {len(prompt)} chars. The answer is {seed % 3}."


@pytest.fixture(name="MESSAGES")
def _messages():
    return MESSAGES


@pytest.fixture(name="by_seed")
def _by_seed():
    return by_seed
