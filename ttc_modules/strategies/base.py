"""The base of every strategy: a ``dspy.Module`` that searches a program within a budget.

A strategy's first parameter is the program it searches: a signature (``"context, question ->
answer"`` or a class) or a ``dspy.Module`` of the user's (``ttc_modules.programs``); without one,
the math word-problem program (``question -> reasoning, answer``, ``generation.py``). A call takes
the program's inputs as keywords, starts a fresh :class:`Run` (graph, meter, verifier), lets the
strategy search on it (:meth:`Strategy.search_on`), and returns a ``dspy.Prediction`` with every
output field of the program as the chosen candidate holds it (for the math program: ``answer`` as
written and ``reasoning``, the chosen solution), ``graph`` (a networkx tree) and ``spent`` (what
the call cost). When the budget runs out mid-search the best answer found so far is returned and
``spent["exhausted"]`` names the limit. Called inside ``with meter.active():``, a strategy is
also limited by that meter's budget and counted in it (meters nest). Options are validated by
the strategy's pydantic config, whose ``kind`` is the strategy's registry name; they appear in the
strategy's signature (``help(BeamSearch)``).

:class:`SearchModule` is what strategies share with modules that search with them on one run (such
as the planner's ``AdaptiveTTC``): the generator and the verifier as sub-modules, a budget per call
(a :class:`~ttc_modules.budget.Budget` or a number of generations) and how a call's run starts.

Example:
    >>> from ttc_modules import BestOfN
    >>> from ttc_modules.testing import scripted_lm
    >>> lm = scripted_lm(lambda prompt, seed: f"{seed % 2} + 1 = {seed % 2 + 1}.\\n\\nThe answer is {seed % 2 + 1}.")
    >>> pred = BestOfN(n=5, selection="majority", lm=lm)(question="What is 0 + 1?")
    >>> pred.answer, pred.spent["generations"]  # the run's request seeds are 4099..4103: three odd ones
    ('2', 5)
"""

from __future__ import annotations

import copy
import inspect
from typing import Any, ClassVar

import dspy

from ttc_modules.budget import Budget, BudgetExceeded, as_budget
from ttc_modules.call_context import current, entered, in_search_thread
from ttc_modules.generation import Generator
from ttc_modules.programs import ProgramError, ProgramGenerator
from ttc_modules.strategies.config import StrategyConfig, parse_config
from ttc_modules.strategies.run import Run
from ttc_modules.verifiers.callable import as_verifier


def check_question(question: str) -> str:
    """The question stripped, or a clear error when it is empty."""
    return Generator.check_inputs({"question": question})["question"]


class SearchModule(dspy.Module):
    """A module that answers by searching a program on a :class:`Run` (see the module docstring).

    Args:
        program: what is searched: a signature or a ``dspy.Module`` (None: the math word-problem program).
        verifier: a Verifier, a function, a DSPy reward function or metric, or a dspy.Module (``as_verifier``).
        budget: limits for each call: a :class:`Budget`, a number of generations, or None.
        lm: the LM to sample from; None uses ``dspy.settings.lm``, then the configured default.
        generator: a generator to use instead of a fresh one (e.g. an optimised math ``Generator``, or a
            ``ProgramGenerator`` with options of its own); without an LM of its own it samples from ``lm``.
        allow_oracle: let an oracle verifier in (evaluation only); the call may then pass labels beside
            the program's inputs, which only the verifier reads.
        answer_field: the program's output that votes are on (default: its last output field).
        equivalent: when two answers are the same: ``math``, ``value``, ``text``, ``json``, or a function
            ``(a, b) -> bool`` (default: by the answer field's type).
        normalize: a function ``value -> key``; answers with equal keys are the same answer.
    """

    def __init__(self, program=None, *, verifier=None, budget: Budget | int | None = None, lm=None,
                 generator: Generator | ProgramGenerator | None = None, allow_oracle: bool = False,
                 answer_field: str | None = None, equivalent=None, normalize=None):
        super().__init__()
        self.generator = _generator(program, generator, lm, answer_field=answer_field, equivalent=equivalent,
                                    normalize=normalize)
        self.verifier = as_verifier(verifier) if verifier is not None else None
        if isinstance(verifier, dspy.Module):
            self.verifier_module = verifier  # visible to DSPy optimizers and save/load
        self.budget = as_budget(budget)
        self.allow_oracle = allow_oracle

    @property
    def program(self) -> dspy.Module:
        """The program searched: the user's module, or the math word-problem program's generator."""
        return getattr(self.generator, "program", self.generator)

    async def aforward(self, *args: Any, **kwargs: Any) -> dspy.Prediction:
        """``forward`` for ``await module.acall(...)``: the search's control flow runs in a worker thread and
        its LM requests run as coroutines on the caller's event loop (``call_context.py``), so the loop stays
        free and the samples of a prompt are drawn concurrently under ``asyncio``; DSPy's settings and the
        budget meter in context go with it."""
        return await in_search_thread(type(self).forward, self, *args, **kwargs)  # not self.forward: DSPy warns

    def start_run(self, inputs: dict, config: StrategyConfig, budget: Budget | None) -> Run:
        """A fresh run for one call on ``inputs`` (checked against the program's inputs; labels pass only
        with an oracle verifier)."""
        labels = self.allow_oracle or bool(self.verifier is not None and self.verifier.oracle)
        return Run.start(self.generator.check_inputs(inputs, labels=labels), config, self.generator,
                         verifier=self.verifier, budget=budget, allow_oracle=self.allow_oracle)


