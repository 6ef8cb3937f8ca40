"""Scripted step-level behaviour for strategy tests: answers keyed by the prompt and the seed only.

Example:
    >>> script = StepScript(length=2)
    >>> script("Question?", seed=13), script("step 1 v3", seed=4), script("step 1 v3 step 2 v4", seed=0)
    ('step 1 v3', 'step 2 v4', 'The answer is 4.')
    >>> v_score({}, ["step 1 v3", "step 2 v4", "The answer is 4."])
    [0.3, 0.4, 0.4]
"""

from __future__ import annotations

import re
import threading


def depth_of(prompt: str) -> int:
    """How many steps the partial solution in ``prompt`` already has ("step k" markers)."""
    return len(re.findall(r"step \d+ v\d", prompt))


class StepScript:
    """A fake model writing ``step <depth> v<seed % 10>`` until ``length`` steps, then an answer.

    The answer is ``v`` of the last step, so the tests know which path produced which answer. Every
    prompt it sees is recorded (thread-safe).
    """

    def __init__(self, length: int = 3):
        self.length = length
        self.prompts: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, prompt: str, seed: int) -> str:
        with self._lock:
            self.prompts.append(prompt)
        depth = depth_of(prompt)
        if depth >= self.length:
            last = re.findall(r"step \d+ v(\d)", prompt)[-1]
            return f"The answer is {last}."
        return f"step {depth + 1} v{seed % 10}"


def v_score(inputs: dict, steps: list[str]) -> list[float]:
    """A process verifier: each step scores its v digit / 10; an answer step scores like its step."""
    scores, last = [], 0.5
    for step in steps:
        match = re.search(r"v(\d)", step)
        last = int(match.group(1)) / 10 if match else last
        scores.append(last)
    return scores
