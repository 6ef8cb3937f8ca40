"""The generator of the math word-problem program, the default program: solutions, next steps, revisions.

A strategy given no program of the user's searches this one (``question -> reasoning, answer``,
answers read from the text as "The answer is N." and compared as math); a user's program is
sampled by :class:`~ttc_modules.programs.ProgramGenerator`, which offers the same moves.

Two paths, chosen by the prompt style (``ttc_modules.lm.PromptStyle``: the generator's ``prompt_style``, by
default ``auto``, the LM's own):

- **signature** (``signature``: chat models behind an API): DSPy predictors over signatures
  (``question -> reasoning, answer``; ``question, partial_solution -> next_step``;
  ``question, previous_attempts -> reasoning, answer``). They are ordinary ``dspy.Predict``
  sub-modules, so DSPy optimizers can tune their instructions and demos, and save/load sees them.
- **few-shot** (``few_shot_chat``: the embedded chat models; ``few_shot_text``: base models): few-shot
  prompts (``prompts.py``) sampled with stop sequences. A chat model continues a partial solution
  as a prefilled assistant turn; a base model continues plain text. Tiny models follow this format
  far more reliably than an adapter's.

Sample ``i`` of a request with seed ``s`` uses rollout id ``i`` and seed ``s + i`` (``lm.sample``),
so reruns come from the cache and samples differ.

Example:
    >>> from ttc_modules.testing import scripted_lm
    >>> gen = Generator(lm=scripted_lm(lambda prompt, seed: "2 + 2 = 4.\\n\\nThe answer is 4."),
    ...                 prompt_style="few_shot_chat")
    >>> [d.text for d in gen.solutions({"question": "What is 2 + 2?"}, n=2, seed=0)]
    ['2 + 2 = 4.\\n\\nThe answer is 4.', '2 + 2 = 4.\\n\\nThe answer is 4.']
"""

from __future__ import annotations

from typing import Literal

import dspy

from ttc_modules import prompts
from ttc_modules.answers import extract_answer, has_final_answer, stating_answer
from ttc_modules.call_context import fan_out
from ttc_modules.graph import Node
from ttc_modules.lenient_adapter import Unparsed, lenient
from ttc_modules.lm.build import resolve_lm
from ttc_modules.lm.client import PromptStyle, checked_prompt_style, prompt_style
from ttc_modules.lm.prompt_lists import sample_prompts
from ttc_modules.lm.sampling import draw_with_top_up, rollout_options, sample, share_tokens
from ttc_modules.lm.usage import collect_usage, total
from ttc_modules.programs.draft import Draft
from ttc_modules.programs.equivalence import Equivalence
from ttc_modules.programs.fields import ProgramError, ProgramFields
from ttc_modules.progress import no_progress_in_math


class SolveQuestion(dspy.Signature):
    """Solve the math word problem step by step, one step per paragraph."""

    question: str = dspy.InputField()
    reasoning: str = dspy.OutputField(desc="the solution, steps separated by blank lines")
    answer: str = dspy.OutputField(desc="the final answer only, e.g. 42")


class NextStep(dspy.Signature):
    """Write only the next step of the partial solution. When the solution is complete, write 'The answer is N.'"""

    question: str = dspy.InputField()
    partial_solution: str = dspy.InputField(desc="the steps so far (may be empty)")
    next_step: str = dspy.OutputField(desc="one step, one paragraph")


class ReviseSolution(dspy.Signature):
    """Earlier attempts at the problem may contain mistakes. Write a new, correct solution step by step."""

    question: str = dspy.InputField()
    previous_attempts: str = dspy.InputField(desc="earlier attempts, oldest first")
    reasoning: str = dspy.OutputField(desc="the solution, steps separated by blank lines")
    answer: str = dspy.OutputField(desc="the final answer only, e.g. 42")


MATH_FIELDS = ProgramFields(name="the math word-problem program (the default: pass a program of yours to search it)",
                            instructions=SolveQuestion.__doc__,
                            inputs=["question"], outputs=["reasoning", "answer"], reasoning="reasoning",
                            answer="answer", annotations={"reasoning": str, "answer": str},
                            equivalence=Equivalence("math"), signature=SolveQuestion, answer_in_text=True)


