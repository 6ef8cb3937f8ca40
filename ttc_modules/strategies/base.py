"""The base of every strategy: a ``dspy.Module`` that grows a search graph within a budget.

``forward(question=...)`` starts a fresh :class:`Run` (graph, meter, verifier), lets the strategy
search on it (:meth:`Strategy.search_on`), and returns a ``dspy.Prediction`` with ``answer``
(as written), ``reasoning`` (the chosen solution), ``graph`` (a networkx tree) and ``spent`` (what
the call cost). When the budget runs out mid-search the best answer found so far is returned and
``spent["exhausted"]`` names the limit. Called inside ``with meter.active():``, a strategy is
also limited by that meter's budget and counted in it (meters nest). Options are validated by
the strategy's pydantic config, whose ``kind`` is the strategy's registry name.

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
from typing import Any, ClassVar

import dspy

from ttc_modules.budget import Budget, BudgetExceeded, as_budget
from ttc_modules.concurrency import in_search_thread
from ttc_modules.generation import Generator
from ttc_modules.strategies.config import StrategyConfig, parse_config
from ttc_modules.strategies.run import Run
from ttc_modules.verifiers.callable import as_verifier


def check_question(question: str) -> str:
    """The question stripped, or a clear error when it is empty."""
    if not question or not question.strip():
        raise ValueError("the question is empty; pass the question text, e.g. ttc solve \"What is 12 + 7?\"")
    return question.strip()


class SearchModule(dspy.Module):
    """A module that answers by searching on a :class:`Run` (see the module docstring).

    Args:
        verifier: a Verifier, a function, a DSPy reward function or a dspy.Module (``as_verifier``).
        budget: limits for each call: a :class:`Budget`, a number of generations, or None.
        lm: the LM to sample from; None uses ``dspy.settings.lm``, then the configured default.
        generator: a :class:`Generator` to use instead of a fresh one (e.g. an optimised one); without an LM
            of its own it samples from ``lm``.
        allow_oracle: let an oracle verifier in (evaluation only).
    """

    def __init__(self, verifier=None, budget: Budget | int | None = None, lm=None,
                 generator: Generator | None = None, allow_oracle: bool = False):
        super().__init__()
        self.generator = _with_lm(generator, lm) if generator is not None else Generator(lm=lm)
        self.verifier = as_verifier(verifier) if verifier is not None else None
        if isinstance(verifier, dspy.Module):
            self.verifier_module = verifier  # visible to DSPy optimizers and save/load
        self.budget = as_budget(budget)
        self.allow_oracle = allow_oracle

    async def aforward(self, *args: Any, **kwargs: Any) -> dspy.Prediction:
        """``forward`` for ``await module.acall(...)``: the search's control flow runs in a worker thread and
        its LM requests run as coroutines on the caller's event loop (``concurrency.py``), so the loop stays
        free and the samples of a prompt are drawn concurrently under ``asyncio``; DSPy's settings and the
        budget meter in context go with it."""
        return await in_search_thread(type(self).forward, self, *args, **kwargs)  # not self.forward: DSPy warns

    def start_run(self, question: str, inputs: dict, settings: StrategyConfig, budget: Budget | None) -> Run:
        """A fresh run for one call on ``question`` (checked) and the other ``inputs``."""
        return Run.start({"question": check_question(question), **inputs}, settings, self.generator,
                         verifier=self.verifier, budget=budget, allow_oracle=self.allow_oracle)


def _with_lm(generator: Generator, lm) -> Generator:
    """``generator``, sampling from ``lm`` when it has no LM of its own (its predictors, demos included, shared)."""
    if lm is None or generator.lm is not None:
        return generator
    given = copy.copy(generator)
    given.lm = lm
    return given


class Strategy(SearchModule):
    """A test-time compute strategy (see the module docstring).

    Takes :class:`SearchModule`'s arguments and ``**options``, the strategy's config (see its ``Config``).
    """

    kind: ClassVar[str] = ""
    Config: ClassVar[type[StrategyConfig]] = StrategyConfig

    def __init__(self, verifier=None, budget: Budget | int | None = None, lm=None, generator: Generator | None = None,
                 allow_oracle: bool = False, **options: Any):
        super().__init__(verifier=verifier, budget=budget, lm=lm, generator=generator, allow_oracle=allow_oracle)
        self.config = parse_config(self.Config, {"kind": self.kind, **options})
        if self.verifier is None and self.requires_verifier(self.config):
            raise ValueError(f"{self.kind} needs a verifier; pass verifier=ArithmeticChecker(), an LLMJudge, "
                             "a RemotePRM or a function")

    @classmethod
    def requires_verifier(cls, config: StrategyConfig) -> bool:
        """Whether this strategy, configured so, needs a verifier (most do)."""
        return True

    # ------------------------------------------------------------------ the call
    def forward(self, question: str, **inputs: Any) -> dspy.Prediction:
        run = self.start_run(question, inputs, self.config, self.budget)
        with run.meter.active():
            chosen = self.search_on(run)
        return run.prediction(chosen)

    def search_on(self, run: Run) -> int | None:
        """Search on ``run`` with this strategy's settings and return the chosen node (None when nothing
        was found); when the budget runs out, the best answer so far. A token or FLOPs limit too small
        for the run's first request is an error (BudgetExceeded, saying what one request needs), and
        the generations charged for it are given back: nothing was requested."""
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
