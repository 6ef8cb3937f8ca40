"""AdaptiveTTC: the module users put in their programs. Estimate difficulty, plan, search.

Per call: the difficulty estimator draws its probes (charged to the budget), the fitted planner
picks the strategy for the question's bin and budget, and that strategy runs within the
generations left. Probes are not wasted: when the plan is best-of-N, the probe samples are candidates
and only the remaining samples are drawn. The budget is never exceeded, nor is the budget of a
meter active around the call (meters nest). The generator (and a module verifier) are
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

import dspy

from ttc_modules.aggregation import select
from ttc_modules.budget import Budget, BudgetMeter, current_meter
from ttc_modules.generation import Generator
from ttc_modules.graph import ROOT, graft, new_graph, solution_steps
from ttc_modules.verifiers.callable import as_verifier
from ttc_modules.verifiers.runner import VerifierRunner


class AdaptiveTTC(dspy.Module):
    """Difficulty-adaptive test-time compute (see the module docstring).

    Args:
        planner: a fitted :class:`~planners.compute_optimal.ComputeOptimalPlanner`.
        verifier: the verifier for the probes and the strategies.
        lm, generator: what to sample from (as for any strategy).
        seed: the seed of the probes and of the chosen strategy.
    """

    def __init__(self, planner, verifier=None, lm=None, generator: Generator | None = None, seed: int = 0):
        super().__init__()
        self.planner, self.seed = planner, seed
        self.generator = generator or Generator(lm=lm)
        self.verifier = as_verifier(verifier) if verifier is not None else None
        if isinstance(verifier, dspy.Module):
            self.verifier_module = verifier

    def forward(self, question: str, budget: int, **inputs) -> dspy.Prediction:
        if budget < 1:
            raise ValueError(f"budget must be >= 1 generation, got {budget}")
        self.planner.fitted_budget(budget)  # a budget the policy cannot serve fails before any probe
        inputs = {"question": question, **inputs}
        meter = BudgetMeter(Budget(generations=budget), parent=current_meter())  # nested: all below counts here
        graph = new_graph(inputs, "adaptive", {"budget": budget}, self.seed)
        with meter.active():
            measurement = self.planner.estimator.measure(inputs, self.generator, self._runner(), seed=self.seed)
            bin_ = self.planner.estimator.bin(measurement.value)
            plan = self.planner.plan(bin_, budget)  # the policy is indexed by the whole budget, probes included
            chosen = self._search(plan, measurement, graph, inputs, meter)
        data = graph.nodes[chosen] if chosen is not None else {}
        return dspy.Prediction(answer=data.get("answer"), reasoning="\n\n".join(solution_steps(graph, chosen))
                               if chosen is not None else "", plan=plan.model_copy(update={"bin": bin_}),
                               difficulty=measurement.value, graph=graph, spent=meter.spent())

    def _search(self, plan, measurement, graph, inputs: dict, meter: BudgetMeter) -> int | None:
        """Run ``plan`` with what the probes left; return the chosen node of ``graph``."""
        if plan.kind == "best_of_n" and measurement.probe is not None:
            return self._best_of_n_with_probes(plan, measurement, graph, inputs, meter.remaining("generations"))
        found = plan.build(verifier=self.verifier, generator=self.generator, seed=self.seed)(**inputs)
        probes = _graft_probes(graph, measurement)
        chosen = graft(graph, found.graph).get(found.chosen)
        if chosen is None:  # the plan found no answer within what was left: the probes' best, if any
            chosen = _select(graph, probes, "weighted" if self.verifier is not None else "majority")
        return chosen

    def _runner(self):
        return VerifierRunner(self.verifier, cache_dir=None) if self.verifier is not None else _NoVerifier()

    def _best_of_n_with_probes(self, plan, measurement, graph, inputs, left: int) -> int | None:
        """Best-of-N whose first samples are the probes: draw the rest, then select over all of them."""
        from ttc_modules.strategies import BestOfN

        probes = _graft_probes(graph, measurement)
        more = max(0, min(left, plan.options["n"] - len(probes)))
        rest = BestOfN(n=more, selection=plan.options["selection"], verifier=self.verifier, seed=self.seed + 1,
                       generator=self.generator)(question=inputs["question"]) if more else None
        new = [graft(graph, rest.graph)[n] for n in sorted(rest.graph.successors(ROOT))] if rest else []
        return _select(graph, probes + new, plan.options["selection"])


def _select(graph, nodes: list[int], how: str) -> int | None:
    """The chosen node among ``nodes`` by ``how`` (majority, weighted or naive selection)."""
    index = select([graph.nodes[n]["answer"] for n in nodes], [graph.nodes[n]["score"] or 0.0 for n in nodes], how)
    return None if index is None else nodes[index]


def _graft_probes(graph, measurement) -> list[int]:
    """Put the probe samples (with their scores) under the root; return their node ids."""
    if measurement.probe is None:
        return []
    mapping = graft(graph, measurement.probe.graph, op="sample")
    nodes = [mapping[n] for n in sorted(measurement.probe.graph.successors(ROOT))]
    for node, score in zip(nodes, measurement.scores or [None] * len(nodes), strict=True):
        graph.nodes[node]["score"] = score
    return nodes


class _NoVerifier:
    def score(self, inputs, steps):
        return [0.0]