class Generator(dspy.Module):
    """Proposes solutions, next steps and revisions (see the module docstring).

    Args:
        lm: the LM; None uses ``dspy.settings.lm`` or, failing that, the configured default backend.
        prompt_style: ``auto`` (the LM's: few-shot for embedded and base models, signature otherwise), or one of
            :data:`~ttc_modules.lm.PromptStyle`: ``signature``, ``few_shot_chat``, ``few_shot_text``.
        step_delimiter: what separates steps in a solution.
        max_step_tokens: tokens per step at most (step-level search).
        max_solution_tokens: tokens per whole solution or revision at most.
    """

    def __init__(self, lm=None, prompt_style: PromptStyle | Literal["auto"] = "auto", step_delimiter: str = "\n\n",
                 max_step_tokens: int = 96, max_solution_tokens: int = 320):
        super().__init__()
        self.lm, self.prompt_style, self.step_delimiter = lm, checked_prompt_style(prompt_style), step_delimiter
        self.max_step_tokens, self.max_solution_tokens = max_step_tokens, max_solution_tokens
        self.solve = dspy.Predict(SolveQuestion)
        self.extend = dspy.Predict(NextStep)
        self.revise = dspy.Predict(ReviseSolution)

    fields = MATH_FIELDS
    equivalence = MATH_FIELDS.equivalence
    writes_outputs = False  # a solution states its answer in its text ("The answer is N.")

    # ------------------------------------------------------------------ configuration
    def resolve_lm(self):
        """The LM this generator samples from: its own, else DSPy's configured one, else the default backend."""
        return resolve_lm(self.lm)

    def style_for(self, lm=None) -> PromptStyle:
        """The prompt style this generator uses with ``lm``: its own, or for ``auto`` the LM's."""
        return self.prompt_style if self.prompt_style != "auto" else prompt_style(lm or self.resolve_lm())

    @property
    def solution_delimiter(self) -> str:
        """What separates the steps of a whole solution."""
        return self.step_delimiter

    def check_steps(self, strategy: str) -> None:
        """Every strategy searches the math program step by step."""

    @classmethod
    def check_inputs(cls, inputs: dict, labels: bool = False) -> dict:
        """``inputs`` with the question stripped, or one line naming the fix: the question is empty, or an
        input is not the question (with ``labels``, other inputs pass: labels an oracle verifier reads)."""
        question = inputs.get("question")
        if not isinstance(question, str) or not question.strip():
            raise ProgramError("the question is empty; pass the question text, e.g. ttc solve \"What is 12 + 7?\"")
        return {**cls.fields.check_inputs(inputs, labels), "question": question.strip()}

    @staticmethod
    def program_inputs(inputs: dict) -> dict:
        """The math program's one input, the question."""
        return {"question": inputs["question"]}

    # ------------------------------------------------------------------ the operations
    def solutions(self, inputs: dict, n: int, seed: int, temperature: float | None = None) -> list[Draft]:
        """``n`` whole solutions."""
        lm, question = self.resolve_lm(), self.program_inputs(inputs)["question"]
        if self.style_for(lm) == "signature":
            return self._predict(lm, self.solve, n, seed, temperature, self.max_solution_tokens, question=question)
        return self._sample_text(lm, question, "", n, seed, temperature, self.max_solution_tokens, stop=[])

    def extend_steps(self, inputs: dict, steps: list[str], n: int, seed: int,
                     temperature: float | None = None, max_tokens: int | None = None) -> list[Draft]:
        """``n`` candidate next steps after the partial solution ``steps``; one stating the answer is ``final``."""
        return self.extend_many(inputs, [steps], n, seed, temperature, max_tokens)[0]

    def extend_many(self, inputs: dict, prefixes: list[list[str]], n: int, seed: int,
                    temperature: float | None = None, max_tokens: int | None = None) -> list[list[Draft]]:
        """:meth:`extend_steps` of each partial solution in ``prefixes``, all with ``seed``: a search round, in one
        request where the LM takes a list of prompts (``lm/prompt_lists.py``)."""
        lm, question = self.resolve_lm(), self.program_inputs(inputs)["question"]
        limit, stop = max_tokens or self.max_step_tokens, [self.step_delimiter]
        if self.style_for(lm) == "signature":
            rounds = fan_out(lambda steps: self._extend(question, steps, n, seed, temperature, limit, stop),
                             prefixes, getattr(lm, "concurrency", 8))
        else:
            requests = [self._text_request(lm, question, self._prefix(steps), limit, stop, temperature)
                        for steps in prefixes]
            samples = sample_prompts(lm, [messages for messages, _ in requests], n=n, seed=seed, **requests[0][1])
            rounds = [_text_drafts(texts) for texts in samples]
        for draft in (d for drafts in rounds for d in drafts):
            draft.final = has_final_answer(draft.text)
        return rounds

    def completions(self, inputs: dict, steps: list[str], n: int, seed: int,
                    temperature: float | None = None, max_tokens: int | None = None) -> list[Draft]:
        """``n`` completions of the partial solution ``steps`` to its end (no step stop), as a search's
        last round does for prefixes that have not finished (search-and-learn does the same); each at
        most ``max_tokens`` (by default the whole solution's limit)."""
        return self._extend(self.program_inputs(inputs)["question"], steps, n, seed, temperature,
                            max_tokens or self.max_solution_tokens, stop=[])

    def revisions(self, inputs: dict, attempts: list[Node], n: int, seed: int,
                  temperature: float | None = None) -> list[Draft]:
        """``n`` new attempts, each seeing the previous ``attempts`` (their nodes, oldest first)."""
        lm, question = self.resolve_lm(), self.program_inputs(inputs)["question"]
        attempts = [attempt.text for attempt in attempts]
        if self.style_for(lm) == "signature":
            return self._predict(lm, self.revise, n, seed, temperature, self.max_solution_tokens,
                                 question=question, previous_attempts=prompts.attempts_block(attempts))
        return self._sample_text(lm, prompts.revision_question(question, attempts), "", n, seed, temperature,
                                 self.max_solution_tokens, stop=[])

    @staticmethod
    def no_progress(inputs: dict, steps: list[str], step: str) -> str | None:
        """Why ``step`` adds nothing to the partial solution ``steps``, or None (``progress.py``)."""
        return no_progress_in_math(steps, step)

    # ------------------------------------------------------------------ reading solutions
    def answer_of(self, solution_text: str, draft: Draft) -> str | None:
        """The answer ``draft`` states at the end of ``solution_text`` (the solution it ends), if it was read."""
        return extract_answer(solution_text) if draft.parsed else None

    @staticmethod
    def failed(node: Node) -> bool:
        """Never: a math solution is scored even when it could not be read (its text is still steps)."""
        return False

    @staticmethod
    def prediction_fields(node: Node | None, solution_text: str) -> dict:
        """The answer and the whole solution of the chosen node, as a call returns them."""
        return {"answer": node.answer if node is not None else None,
                "reasoning": solution_text if node is not None else ""}

    def _extend(self, question: str, steps: list[str], n: int, seed: int, temperature: float | None,
                max_tokens: int, stop: list[str]) -> list[Draft]:
        """``n`` continuations of the partial solution ``steps``: up to ``stop`` (one step) or to the end."""
        lm = self.resolve_lm()
        if self.style_for(lm) == "signature":
            return self._predict(lm, self.extend, n, seed, temperature, max_tokens, question=question,
                                 partial_solution=self.step_delimiter.join(steps))
        return self._sample_text(lm, question, self._prefix(steps), n, seed, temperature, max_tokens, stop=stop)

    def _prefix(self, steps: list[str]) -> str:
        """The text a continuation of the partial solution ``steps`` follows."""
        return self.step_delimiter.join(steps) + self.step_delimiter if steps else ""

    # ------------------------------------------------------------------ the two paths (signature, few-shot)
    def _sample_text(self, lm, question: str, prefix: str, n: int, seed: int, temperature: float | None,
                     max_tokens: int, stop: list[str]) -> list[Draft]:
        messages, options = self._text_request(lm, question, prefix, max_tokens, stop, temperature)
        return _text_drafts(sample(lm, messages, n=n, seed=seed, **options))

    def _text_request(self, lm, question: str, prefix: str, max_tokens: int, stop: list[str],
                      temperature: float | None) -> tuple[list[dict], dict]:
        """The few-shot messages continuing ``prefix``, and the request's options."""
        shots = self.demo_shots()
        if self.style_for(lm) == "few_shot_text":
            messages = [{"role": "user",
                         "content": prompts.text_prompt(question, shots) + (" " + prefix if prefix else "")}]
            stop = stop + prompts.TEXT_STOP
        else:
            messages = (prompts.chat_messages(question, shots)
                        + ([{"role": "assistant", "content": prefix}] if prefix else []))
        options = {"max_tokens": max_tokens, **({"stop": stop} if stop else {}),
                   **({"temperature": temperature} if temperature is not None else {})}
        return messages, options

    def demo_shots(self) -> list[tuple[str, str]]:
        """The ``solve`` predictor's demos (set by a DSPy optimizer, or by hand) as worked examples for the
        few-shot path, in place of the built-in ones; empty when it has none."""
        shots = []
        for demo in self.solve.demos:
            question, answer = demo.get("question"), demo.get("answer")
            if question and answer is not None:
                shots.append((str(question), stating_answer(str(demo.get("reasoning") or ""), str(answer))))
        return shots

    def _predict(self, lm, predictor, n: int, seed: int, temperature: float | None, max_tokens: int,
                 **inputs) -> list[Draft]:
        """``n`` completions of a predictor: one call with ``n`` where the LM takes it, then one call per
        sample still missing (all of them where it does not, or a server that ignored ``n``), run
        concurrently; sample ``i`` has seed ``seed + i`` and rollout id ``i``, as in :func:`sample`. A
        completion the adapter cannot read is a failed candidate (``lenient_adapter.py``)."""
        base = {"max_tokens": max_tokens, **({"temperature": temperature} if temperature is not None else {})}
        with dspy.context(lm=lm, adapter=lenient()), collect_usage() as usages:
            texts, _ = draw_with_top_up(lambda options: self._completions(predictor, {**base, **options}, inputs),
                                        lambda options: self._acompletions(predictor, {**base, **options}, inputs),
                                        n, seed, rollout_options(lm, temperature),
                                        batched=getattr(lm, "takes_n", True) or n == 1,
                                        max_workers=getattr(lm, "concurrency", 8))
        shares = share_tokens(total(usages)["completion_tokens"], [text for text, _ in texts])
        return [Draft(text, tokens, i, parsed=parsed)
                for i, ((text, parsed), tokens) in enumerate(zip(texts, shares, strict=True))]

    @staticmethod
    def _completions(predictor, config: dict, inputs: dict) -> list[tuple[str, bool]]:
        """Each completion's solution text, and whether the adapter could read it."""
        return _solution_texts(predictor(**inputs, config=config))

    @staticmethod
    async def _acompletions(predictor, config: dict, inputs: dict) -> list[tuple[str, bool]]:
        """:meth:`_completions` under ``asyncio``."""
        return _solution_texts(await predictor.acall(**inputs, config=config))


def _text_drafts(texts) -> list[Draft]:
    """Drafts of the samples of a text-path request."""
    return [Draft(t.strip(), texts.tokens[i], i, texts.ended[i]) for i, t in enumerate(texts)]


def _solution_texts(prediction) -> list[tuple[str, bool]]:
    return [_solution_text(c) for c in prediction.completions] if len(prediction.completions) else []


def _solution_text(completion) -> tuple[str, bool]:
    """A completion as solution text (the step, or the reasoning followed by the answer line), and
    whether it was parsed (else the text is the raw completion)."""
    unread = next((value for value in completion.values() if isinstance(value, Unparsed)), None)
    if unread is not None:
        return str(unread).strip(), False
    if "next_step" in completion:
        return str(completion["next_step"]).strip(), True
    return stating_answer(completion.get("reasoning", ""), completion.get("answer", "")), True
