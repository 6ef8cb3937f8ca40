"""The generator of a user's program: whole rollouts, revisions, and its reasoning grown step by step.

:class:`ProgramGenerator` is what a strategy samples from when it searches a program of the user's
(a signature or a ``dspy.Module``); ``ttc_modules.generation.Generator`` is the same for the math
word-problem program, the default. Both offer the moves a :class:`~ttc_modules.strategies.run.Run`
makes: ``solutions``, ``revisions``, ``extend_steps``, ``completions`` and ``finish``.

Two paths, chosen by the prompt style (``prompt_style``, by default ``auto``: the LM's, as the math
program's are):

- **signature** style (chat models behind an API): the program itself runs; whole rollouts run the program itself
  (``rollouts.py``); a revision runs it with the earlier attempts as an added input field
  (``attempts.py``); a step is one call of a signature made from the program's
  (``step_signatures.py``), and the last call writes the output fields from the finished reasoning.
- **few-shot** styles (``few_shot_chat``, ``few_shot_text``: the embedded and base models), for a program of
  one ``Predict`` or ``ChainOfThought`` under DSPy's ``ChatAdapter``: the program's own prompt, its
  demos included, with the reply begun at its first output field (``prefill.py``); a step is the
  reply continued up to the step delimiter, and a step that begins a field marker ends the
  reasoning. A whole reply whose reasoning never reaches readable output fields (small models
  ramble on, or garble a marker) is finished as a step-level search finishes one: its reasoning
  kept, the first output field's marker written for it, the fields asked for once more (tokens
  counted, no generation reserved). Any other program takes the signature style on every LM.

Every candidate keeps the program's fields exactly as produced (``Draft.outputs``); votes read its
answer field (``answer_field=``, by default the last output) under the field type's equivalence
(``equivalence.py``).

Example:
    >>> from ttc_modules.testing import scripted_lm
    >>> lm = scripted_lm(lambda prompt, seed: "Paris\\n\\n[[ ## completed ## ]]")
    >>> generator = ProgramGenerator("country -> capital", lm=lm)
    >>> [draft.outputs for draft in generator.solutions({"country": "France"}, n=2, seed=0)]
    [{'capital': 'Paris'}, {'capital': 'Paris'}]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import dspy

from ttc_modules.budget import current_meter
from ttc_modules.call_context import fan_out
from ttc_modules.graph import Node
from ttc_modules.lm.build import resolve_lm
from ttc_modules.lm.client import PromptStyle, checked_prompt_style, prompt_style
from ttc_modules.lm.prompt_lists import sample_prompts
from ttc_modules.lm.sampling import sample
from ttc_modules.programs.attempts import ATTEMPTS, attempts_text, signature_with_attempts, with_attempts
from ttc_modules.programs.draft import Draft
from ttc_modules.programs.equivalence import Equivalence, is_missing
from ttc_modules.programs.fields import REASONING, ProgramError, as_module, describe, render_outputs
from ttc_modules.programs.prefill import COMPLETED, PrefilledPrompt, begins_a_field, marker
from ttc_modules.programs.rollouts import Outcome, rollouts, takes_config
from ttc_modules.programs.step_signatures import (
    COMPLETE,
    NEXT_STEP,
    PARTIAL,
    finish_signature,
    next_step_signature,
)
from ttc_modules.progress import repeated_step
from ttc_modules.steps import split_steps


class ProgramGenerator(dspy.Module):
    """Samples a user's program (see the module docstring).

    Args:
        program: a signature (``"question -> answer"`` or a class) or a ``dspy.Module``.
        lm: the LM; None uses the program's own (a one-predictor program's ``lm``), then ``dspy.settings.lm``,
            then the configured default backend.
        prompt_style: ``auto`` (the LM's, where the program can be prefilled; else ``signature``), or one of
            :data:`~ttc_modules.lm.PromptStyle`: ``signature`` (the program runs), ``few_shot_chat`` or
            ``few_shot_text`` (its prompt prefilled, as a chat reply or as plain text).
        step_delimiter: what separates steps of the reasoning.
        max_step_tokens: tokens per step at most (step-level search).
        max_solution_tokens: tokens per whole reply at most (None: the LM's own limit).
        answer_field: the output votes are on (default: the last output field).
        equivalent: when two answers are the same: ``math``, ``value``, ``text``, ``json``, or a function
            ``(a, b) -> bool`` (default: by the field's type).
        normalize: a function ``value -> key``; answers with equal keys are one answer.
    """

    def __init__(self, program, lm=None, prompt_style: PromptStyle | Literal["auto"] = "auto",
                 step_delimiter: str = "\n\n", max_step_tokens: int = 96, max_solution_tokens: int | None = None,
                 answer_field: str | None = None, equivalent: str | Equivalence | Callable | None = None,
                 normalize: Callable[[Any], Any] | None = None):
        super().__init__()
        self.program = as_module(program)
        self.fields = describe(self.program, answer_field, equivalent, normalize)
        self.lm, self.prompt_style, self.step_delimiter = lm, checked_prompt_style(prompt_style), step_delimiter
        self.max_step_tokens, self.max_solution_tokens = max_step_tokens, max_solution_tokens

    writes_outputs = True  # a candidate ends by writing the program's output fields (``finish``)

    @property
    def equivalence(self) -> Equivalence:
        """When two values of the answer field are the same answer."""
        return self.fields.equivalence

    @property
    def signature(self):
        """The signature of a one-predictor program as it is now (a DSPy optimizer may have rewritten its
        instructions since this generator was made)."""
        return self.program.predictors()[0].signature

    # ------------------------------------------------------------------ configuration
    def resolve_lm(self):
        """The LM this generator samples from: its own, else that of the program's one predictor, else DSPy's
        configured one, else the default backend."""
        predictors = self.program.predictors()
        return resolve_lm(self.lm or (predictors[0].lm if len(predictors) == 1 else None))

    def style_for(self, lm=None) -> PromptStyle:
        """The prompt style this generator uses with ``lm``: its own, or for ``auto`` the LM's where the program
        can be prefilled, else ``signature`` (see the module docstring)."""
        if self.prompt_style != "auto":
            return self.prompt_style
        adapter = dspy.settings.adapter
        prefillable = takes_config(self.program) and (adapter is None or type(adapter) is dspy.ChatAdapter)
        return prompt_style(lm or self.resolve_lm()) if prefillable else "signature"

    def prefills(self, lm=None) -> bool:
        """Whether this generator prefills the program's prompt with ``lm`` (a few-shot prompt style)."""
        return self.style_for(lm) != "signature"

    @property
    def solution_delimiter(self) -> str | None:
        """What separates the steps of a whole candidate's text: the step delimiter where the program
        reasons in text, else None (a candidate's outputs are one piece)."""
        return self.step_delimiter if self.fields.reasoning else None

    def check_steps(self, strategy: str) -> None:
        """Refuse, in one line, a step-level strategy on a program whose reasoning is not text."""
        if self.fields.reasoning is None or self.fields.signature is None:
            raise ProgramError(
                f"{strategy} grows a program's text reasoning step by step, and {self.fields.name} has "
                f"{'no reasoning output' if self.fields.reasoning is None else 'several predictors'}; search a "
                "dspy.ChainOfThought or a signature with a 'reasoning' output, or use best_of_n or revisions, "
                "which run any program")

    def check_inputs(self, inputs: dict, labels: bool = False) -> dict:
        """``inputs`` when the program takes them, else one line naming the fix (``labels``: let other names
        through, labels an oracle verifier reads)."""
        return self.fields.check_inputs(inputs, labels)

    def program_inputs(self, inputs: dict) -> dict:
        """The program's own inputs among ``inputs`` (the rest are labels for an oracle verifier)."""
        return {name: inputs[name] for name in self.fields.inputs if name in inputs}

    # ------------------------------------------------------------------ whole candidates
    def solutions(self, inputs: dict, n: int, seed: int, temperature: float | None = None) -> list[Draft]:
        """``n`` whole candidates."""
        lm, inputs = self.resolve_lm(), self.program_inputs(inputs)
        if self.prefills(lm):
            return self._replies(lm, self._prompt(lm, inputs), [], n, seed, temperature, self.max_solution_tokens)
        return self._drafts(rollouts(self.program, lm, inputs, n, seed, temperature, self.max_solution_tokens))

    def revisions(self, inputs: dict, attempts: list[Node], n: int, seed: int,
                  temperature: float | None = None) -> list[Draft]:
        """``n`` new candidates, each shown the earlier ``attempts`` (their nodes, oldest first)."""
        lm, inputs = self.resolve_lm(), self.program_inputs(inputs)
        shown = attempts_text([a.outputs for a in attempts if a.outputs], self.fields.outputs)
        if not shown:
            return self.solutions(inputs, n, seed, temperature)
        if self.prefills(lm):
            prompt = self._prompt(lm, {**inputs, ATTEMPTS: shown}, signature_with_attempts(self.signature))
            return self._replies(lm, prompt, [], n, seed, temperature, self.max_solution_tokens)
        adapter = with_attempts(dspy.settings.adapter or dspy.ChatAdapter(), shown)
        return self._drafts(rollouts(self.program, lm, inputs, n, seed, temperature, self.max_solution_tokens,
                                     adapter=adapter))

    # ------------------------------------------------------------------ the reasoning, step by step
    def extend_steps(self, inputs: dict, steps: list[str], n: int, seed: int, temperature: float | None = None,
                     max_tokens: int | None = None) -> list[Draft]:
        """``n`` candidate next steps of the reasoning ``steps``; a draft that ends the reasoning is ``final``
        (its outputs are written by :meth:`finish`)."""
        lm, inputs = self.resolve_lm(), self.program_inputs(inputs)
        limit = max_tokens or self.max_step_tokens
        if self.prefills(lm):
            return self.extend_many(inputs, [steps], n, seed, temperature, limit)[0]
        step_inputs = {**inputs, PARTIAL: self.step_delimiter.join(steps)}
        outcomes = rollouts(dspy.Predict(next_step_signature(self.signature)), lm, step_inputs, n, seed,
                            temperature, limit)
        return [_signature_step(outcome, i) for i, outcome in enumerate(outcomes)]

    def extend_many(self, inputs: dict, prefixes: list[list[str]], n: int, seed: int,
                    temperature: float | None = None, max_tokens: int | None = None) -> list[list[Draft]]:
        """:meth:`extend_steps` of each reasoning in ``prefixes``, all with ``seed``: a search round, in one
        request where the LM takes a list of prompts (``lm/prompt_lists.py``)."""
        lm = self.resolve_lm()
        if not self.prefills(lm):
            return fan_out(lambda steps: self.extend_steps(inputs, steps, n, seed, temperature, max_tokens),
                           prefixes, getattr(lm, "concurrency", 8))
        prompt = self._prompt(lm, self.program_inputs(inputs))
        chats = [prompt.messages(prompt.begin(steps, self.step_delimiter)) for steps in prefixes]
        rounds = sample_prompts(lm, chats, n=n, seed=seed,
                                **_options(max_tokens or self.max_step_tokens, [self.step_delimiter], temperature))
        return [[_step(text, texts.tokens[i], i, texts.ended[i]) for i, text in enumerate(texts)] for texts in rounds]

    def no_progress(self, inputs: dict, steps: list[str], step: str) -> str | None:
        """Why ``step`` adds nothing to the reasoning ``steps``, or None: the program's own
        ``no_progress(inputs, steps, step)`` where it has one, else whether it repeats a step (``progress.py``)."""
        own = getattr(self.program, "no_progress", None)
        return own(self.program_inputs(inputs), steps, step) if callable(own) else repeated_step(steps, step)

    def completions(self, inputs: dict, steps: list[str], n: int, seed: int, temperature: float | None = None,
                    max_tokens: int | None = None) -> list[Draft]:
        """``n`` completions of the reasoning ``steps`` with the output fields written: the rest of the
        reasoning is each draft's text."""
        lm, inputs = self.resolve_lm(), self.program_inputs(inputs)
        if self.prefills(lm):
            return self._replies(lm, self._prompt(lm, inputs), steps, n, seed, temperature,
                                 max_tokens or self.max_solution_tokens)
        return [self.finish(inputs, steps, seed + i, temperature) for i in range(n)]

    def finish(self, inputs: dict, steps: list[str], seed: int, temperature: float | None = None) -> Draft:
        """The output fields written after the finished reasoning ``steps`` (the draft's text is empty)."""
        lm, inputs = self.resolve_lm(), self.program_inputs(inputs)
        reasoning = self.step_delimiter.join(steps)
        if self.prefills(lm):
            return self._finish_prefilled(lm, self._prompt(lm, inputs), steps, seed, temperature)
        outcome = rollouts(dspy.Predict(finish_signature(self.signature)), lm,
                           {**inputs, REASONING: reasoning}, 1, seed, temperature, self.max_solution_tokens)[0]
        outputs = None if outcome.outputs is None else {REASONING: reasoning, **outcome.outputs}
        return self._draft(outputs, outcome.raw, outcome.tokens, 0, text="")

    # ------------------------------------------------------------------ reading candidates
    def answer_of(self, solution_text: str, draft: Draft):
        """The value ``draft`` votes with: its answer field (None before the outputs are written, or when missing)."""
        if draft.outputs is None:
            return None
        value = draft.outputs.get(self.fields.answer)
        return None if is_missing(value) else value

    @staticmethod
    def failed(node: Node) -> bool:
        """Whether ``node`` is a failed candidate: its reasoning ended, and no outputs were written."""
        return bool(node.terminal) and node.outputs is None

    def prediction_fields(self, node: Node | None, solution_text: str) -> dict:
        """The fields of the chosen node, as the program produced them (None each when nothing was chosen)."""
        outputs = node.outputs if node is not None else None
        return dict(outputs) if outputs else dict.fromkeys(self.fields.outputs)

    def candidate_text(self, outputs: dict) -> str:
        """A candidate as text: its reasoning where the program reasons in text, else its outputs."""
        if self.fields.reasoning:
            return str(outputs.get(self.fields.reasoning) or "")
        return render_outputs(outputs, self.fields.outputs)

    # ------------------------------------------------------------------ helpers
    def _prompt(self, lm, inputs: dict, signature=None) -> PrefilledPrompt:
        predictor = self.program.predictors()[0]
        return PrefilledPrompt(signature or self.signature, predictor.demos, inputs,
                               text=self.style_for(lm) == "few_shot_text")

    def _first_answer_field(self) -> str:
        return next(name for name in self.fields.outputs if name != REASONING)

    def _replies(self, lm, prompt: PrefilledPrompt, steps: list[str], n: int, seed: int,
                 temperature: float | None, max_tokens: int | None) -> list[Draft]:
        """``n`` replies continued from ``steps`` to the end of the output fields, each a draft whose text is
        the rest of its reasoning (or its outputs, for a program that does not reason in text)."""
        begun = prompt.begin(steps, self.step_delimiter)
        texts = sample(lm, prompt.messages(begun), n=n, seed=seed, **_options(max_tokens, [COMPLETED], temperature))

        def reply(i: int) -> Draft:
            outputs = prompt.parse(begun + texts[i])
            if outputs is None and self.fields.reasoning is not None:  # finish its reasoning's output fields
                kept = [*steps, *split_steps(texts[i].split("[[ ##")[0], self.step_delimiter)]
                finished = self._finish_prefilled(lm, prompt, kept, seed + i, temperature)
                outputs, tokens = finished.outputs, texts.tokens[i] + finished.tokens
            else:
                tokens = texts.tokens[i]
                self._count_unread(outputs)
            rest = self._rest_of_reasoning(outputs, steps) if steps else None
            return self._draft(outputs, texts[i], tokens, i, text=rest, ended=texts.ended[i])

        return fan_out(reply, list(range(len(texts))), getattr(lm, "concurrency", 8))

    def _finish_prefilled(self, lm, prompt: PrefilledPrompt, steps: list[str], seed: int,
                          temperature: float | None) -> Draft:
        """The output fields written after the reasoning ``steps``, the first field's marker written for the
        model (the draft's text is empty)."""
        begun = prompt.begin(steps, self.step_delimiter) + marker(self._first_answer_field()) + "\n"
        texts = sample(lm, prompt.messages(begun), n=1, seed=seed,
                       **_options(self.max_solution_tokens, [COMPLETED], temperature))
        outputs = prompt.parse(begun + texts[0])
        self._count_unread(outputs)
        return self._draft(outputs, texts[0], texts.tokens[0], 0, text="")

    def _rest_of_reasoning(self, outputs: dict | None, steps: list[str]) -> str | None:
        if outputs is None:
            return None
        reasoning, partial = str(outputs.get(REASONING) or ""), self.step_delimiter.join(steps)
        return reasoning[len(partial):].strip() if reasoning.startswith(partial) else reasoning

    def _drafts(self, outcomes: list[Outcome]) -> list[Draft]:
        drafts = [self._draft(o.outputs, o.raw, o.tokens, i) for i, o in enumerate(outcomes)]
        for draft, outcome in zip(drafts, outcomes, strict=True):
            draft.error = outcome.error
        return drafts

    def _draft(self, outputs: dict | None, raw: str, tokens: int, rollout_id: int, text: str | None = None,
               ended: bool = False) -> Draft:
        """A draft of ``outputs``, or a failed one holding ``raw`` (counted where it failed: the lenient
        adapter counts what it cannot read, ``rollouts.py`` the runs that raised)."""
        if outputs is None:
            return Draft(raw.strip(), tokens, rollout_id, ended=ended, parsed=False)
        shown = self.candidate_text(outputs) if text is None else text
        return Draft(shown, tokens, rollout_id, ended=ended, outputs=outputs, final=True)

    @staticmethod
    def _count_unread(outputs: dict | None) -> None:
        """Count a reply whose fields could not be read (None) as unparsed."""
        meter = current_meter()
        if outputs is None and meter is not None:
            meter.record_unparsed()


def _options(max_tokens: int | None, stop: list[str], temperature: float | None) -> dict:
    return {**({"max_tokens": max_tokens} if max_tokens else {}), "stop": stop,
            **({"temperature": temperature} if temperature is not None else {})}


def _step(text: str, tokens: int, rollout_id: int, ended: bool) -> Draft:
    """A step of the reasoning, or (when it begins a field marker) the end of the reasoning."""
    if begins_a_field(text):
        return Draft("", tokens, rollout_id, ended=ended, final=True)
    return Draft(text.strip(), tokens, rollout_id, ended=ended)


def _signature_step(outcome: Outcome, rollout_id: int) -> Draft:
    if outcome.outputs is None:
        return Draft(outcome.raw.strip(), outcome.tokens, rollout_id, parsed=False)
    text = str(outcome.outputs.get(NEXT_STEP) or "").strip()
    return Draft(text, outcome.tokens, rollout_id, final=bool(outcome.outputs.get(COMPLETE)) or not text)
