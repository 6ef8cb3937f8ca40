"""The base of every strategy: a ``dspy.Module`` that grows a search graph within a budget.

``forward(question=...)`` makes a fresh graph, meter and verifier runner (:class:`Run`), lets the
strategy search, selects, and returns a ``dspy.Prediction`` with ``answer`` (normalised),
``reasoning`` (the chosen solution), ``graph`` (a networkx tree) and ``spent`` (what the call
cost). When the budget runs out mid-search the best answer found so far is returned and
``spent["exhausted"]`` names the limit. Called inside ``with meter.active():``, a strategy is
also limited by that meter's budget and counted in it (meters nest). Options are validated by
the strategy's pydantic config, whose ``kind`` is the strategy's registry name.

Example:
    >>> from ttc_modules import BestOfN
    >>> from ttc_modules.testing import scripted_lm
    >>> lm = scripted_lm(lambda prompt, seed: f"{seed % 2} + 1 = {seed % 2 + 1}.\\n\\nThe answer is {seed % 2 + 1}.")
    >>> pred = BestOfN(n=5, selection="majority", lm=lm)(question="What is 0 + 1?")
    >>> pred.answer, pred.spent["generations"]  # the run's request seeds are 4099..4103: three odd ones
    ('2', 5)
"""

from __future__ import annotations

from typing import Any, ClassVar

import dspy
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ttc_modules.aggregation import StepAggregation
from ttc_modules.budget import Budget, BudgetExceeded, BudgetMeter, current_meter
from ttc_modules.generation import Generator
from ttc_modules.graph import new_graph
from ttc_modules.strategies.run import Run
from ttc_modules.verifiers.callable import as_verifier
from ttc_modules.verifiers.runner import VerifierRunner


class StrategyConfig(BaseModel):
    """Options every strategy takes."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    seed: int = 0
    aggregation: StepAggregation = "last"
    temperature: float | None = Field(None, ge=0)
    max_depth: int = Field(40, ge=1)
    concurrency: int = Field(8, ge=1)

    def generations(self) -> int:
        """The cost in the paper's unit (sampled answers)."""
        raise NotImplementedError


def parse_config(config_class: type[StrategyConfig], options: dict) -> StrategyConfig:
    """Validate strategy options, turning pydantic's report into one line naming the value and the fix."""
    try:
        return config_class(**options)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(map(str, error["loc"])) or config_class.__name__
        fields = ", ".join(sorted(f for f in config_class.model_fields if f != "kind"))
        if error["type"] == "extra_forbidden":
            raise ValueError(f"{config_class.model_fields['kind'].default} has no option '{where}'; "
                             f"its options are: {fields}") from None
        message = str(error["msg"]).removeprefix("Value error, ")
        raise ValueError(f"{config_class.model_fields['kind'].default} option {where}: {message}, got "
                         f"{error.get('input')!r}") from None


class Strategy(dspy.Module):
    """A test-time compute strategy (see the module docstring).

    Args:
        verifier: a Verifier, a function, a DSPy reward function or a dspy.Module (``as_verifier``).
        budget: limits for each call; None means only the strategy's own size limits it.
        lm: the LM to sample from; None uses ``dspy.settings.lm``, then the configured default.
        generator: a :class:`Generator` to use instead of a fresh one (e.g. an optimised one).
        allow_oracle: let an oracle verifier in (evaluation only).
        **options: the strategy's config (see its ``Config``).
    """

    kind: ClassVar[str] = ""
    Config: ClassVar[type[StrategyConfig]] = StrategyConfig
    needs_verifier: ClassVar[bool] = True

    def __init__(self, verifier=None, budget: Budget | None = None, lm=None, generator: Generator | None = None,
                 allow_oracle: bool = False, **options: Any):
        super().__init__()
        self.config = parse_config(self.Config, {"kind": self.kind, **options})
        self.generator = generator or Generator(lm=lm)
        self.verifier = as_verifier(verifier) if verifier is not None else None
        if isinstance(verifier, dspy.Module):
            self.verifier_module = verifier  # visible to DSPy optimizers and save/load
        self.budget = budget
        self.allow_oracle = allow_oracle
        if self.verifier is None and self._requires_verifier():
            raise ValueError(f"{self.kind} needs a verifier; pass verifier=ArithmeticChecker(), an LLMJudge, "
                             "a RemotePRM or a function")

    def _requires_verifier(self) -> bool:
        return self.needs_verifier

    # ------------------------------------------------------------------ the call
    def forward(self, question: str, **inputs: Any) -> dspy.Prediction:
        from ttc_modules.solve import check_question

        run = self._new_run({"question": check_question(question), **inputs})
        with run.meter.active():
            try:
                chosen = self.search(run)
            except BudgetExceeded:
                chosen = self._best_so_far(run)
        return self._prediction(run, chosen)

    def search(self, run: Run) -> int | None:
        """Grow ``run.graph`` and return the chosen node (None when nothing was found)."""
        raise NotImplementedError

    def _best_so_far(self, run: Run) -> int | None:
        """The strategy's fallback, or the plain one if even that needs budget that is gone."""
        try:
            return self.fallback(run)
        except BudgetExceeded:
            return Strategy.fallback(self, run)

    def fallback(self, run: Run) -> int | None:
        """The best answer so far after the budget ran out: weighted (or majority) over finished nodes.

        Uses the scores already computed and spends nothing.
        """
        finished = [n for n, d in run.graph.nodes(data=True) if d["terminal"] and d["answer"] is not None]
        scored = all(run.graph.nodes[n]["score"] is not None for n in finished)
        return run.best(finished, "weighted" if scored and finished else "majority")

    def _new_run(self, inputs: dict) -> Run:
        lm = self.generator.resolve_lm()
        runner = None
        if self.verifier is not None:
            runner = VerifierRunner.configured(self.verifier, allow_oracle=self.allow_oracle)
        config = self.config.model_dump()
        return Run(inputs=inputs, graph=new_graph(inputs, self.kind, config, self.config.seed),
                   meter=BudgetMeter(self.budget, params=getattr(lm, "params", None), parent=current_meter()),
                   generator=self.generator, runner=runner, seed=self.config.seed, aggregation=self.config.aggregation,
                   temperature=self.config.temperature, max_depth=self.config.max_depth,
                   concurrency=self.config.concurrency)

    def _prediction(self, run: Run, chosen: int | None) -> dspy.Prediction:
        data = run.graph.nodes[chosen] if chosen is not None else {}
        run.graph.graph["chosen"] = chosen
        return dspy.Prediction(answer=data.get("answer"),
                               reasoning=run.solution_text(chosen) if chosen is not None else "",
                               graph=run.graph, spent=run.meter.spent(), chosen=chosen)
