"""AdaptiveTTC: the module users put in their programs. Estimate difficulty, plan, search, on one run.

It searches a program (the user's signature or module, as every strategy does; the math
word-problem program by default) and takes the program's inputs, plus ``budget=``. Fitted by
``ComputeOptimalPlanner.compile(program, trainset=..., metric=...)``, it saves and loads as any DSPy
module does (``save``/``load``), its policy with it.

Per call, everything happens on one :class:`~ttc_modules.strategies.run.Run` (one graph, one
budget meter, one verifier with one cache): the difficulty estimator draws and scores its probes
there (reserved from the budget), the fitted planner picks the strategy for the question's bin and
budget, and that strategy searches on the same run within the generations left. Probes are not
wasted: a best-of-N plan takes them as its first samples and draws only the rest. If a plan finds
no answer, the probes' best is the answer. The budget is never exceeded, nor is the budget of a
meter active around the call (meters nest).

With ``mean_budget`` the calls share one budget (``planners/mean_budget.py``): each question gets the
budget the policy allocates to its difficulty bin for that mean, within the credit the questions
before it left, so the mean generations per call never exceed ``mean_budget``, over every prefix of
the calls of this module and over all of them (``ledger.mean_spent()``). A call's own ``budget`` still
caps it. With ``stop`` (``"beta"`` or ``"window"``), a best-of-N plan stops drawing once its vote is
settled (the probes count as its first votes: ``ttc_modules/stopping.py``), and what it leaves goes
back to the ledger for the calls after it. The generator (and a module verifier) are
sub-modules, so DSPy optimizers and save/load see them.

Example:
    >>> from planners.compute_optimal import ComputeOptimalPlanner
    >>> from planners.plan import Plan
    >>> planner = ComputeOptimalPlanner(budgets=[4], bins=1)
    >>> planner.policy = {(1, 4): Plan(kind="best_of_n", options={"n": 4, "selection": "weighted"})}
    >>> planner.estimator.fit([0.5], 1)
    >>> from ttc_modules.testing import scripted_lm
    >>> from ttc_modules.verifiers import ArithmeticChecker
    >>> program = AdaptiveTTC(planner, verifier=ArithmeticChecker(), lm=scripted_lm(lambda p, s: "2 + 2 = 4. The answer is 4."))
    >>> pred = program(question="What is 2 + 2?", budget=4)
    >>> pred.answer, pred.plan.kind, pred.spent["generations"]
    ('4', 'best_of_n', 4)
"""

from __future__ import annotations

from typing import Literal, get_args

import dspy
from pydantic import Field

from planners.mean_budget import allocate, budget_for_bin
from planners.plan import Plan
from ttc_modules.budget import Budget, as_budget
from ttc_modules.evaluation.program_under_test import program_digest
from ttc_modules.generation import Generator
from ttc_modules.ledgers import BudgetLedger, WindowLedger, check_mean_budget
from ttc_modules.programs import ProgramGenerator
from ttc_modules.stopping import StopRule
from ttc_modules.strategies.base import SearchModule
from ttc_modules.strategies.config import StrategyConfig
from ttc_modules.strategies.run import Run


class AdaptiveConfig(StrategyConfig):
    """The config of an AdaptiveTTC call's run: its seed, and the generations of the call."""

    kind: Literal["adaptive"] = "adaptive"
    budget: int = Field(ge=1)

    def generations(self) -> int:
        return self.budget


