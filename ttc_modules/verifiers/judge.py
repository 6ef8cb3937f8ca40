"""An LLM judge over any LiteLLM model: P("Yes") from token log-probabilities, or a parsed 0-10 score.

The judge is asked whether the solution (process mode: each prefix of it) is correct so far and
answers one token. It judges any program: for a program of the user's it is shown the program's
instructions, its inputs and the candidate's output fields (or, in process mode before those are
written, its reasoning so far); the math word-problem program is judged as a math solution. Where the backend returns log-probabilities (the embedded model, vLLM, OpenAI)
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

from ttc_modules.call_context import fan_out
from ttc_modules.lm.build import resolve_lm
from ttc_modules.lm.errors import BackendError, refused_request
from ttc_modules.lm.identity import backend_id
from ttc_modules.programs.fields import render_outputs
from ttc_modules.verifiers.base import Candidate

SYSTEM = "You check solutions to math word problems. Reply with one word: Yes or No."
YES_NO = "Problem: {question}\n\nSolution so far:\n{solution}\n\nIs every step so far correct? Answer Yes or No."
RATING = ("Problem: {question}\n\nSolution:\n{solution}\n\nHow likely is this solution to be correct, from 0 "
          "(surely wrong) to 10 (surely right)? Reply with the number only.")
# a program of the user's: its task and inputs as "question", its output fields as "solution"
PROGRAM_SYSTEM = "You check responses to a task. Reply with one word: Yes or No."
PROGRAM_YES_NO = "{question}\n\nResponse so far:\n{solution}\n\nIs the response so far correct? Answer Yes or No."
PROGRAM_RATING = ("{question}\n\nResponse:\n{solution}\n\nHow likely is this response to be correct, from 0 "
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
        return self.score_candidate(Candidate(inputs, steps))

    def score_candidate(self, candidate: Candidate) -> list[float]:
        """One score per step (process mode), or one for the candidate; a program's written outputs are
        judged whole."""
        program = candidate.program
        if program is None or program.answer_in_text:
            question, prompts = str(candidate.inputs.get("question", "")), (SYSTEM, YES_NO, RATING)
        else:
            question, prompts = _task(candidate), (PROGRAM_SYSTEM, PROGRAM_YES_NO, PROGRAM_RATING)
        if candidate.outputs is not None and program is not None and not program.answer_in_text:
            return [self.judge(question, [render_outputs(candidate.outputs, program.outputs, named=True)], prompts)]
        steps = candidate.steps
        prefixes = [steps[: k + 1] for k in range(len(steps))] if self.process else [steps]
        return fan_out(lambda prefix: self.judge(question, prefix, prompts), prefixes, self.concurrency)

    def judge(self, question: str, steps: list[str], prompts: tuple[str, str, str] = (SYSTEM, YES_NO, RATING)
              ) -> float:
        """The score of one (partial) solution; ``prompts``: the system message, the yes/no question and
        the rating question."""
        solution = "\n\n".join(steps)
        if self.use_logprobs:
            score = self._yes_probability(question, solution, prompts)
            if score is not None:
                return score
            self.use_logprobs = False  # this backend gives no log-probabilities: rate from now on
        return self._rating(question, solution, prompts[2])

    def _yes_probability(self, question: str, solution: str, prompts: tuple[str, str, str]) -> float | None:
        messages = [{"role": "system", "content": prompts[0]},
                    {"role": "user", "content": prompts[1].format(question=question, solution=solution)}]
        try:
            outputs = self._lm()(messages=messages, max_tokens=1, temperature=0.0, logprobs=True,
                                 top_logprobs=self.top_logprobs)
        except BackendError as error:
            if refused_request(error):  # e.g. a text endpoint that takes no top_logprobs: rate instead
                return None
            raise
        return yes_probability(outputs[0])

    def _rating(self, question: str, solution: str, rating: str = RATING) -> float:
        messages = [{"role": "user", "content": rating.format(question=question, solution=solution)}]
        output = self._lm()(messages=messages, max_tokens=4, temperature=0.0)[0]
        text = output["text"] if isinstance(output, dict) else str(output)
        match = re.search(r"\d+(?:\.\d+)?", text or "")
        return min(1.0, float(match.group()) / 10.0) if match else 0.5


def _task(candidate: Candidate) -> str:
    """A program's task for the judge: its instructions, then its inputs as ``name: value`` blocks."""
    program = candidate.program
    inputs = render_outputs(candidate.inputs, program.inputs, named=True)
    return f"Task: {program.instructions}\n\n{inputs}" if program.instructions else inputs


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
