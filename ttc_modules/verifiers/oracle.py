"""A verifier that knows the reference answer: for evaluation and calibration only.

It scores a solution 1.0 when its final answer matches the reference (``inputs["answer"]``, or
the ``answer`` given here) and 0.0 otherwise. Strategies refuse it at inference unless they are
built with ``allow_oracle=True``, which the evaluation harness does to measure upper bounds.

Example:
    >>> OracleVerifier().score({"question": "5 + 3?", "answer": "8"}, ["5 + 3 = 8.", "The answer is 8."])
    [1.0]
"""

from __future__ import annotations

from collections.abc import Callable

from ttc_modules.answers import extract_answer, matches
from ttc_modules.verifiers.base import VerifierError


class OracleVerifier:
    """Outcome verifier comparing the final answer with the reference."""

    name = "oracle"
    process = False
    oracle = True
    cache_id = None

    def __init__(self, answer_key: str = "answer", equal: Callable[[str, str], bool] | None = None):
        self.answer_key = answer_key
        self.equal = equal or (lambda answer, reference: matches(reference, answer))

    def score(self, inputs: dict, steps: list[str]) -> list[float]:
        if self.answer_key not in inputs:
            raise VerifierError(f"the oracle verifier needs the reference answer in inputs['{self.answer_key}']; "
                                "it is for evaluation, where the data set provides it")
        answer = extract_answer("\n\n".join(steps))
        return [1.0 if answer is not None and self.equal(answer, str(inputs[self.answer_key])) else 0.0]