def _generator(program, generator, lm, **voting) -> Generator | ProgramGenerator:
    """What a strategy samples from: the given generator (with ``lm`` where it has none), a generator of the
    program, or the math word-problem program's."""
    if generator is not None:
        if program is not None:
            raise ProgramError("pass a program or a generator, not both; a ProgramGenerator holds its program")
        if not isinstance(generator, Generator | ProgramGenerator):
            raise ProgramError(f"generator= takes a Generator or a ProgramGenerator, got {type(generator).__name__}; "
                               "pass your program first instead, e.g. BestOfN(dspy.ChainOfThought('question -> answer'))")
        return _with_lm(generator, lm)
    if program is None:
        if any(value is not None for value in voting.values()):
            raise ProgramError(f"{', '.join(k for k, v in voting.items() if v is not None)} apply to a program of "
                               "yours; pass it first, e.g. BestOfN(dspy.ChainOfThought('question -> answer'), ...)")
        return Generator(lm=lm)
    if hasattr(program, "score") and not isinstance(program, dspy.Module | str | type):
        raise ProgramError(f"{type(program).__name__} looks like a verifier, and a strategy's first argument is the "
                           "program it searches; pass it as verifier=...")
    return ProgramGenerator(program, lm=lm, **voting)


def _with_lm(generator, lm):
    """``generator``, sampling from ``lm`` when it has no LM of its own (its predictors, demos included, shared)."""
    if lm is None or generator.lm is not None:
        return generator
    given = copy.copy(generator)
    given.lm = lm
    return given


def _as_configured(config: StrategyConfig) -> str:
    """How the config makes a verifier needed, for the message that asks for one."""
    selection = getattr(config, "selection", None)
    if getattr(config, "threshold", None) is not None:
        return " to reach its threshold"
    return f" for selection={selection!r}" if selection in ("weighted", "naive") else ""


def _without_one(config: StrategyConfig) -> str:
    """What to ask for instead of a verifier, where the strategy can do without one."""
    votes = "selection" in type(config).model_fields and getattr(config, "threshold", None) is None
    return ", or selection='majority' (votes alone)" if votes else ""


def _program_named(program, options: dict):
    """The program, also when given as ``module=`` (as DSPy's wrappers take it) or ``signature=``."""
    named = {name: options.pop(name) for name in ("module", "signature") if name in options}
    if len(named) + (program is not None) > 1:
        raise ProgramError(f"the program is given twice ({', '.join(['program', *named][-2:])}); pass it once, first")
    return program if program is not None else next(iter(named.values()), None)


def options_text(config: type[StrategyConfig]) -> str:
    """The options of a strategy's config with their defaults, its own first (for ``help``).

    Example:
        >>> print(options_text(StrategyConfig))
        seed=0, aggregation='last', temperature=None, max_depth=40, concurrency=8
    """
    own = [name for name in config.model_fields if name not in StrategyConfig.model_fields]
    return ", ".join(f"{name}={config.model_fields[name].default!r}" for name in [*own, *StrategyConfig.model_fields]
                     if name != "kind")


_COMMON = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default) for name, default in (
    ("verifier", None), ("budget", None), ("lm", None), ("generator", None), ("allow_oracle", False),
    ("answer_field", None), ("equivalent", None), ("normalize", None))]


