"""An LLM judge over any LiteLLM model: P("Yes") from token log-probabilities, or a parsed 0-10 score.

The judge is asked whether the solution (process mode: each prefix of it) is correct so far and
answers one token. Where the backend returns log-probabilities (the embedded model, vLLM, OpenAI)
the score is P(yes) / (P(yes) + P(no)) over the top alternatives of that token; otherwise the
judge is asked for a number from 0 to 10 and the score is that number / 10.

Note: at 135M parameters the embedded model is a poor judge of correctness; it is here so the
machinery runs anywhere. Point ``lm`` at a stronger model for real use.

Example:
    >>> judge = LLMJudge(lm=None, mode="outcome")  # the configured default backend
    >>> judge.score({"question": "5 + 3?"}, ["5 + 3 = 8.", "The answer is 8."])  # doctest: +SKIP
    [0.83]
"""

from __future__ import annotations

import math
import re
from typing import Literal

from ttc_modules.concurrency import map_in_context
from ttc_modules.lm.build import resolve_lm
from ttc_modules.lm.errors import BackendError, refused_request
from ttc_modules.lm.identity import backend_id

SYSTEM = "You check solutions to math word problems. Reply with one word: Yes or No."
YES_NO = "Problem: {question}\n\nSolution so far:\n{solution}\n\nIs every step so far correct? Answer Yes or No."
RATING = ("Problem: {question}\n\nSolution:\n{solution}\n\nHow likely is this solution to be correct, from 0 "
          "(surely wrong) to 10 (surely right)? Reply with the number only.")


class LLMJudge:
    """Process or outcome verifier backed by an LM (a ``TTCLM`` or any ``dspy.LM``)."""

    oracle = False

    def __init__(self, lm=None, mode: Literal["process", "outcome"] = "outcome", top_logprobs: int = 10,
                 concurrency: int = 4):
        if mode not in ("process", "outcome"):
            raise ValueError(f"judge mode must be 'process' or 'outcome', got {mode!r}")
        self.lm, self.mode, self.top_logprobs, self.concurrency = lm, mode, top_logprobs, concurrency
        self.process = mode == "process"
        self.use_logprobs = True

    @property
    def name(self) -> str:
        return f"judge({self._lm().model})"

    @property
    def cache_id(self) -> str:
        return f"judge-v2:{self._lm().model}@{backend_id(self._lm())}:{self.mode}:{self.top_logprobs}"

    def _lm(self):
        return resolve_lm(self.lm)

    def score(self, inputs: dict, steps: list[str]) -> list[float]:
        question = str(inputs.get("question", ""))
        prefixes = [steps[: k + 1] for k in range(len(steps))] if self.process else [steps]
        return map_in_context(lambda prefix: self.judge(question, prefix), prefixes, self.concurrency)

    def judge(self, question: str, steps: list[str]) -> float:
        """The score of one (partial) solution."""
        solution = "\n\n".join(steps)
        if self.use_logprobs:
            score = self._yes_probability(question, solution)
            if score is not None:
                return score
            self.use_logprobs = False  # this backend gives no log-probabilities: rate from now on
        return self._rating(question, solution)

    def _yes_probability(self, question: str, solution: str) -> float | None:
        messages = [{"role": "system", "content": SYSTEM},
                    {"role": "user", "content": YES_NO.format(question=question, solution=solution)}]
        try:
            outputs = self._lm()(messages=messages, max_tokens=1, temperature=0.0, logprobs=True,
                                 top_logprobs=self.top_logprobs)
        except BackendError as error:
            if refused_request(error):  # e.g. a text endpoint that takes no top_logprobs: rate instead
                return None
            raise
        return yes_probability(outputs[0])

    def _rating(self, question: str, solution: str) -> float:
        messages = [{"role": "user", "content": RATING.format(question=question, solution=solution)}]
        output = self._lm()(messages=messages, max_tokens=4, temperature=0.0)[0]
        text = output["text"] if isinstance(output, dict) else str(output)
        match = re.search(r"\d+(?:\.\d+)?", text or "")
        return min(1.0, float(match.group()) / 10.0) if match else 0.5


def yes_probability(output) -> float | None:
    """P(yes) / (P(yes) + P(no)) from the first token's top log-probabilities; None if there are none."""
    logprobs = output.get("logprobs") if isinstance(output, dict) else None
    content = _get(logprobs, "content") or []
    if not content:
        return None
    yes = no = 0.0
    for alternative in _get(content[0], "top_logprobs") or []:
        word = str(_get(alternative, "token")).strip().lower()
        probability = math.exp(float(_get(alternative, "logprob")))
        yes += probability if word.startswith("yes") else 0.0
        no += probability if word.startswith("no") else 0.0
    return yes / (yes + no) if yes + no > 0 else 0.5


def _get(obj, key):
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)
