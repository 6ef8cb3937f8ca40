"""A verifier that knows the reference answer: for evaluation and calibration only.

It scores a solution 1.0 when its final answer matches the reference (``inputs["answer"]``, or
the label named ``answer_key``) and 0.0 otherwise. For a program of the user's, the answer is its
answer field, compared under the program's equivalence. Strategies refuse it at inference unless they are
built with ``allow_oracle=True``, which the evaluation harness does to measure upper bounds.

Example:
    >>> OracleVerifier().score({"question": "5 + 3?", "answer": "8"}, ["5 + 3 = 8.", "The answer is 8."])
    [1.0]
"""

from __future__ import annotations

from collections.abc import Callable

from ttc_modules.answers import extract_answer, matches
from ttc_modules.verifiers.base import Candidate, VerifierError


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
        return self.score_candidate(Candidate(inputs, steps))

    def score_candidate(self, candidate: Candidate) -> list[float]:
        if self.answer_key not in candidate.inputs:
            raise VerifierError(f"the oracle verifier needs the reference answer in inputs['{self.answer_key}']; "
                                "it is for evaluation, where the data set provides it")
        reference = candidate.inputs[self.answer_key]
        program = candidate.program
        if program is None or program.answer_in_text:
            answer = extract_answer("\n\n".join(candidate.steps))
            return [1.0 if answer is not None and self.equal(answer, str(reference)) else 0.0]
        answer = (candidate.outputs or {}).get(program.answer)
        return [1.0 if program.equivalence.groups([answer, reference]) == [0, 0] else 0.0]