def constructor_signature(config: type[StrategyConfig]) -> inspect.Signature:
    """A strategy's constructor as ``help()`` shows it: the program, the options of its config (its own,
    then those every strategy has, with their types and defaults), then what every strategy takes."""
    own = [name for name in config.model_fields if name not in StrategyConfig.model_fields]
    options = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=config.model_fields[name].default,
                                 annotation=config.model_fields[name].annotation)
               for name in [*own, *StrategyConfig.model_fields] if name != "kind"]
    program = inspect.Parameter("program", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)
    return inspect.Signature([program, *options, *_COMMON])


class Strategy(SearchModule):
    """A test-time compute strategy (see the module docstring).

    Takes the program (also as ``module=`` or ``signature=``, the names DSPy's wrappers give it),
    :class:`SearchModule`'s arguments and ``**options``, the strategy's config (see its ``Config``; they
    appear in the strategy's signature).
    """

    kind: ClassVar[str] = ""
    Config: ClassVar[type[StrategyConfig]] = StrategyConfig
    steps: ClassVar[bool] = False  # grows the program's reasoning step by step (needs text reasoning)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.__signature__ = constructor_signature(cls.Config)
        cls.__doc__ = f"{cls.__doc__ or ''}\n\nOptions: {options_text(cls.Config)}."

    def __init__(self, program=None, *, verifier=None, budget: Budget | int | None = None, lm=None,
                 generator: Generator | ProgramGenerator | None = None, allow_oracle: bool = False,
                 answer_field: str | None = None, equivalent=None, normalize=None, **options: Any):
        program = _program_named(program, options)
        super().__init__(program, verifier=verifier, budget=budget, lm=lm, generator=generator,
                         allow_oracle=allow_oracle, answer_field=answer_field, equivalent=equivalent,
                         normalize=normalize)
        self.config = parse_config(self.Config, {"kind": self.kind, **options})
        if self.steps:
            self.generator.check_steps(self.kind)
        if self.verifier is None and self.requires_verifier(self.config):
            raise ValueError(f"{self.kind} needs a verifier{_as_configured(self.config)}; pass verifier=... (a reward "
                             "function (args, pred) -> float, an LLMJudge, a RemotePRM, or ArithmeticChecker() for "
                             "math word problems)" + _without_one(self.config))

    @classmethod
    def requires_verifier(cls, config: StrategyConfig) -> bool:
        """Whether this strategy, configured so, needs a verifier (most do)."""
        return True

    # ------------------------------------------------------------------ the call
    def forward(self, *args: Any, **inputs: Any) -> dspy.Prediction:
        if args:
            raise ProgramError(f"call {type(self).__name__} with keyword inputs, as any DSPy module: "
                               f"{', '.join(f'{name}=...' for name in self.generator.fields.inputs)}")
        handed = current().handoff
        if handed is not None and handed[0] is self:  # a planner's run, its probes drawn: search on from them
            run = handed[1]
            with entered(handoff=None), run.meter.active():
                return run.prediction(self.search_on(run))
        run = self.start_run(inputs, self.config, self.budget)
        with run.meter.active():
            chosen = self.search_on(run)
        return run.prediction(chosen)

    def continue_on(self, run: Run) -> int | None:
        """Search on a run another module started (a planner's, after its difficulty probes), called as a
        DSPy module (``self(**run.inputs)``, so DSPy's callbacks and usage tracking see this strategy); the
        chosen node (None when nothing was found)."""
        with entered(handoff=(self, run)):
            return self(**run.inputs).chosen

    def search_on(self, run: Run) -> int | None:
        """Search on ``run`` with this strategy's config and return the chosen node (None when nothing
        was found); when the budget runs out, the best answer so far. A token or FLOPs limit too small
        for the run's first request is an error (BudgetExceeded, saying what one request needs), and
        the generations reserved for it are given back: nothing was requested."""
        with run.stage(self.config):
            try:
                return self.search(run)
            except BudgetExceeded as refused:
                if run.meter.counts["lm_calls"] == 0:
                    run.meter.release(generations=run.meter.counts["generations"])
                    if refused.limit in ("tokens", "flops"):
                        raise
                return self._best_so_far(run)

    def search(self, run: Run) -> int | None:
        """Grow ``run.graph`` and return the chosen node (None when nothing was found)."""
        raise NotImplementedError

    def _best_so_far(self, run: Run) -> int | None:
        """The strategy's fallback, or the plain one if even that needs budget that is gone."""
        try:
            return self.fallback(run)
        except BudgetExceeded:
            return run.best_finished()

    def fallback(self, run: Run) -> int | None:
        """The best answer so far after the budget ran out: weighted (or majority) over finished nodes,
        from the scores already computed, spending nothing."""
        return run.best_finished()
