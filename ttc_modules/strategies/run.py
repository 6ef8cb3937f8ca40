"""One strategy call's state: its graph, budget meter and verifier, and the moves every strategy makes.

A :class:`Run` is made fresh by ``Strategy.forward`` and thrown away after it, so no state
survives between calls. The moves are shared by all strategies (none copies another's code):
:meth:`Run.sample_solutions` (whole solutions under the root), :meth:`Run.expand` (next steps under
a partial solution), :meth:`Run.revise` (a chain's next attempt), :meth:`Run.score` (verifier
scores along a node's path) and :meth:`Run.best` (weighted, majority or naive selection).

Generations are charged by the strategies themselves (the paper's unit differs between them);
tokens are checked by the LM before every call, verifier calls by the verifier runner. Request
seeds come from :mod:`ttc_modules.strategies.seeds`, so they do not depend on thread timing.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import networkx as nx

from ttc_modules.aggregation import Selection, StepAggregation, aggregate_steps, select
from ttc_modules.budget import BudgetMeter
from ttc_modules.generation import Draft, Generator
from ttc_modules.graph import ROOT, add_child, solution_steps
from ttc_modules.lm import in_context
from ttc_modules.steps import extract_answer, has_final_answer, normalize_answer, split_steps
from ttc_modules.strategies.seeds import SeedStream, active_stream, in_stream
from ttc_modules.verifiers.runner import VerifierRunner


@dataclass
class Run:
    """The state of one search (see the module docstring)."""

    inputs: dict
    graph: nx.DiGraph
    meter: BudgetMeter
    generator: Generator
    runner: VerifierRunner | None
    seed: int
    aggregation: StepAggregation = "last"
    temperature: float | None = None
    max_depth: int = 40
    concurrency: int = 8
    _stream: SeedStream | None = field(default=None, repr=False)
    _graph_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def question(self) -> str:
        return self.inputs["question"]

    def next_seed(self) -> int:
        """A fresh seed for the next request (deterministic given the run's seed; see :class:`SeedStream`)."""
        return self._current_stream().next_seed(self.seed)

    def _current_stream(self) -> SeedStream:
        if self._stream is None:
            self._stream = SeedStream(owner=self)
        return active_stream(self) or self._stream

    def affordable(self, generations: int) -> int:
        """How many of ``generations`` the budget still allows."""
        left = self.meter.remaining("generations")
        return generations if left is None else min(generations, left)

    def parallel(self, fn, items: list) -> list:
        """``fn`` over ``items`` concurrently, in the caller's context (meter, DSPy settings).

        Each item draws its seeds from its own :class:`SeedStream`, so the requests made do not
        depend on which item finishes first.
        """
        jobs = list(zip(self._current_stream().fork(len(items)), items, strict=True))
        call = in_context(lambda job: in_stream(job[0], fn, job[1]))
        if len(jobs) <= 1:
            return [call(job) for job in jobs]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(jobs))) as pool:
            return list(pool.map(call, jobs))

    # ------------------------------------------------------------------ growing the graph
    def sample_solutions(self, n: int) -> list[int]:
        """``n`` whole solutions as ``answer`` nodes under the root."""
        drafts = self.generator.solutions(self.question, n, self.next_seed(), self.temperature)
        return [self._add_solution(ROOT, d, kind="answer", op="sample", module="generator.solve") for d in drafts]

    def revise(self, parent: int, attempts: list[str]) -> int:
        """The next attempt of a chain, under ``parent`` (the chain's last attempt, or the root)."""
        draft = self.generator.revisions(self.question, attempts, 1, self.next_seed(), self.temperature)[0]
        return self._add_solution(parent, draft, kind="revision", op="revise" if attempts else "sample",
                                  module="generator.revise")

    def expand(self, parent: int, n: int, temperature: float | None = None, op: str = "extend",
               max_tokens: int | None = None) -> list[int]:
        """``n`` candidate next steps under ``parent``."""
        steps = self.solution_steps(parent)
        drafts = self.generator.next_steps(self.question, steps, n, self.next_seed(),
                                           self.temperature if temperature is None else temperature, max_tokens)
        return [self._add_step(parent, d, op) for d in drafts]

    def complete(self, parent: int) -> int:
        """Finish the partial solution ``parent`` in one go: a terminal node holding the rest of it."""
        draft = self.generator.completions(self.question, self.solution_steps(parent), 1, self.next_seed(),
                                           self.temperature)[0]
        text = self.solution_text(parent) + self.generator.step_delimiter + draft.text
        return self._add_child(parent, kind="step", text=draft.text, op="extend", module="generator.extend",
                               rollout_id=draft.rollout_id, tokens=draft.tokens, terminal=True,
                               answer=normalize_answer(extract_answer(text)),
                               steps=max(1, len(split_steps(draft.text, self.generator.step_delimiter))))

    def _add_solution(self, parent: int, draft: Draft, kind: str, op: str, module: str) -> int:
        answer = normalize_answer(extract_answer(draft.text))
        return self._add_child(parent, kind=kind, text=draft.text, op=op, module=module,
                               rollout_id=draft.rollout_id, tokens=draft.tokens, terminal=True, answer=answer,
                               steps=max(1, len(split_steps(draft.text, self.generator.step_delimiter))))

    def _add_step(self, parent: int, draft: Draft, op: str) -> int:
        depth = self.graph.nodes[parent]["depth"] + 1
        terminal = not draft.text or has_final_answer(draft.text) or depth >= self.max_depth
        answer = normalize_answer(extract_answer(self.solution_text(parent) + "\n\n" + draft.text)) if terminal else None
        return self._add_child(parent, kind="step", text=draft.text, op=op, module="generator.extend",
                               rollout_id=draft.rollout_id, tokens=draft.tokens, terminal=terminal, answer=answer)

    def _add_child(self, parent: int, **attributes) -> int:
        with self._graph_lock:  # parallel items grow the same graph; node ids must stay unique
            return add_child(self.graph, parent, **attributes)

    # ------------------------------------------------------------------ reading the graph
    def solution_steps(self, node: int) -> list[str]:
        """The steps of the partial solution ``node`` stands for."""
        return solution_steps(self.graph, node, self.generator.step_delimiter)

    def solution_text(self, node: int) -> str:
        return self.generator.step_delimiter.join(self.solution_steps(node))

    # ------------------------------------------------------------------ scoring and choosing
    def score(self, nodes: list[int]) -> list[float]:
        """Verifier scores for ``nodes`` (stored on them); concurrent; needs a verifier."""
        if self.runner is None:
            raise ValueError("this strategy needs a verifier; pass verifier=ArithmeticChecker() or another")
        step_lists = [self.solution_steps(n) or [""] for n in nodes]
        results = self.parallel(lambda steps: self.runner.score(self.inputs, steps), step_lists)
        for node, step_scores in zip(nodes, results, strict=True):
            self.graph.nodes[node]["step_scores"] = step_scores
            self.graph.nodes[node]["score"] = aggregate_steps(step_scores, self.aggregation)
        return [self.graph.nodes[n]["score"] for n in nodes]

    def best(self, nodes: list[int], how: Selection) -> int | None:
        """The chosen node among ``nodes``: ``weighted``, ``majority`` or ``naive`` selection."""
        answers = [self.graph.nodes[n]["answer"] for n in nodes]
        scores = [self.graph.nodes[n]["score"] or 0.0 for n in nodes]
        index = select(answers, scores, how)
        return None if index is None else nodes[index]

    def top(self, nodes: list[int], k: int, distinct: bool = False) -> list[int]:
        """The ``k`` best-scored nodes (ties keep creation order).

        ``distinct`` prefers nodes whose partial solutions differ, filling up with repeats only when
        there are fewer than ``k`` different ones (as search-and-learn's duplicate filter does).
        """
        ranked = sorted(nodes, key=lambda n: -(self.graph.nodes[n]["score"] or 0.0))
        if not distinct:
            return ranked[:k]
        first, seen = [], set()
        for node in ranked:
            text = self.solution_text(node)
            if text not in seen:
                seen.add(text)
                first.append(node)
        return (first + [n for n in ranked if n not in first])[:k]