class AdaptiveTTC(SearchModule):
    """Difficulty-adaptive test-time compute (see the module docstring).

    Args:
        planner: a fitted :class:`~planners.compute_optimal.ComputeOptimalPlanner` (:meth:`load` replaces
            it with the one saved; ``planners.load_adaptive(path, program)`` reads a saved program whole).
        program: the program searched (a signature or a ``dspy.Module``; None: the math word-problem program).
        verifier: the verifier for the probes and the strategies (needed when the policy's difficulty
            estimate or one of its plans needs one).
        lm, generator: what to sample from (as for any strategy).
        seed: the seed of the probes and of the chosen strategy.
        budget: the default budget of a call: a number of generations or a :class:`Budget` with
            ``generations`` set (its other limits apply too); a call's ``budget`` replaces it.
        mean_budget: generations per call on average over this module's calls, spent by difficulty (see the
            module docstring), or a ledger shared with other programs (``ttc_modules.ledgers``: a
            ``WindowLedger`` holds the mean over a sliding window of calls); None: every call spends its own
            ``budget``.
        stop: ``"beta"`` or ``"window"``: best-of-N plans stop once their vote is settled (None: they draw
            their whole budget, as they were scored when the policy was fitted).
    """

    def __init__(self, planner, program=None, *, verifier=None, lm=None,
                 generator: Generator | ProgramGenerator | None = None, seed: int = 0,
                 budget: Budget | int | None = None, mean_budget: float | BudgetLedger | WindowLedger | None = None,
                 stop: StopRule | None = None):
        super().__init__(program, verifier=verifier, budget=budget, lm=lm, generator=generator)
        check_fitted_on(planner.metadata, self.generator.fields)
        self.planner, self.seed = planner, seed
        self.ledger = _ledger(mean_budget, planner.budgets[0])
        if stop not in (None, *get_args(StopRule)):
            raise ValueError(f"unknown stop rule {stop!r}; use beta or window, or None to draw the whole budget")
        self.stop = stop
        self._check_verifier()

    def _check_verifier(self) -> None:
        if self.verifier is None and self.planner.policy and self.planner.needs_verifier():
            raise ValueError("this policy needs a verifier (its difficulty estimate or one of its plans scores "
                             "solutions); pass verifier=ArithmeticChecker() or the one it was fitted with")

    def dump_state(self, json_mode=True) -> dict:
        """The program's state (DSPy's) and the fitted policy, as ``save`` writes them."""
        return {**super().dump_state(json_mode=json_mode), "policy": self.planner.state()}

    def load_state(self, state: dict, **options) -> AdaptiveTTC:
        """The program's state and the policy back from :meth:`dump_state` (what ``load`` reads)."""
        state = dict(state)
        if "policy" in state:
            policy = state.pop("policy")
            check_fitted_on(policy.get("metadata", {}), self.generator.fields)
            self.planner = type(self.planner).from_state(policy)
            self._check_verifier()
        super().load_state(state, **options)
        return self

    def forward(self, budget: Budget | int | None = None, **inputs) -> dspy.Prediction:
        if self.ledger is not None:
            return self._forward_sharing(budget, inputs)
        return self._forward_within(self._limits(budget), inputs)

    def _forward_within(self, limits: Budget, inputs: dict, allocation: dict[int, int] | None = None
                        ) -> dspy.Prediction:
        """One call within ``limits``; with an ``allocation`` (bin -> budget) its bin's budget caps it too."""
        self.planner.fitted_budget(limits.generations)  # a budget the policy cannot serve fails before any probe
        run = self.start_run(inputs, AdaptiveConfig(seed=self.seed, budget=limits.generations), limits)
        with run.meter.active():
            measurement = self.planner.estimator.measure(run)
            bin_ = self.planner.estimator.bin(measurement.value)
            budget = limits.generations
            if allocation is not None:
                budget = self.planner.fitted_budget(min(budget, budget_for_bin(allocation, bin_)))
                run.meter.lower(generations=budget)
            plan = self.planner.plan(bin_, budget)  # indexed by the whole budget, probes included
            chosen = self._follow(plan, run, measurement.probes)
        return run.prediction(chosen, plan=plan.model_copy(update={"bin": bin_}), difficulty=measurement.value)

    def _forward_sharing(self, budget: Budget | int | None, inputs: dict) -> dspy.Prediction:
        """One call of a shared mean budget: the ledger's credit (and ``budget``, if given) caps it, its bin's
        allocation sizes it, and what it spent goes back to the ledger, also when it fails."""
        allocation = allocate(self.planner.cells(), self.ledger.mean)
        own = as_budget(budget) or self.budget or Budget()
        most = max(allocation.values())  # no bin spends more: the rest of the credit stays for the other calls
        grant = self.ledger.open(most if own.generations is None else min(own.generations, most))
        prediction = None
        try:
            prediction = self._forward_within(own.model_copy(update={"generations": grant.granted}), inputs,
                                              allocation)
        finally:
            self.ledger.close(grant, prediction.spent["generations"] if prediction is not None else grant.granted)
        return prediction

    def _limits(self, budget: Budget | int | None) -> Budget:
        limits = as_budget(budget) or self.budget
        if limits is None or limits.generations is None or limits.generations < 1:
            largest = max(self.planner.budgets)
            raise ValueError(f"AdaptiveTTC needs a budget of at least 1 generation to choose a plan, got {budget!r}; "
                             f"pass budget={largest} or Budget(generations={largest}, ...) (the policy is fitted "
                             f"for {', '.join(map(str, self.planner.budgets))})")
        return limits

    def _follow(self, plan: Plan, run: Run, probes: list[int]) -> int | None:
        """Search on ``run`` as ``plan`` says, within what the probes left; the chosen node."""
        if self.stop is not None and plan.kind == "best_of_n":
            plan = plan.model_copy(update={"options": {**plan.options, "stop": self.stop}})
        strategy = plan.build(verifier=self.verifier, generator=self.generator, seed=self._plan_seed(plan, probes))
        chosen = strategy.continue_on(run)
        if chosen is None:  # the plan found no answer within what was left: the probes' best, if any
            chosen = run.best(probes, "weighted" if run.runner is not None else "majority")
        return chosen

    def _plan_seed(self, plan: Plan, probes: list[int]) -> int:
        """The plan searches with the call's seed, as it was scored in calibration; a best-of-N that goes
        on from the probes draws its other samples with the next seed (with the probes' own seed it
        would draw the probes again)."""
        return self.seed + 1 if plan.kind == "best_of_n" and probes else self.seed


def _ledger(mean_budget: float | BudgetLedger | WindowLedger | None, smallest: int
            ) -> BudgetLedger | WindowLedger | None:
    """The ledger of ``mean_budget``: the one given, or a new one over every prefix of the calls."""
    if mean_budget is None or isinstance(mean_budget, BudgetLedger | WindowLedger):
        return mean_budget
    return BudgetLedger(check_mean_budget(mean_budget, smallest))


def check_fitted_on(metadata: dict, fields) -> None:
    """Refuse, in one line, a policy fitted (its ``metadata``; none: not fitted yet) on another program than the
    one with ``fields``."""
    if not metadata:
        return
    fitted_on = metadata.get("program")
    if fitted_on != (None if fields.answer_in_text else program_digest(fields)):
        what = "another program" if fitted_on else "the math word-problem program"
        raise ValueError(f"this policy was fitted on {what}, not on {fields.name}; use it with the program it was "
                         "fitted on")
