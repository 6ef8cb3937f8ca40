"""Shared by the LM tests: the prompt, and a scripted reply per seed."""

MESSAGES = [{"role": "user", "content": "What is 2 + 2?"}]


def by_seed(prompt: str, seed: int) -> str:
    return f"sample {seed} for {len(prompt)} chars. The answer is {seed % 3}."
