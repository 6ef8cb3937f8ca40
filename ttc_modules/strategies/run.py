"""One call's search: its graph, budget meter and verifier, and the moves every strategy makes.

A :class:`Run` is started fresh for each call of a strategy (or of ``AdaptiveTTC``) and thrown
away after it, so no state survives between calls. Everything the call does happens on it: a
planner's difficulty probes and the strategy it then picks grow the same graph, are counted by the
same meter and scored by the same verifier with one cache.

The moves are shared by all strategies (none copies another's code):
:meth:`Run.sample_solutions` (whole solutions under the root), :meth:`Run.extend` (next steps under
a partial solution), :meth:`Run.extend_round` (a round's prefixes at once, in one request where the
backend takes a list of prompts), :meth:`Run.complete`, :meth:`Run.revise` (a chain's next attempt),
:meth:`Run.score` (verifier scores along a node's path, each node scored once) and
:meth:`Run.best` (weighted, majority or naive selection).

A run proceeds in stages (:meth:`Run.stage`): each strategy that searches on it brings its own
config (seed, temperature, step aggregation, depth, concurrency), and its requests take their
seeds from a stream of its own seed (:mod:`ttc_modules.strategies.seeds`), so a strategy asks for
the same requests whether it runs alone or after a planner's probes, whatever the thread timing.

Generations are reserved by the strategies themselves (the paper's unit differs between them);
tokens are checked by the LM before every call, verifier calls by the verifier runner.

Example:
    >>> from ttc_modules.generation import Generator
    >>> from ttc_modules.strategies.config import StrategyConfig
    >>> from ttc_modules.testing import scripted_lm
    >>> from ttc_modules.verifiers import ArithmeticChecker
    >>> lm = scripted_lm(lambda prompt, seed: f"1 + 1 = {2 + seed % 2}. The answer is {2 + seed % 2}.")
    >>> run = Run.start({"question": "What is 1 + 1?"}, StrategyConfig(kind="mine"), Generator(lm=lm),
    ...                 verifier=ArithmeticChecker(), budget=Budget(generations=3))
    >>> nodes = run.sample_solutions(run.reserve_up_to(5))   # 3 of the 5 fit; request seed 4099: samples 4099..4101
    >>> run.score(nodes), Node(run.graph, run.best(nodes, "weighted")).answer
    ([0.05, 1.0, 0.05], '2')
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import dspy
import networkx as nx

from ttc_modules.aggregation import Selection, aggregate_steps, select
from ttc_modules.budget import Budget, BudgetExceeded, BudgetMeter, current_meter
from ttc_modules.call_context import current, entered, fan_out
from ttc_modules.generation import Generator
from ttc_modules.graph import (
    ROOT,
    Node,
    add_child,
    finished_nodes,
    new_graph,
    solution_steps,
    solution_tokens,
    update_node,
)
from ttc_modules.lm.cache import beside_dspy_cache
from ttc_modules.programs import Draft, ProgramGenerator
from ttc_modules.steps import split_steps
from ttc_modules.strategies.config import StrategyConfig
from ttc_modules.strategies.seeds import SeedStream, active_stream
from ttc_modules.verifiers.callable import as_verifier
from ttc_modules.verifiers.runner import VerifierRunner

NO_PROGRESS = "no progress"  # how a node's ``ended`` begins when its step added nothing (``progress.py``)


class SearchPrediction(dspy.Prediction):
    """A search's answer: the program's output fields (what ``toDict()``, ``keys()`` and DSPy see), and the
    search's ``graph``, ``spent``, ``chosen`` node, and a planner's ``plan`` and ``difficulty``, as
    attributes beside them.

    Example:
        >>> prediction = SearchPrediction(answer="4", graph=None, spent={"generations": 2}, chosen=1)
        >>> prediction.toDict(), prediction.spent["generations"], prediction.chosen
        ({'answer': '4'}, 2, 1)
    """

    # class attributes, so DSPy keeps them out of the fields (programs.fields.SEARCH_ATTRIBUTES, which no field may take)
    graph = spent = chosen = plan = difficulty = None

    def __init__(self, graph=None, spent=None, chosen=None, plan=None, difficulty=None, **fields):
        super().__init__(**fields)
        self.graph, self.spent, self.chosen, self.plan, self.difficulty = graph, spent, chosen, plan, difficulty


@dataclass
class Run:
    """The state of one call's search (see the module docstring); ``config`` is the current stage's strategy's."""

    inputs: dict
    graph: nx.DiGraph
    meter: BudgetMeter
    generator: Generator | ProgramGenerator
    runner: VerifierRunner | None
    config: StrategyConfig
    errors: list[BaseException] = field(default_factory=list, repr=False)  # what rollouts of the program raised
    _stream: SeedStream | None = field(default=None, repr=False)
    _graph_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _steps: dict[int, tuple[str, ...]] = field(default_factory=dict, repr=False)  # a node's path never changes

    @classmethod
    def start(cls, inputs: dict, config: StrategyConfig, generator: Generator | ProgramGenerator, verifier=None,
              budget: Budget | None = None, allow_oracle: bool = False) -> Run:
        """A fresh run: a graph holding the inputs, a meter nested in the one active now (so an outer
        budget limits it too), and the verifier (anything :func:`as_verifier` takes) with its scores
        cached beside DSPy's LM cache."""
        lm = generator.resolve_lm()
        runner = None if verifier is None else VerifierRunner(
            as_verifier(verifier), cache_dir=beside_dspy_cache("verifier"), allow_oracle=allow_oracle,
            fields=generator.fields)
        return cls(inputs=inputs, graph=new_graph(inputs, config.kind, config.model_dump(), config.seed),
                   meter=BudgetMeter(budget, params=getattr(lm, "params", None), parent=current_meter()),
                   generator=generator, runner=runner, config=config)

    @contextlib.contextmanager
    def stage(self, config: StrategyConfig) -> Iterator[Run]:
        """Search with ``config`` (a strategy's) and a seed stream of its seed, as a fresh run with it
        would; the previous stage's config comes back afterwards."""
        saved = self.config, self._stream
        self.config, self._stream = config, None
        try:
            yield self
        finally:
            self.config, self._stream = saved

    # ------------------------------------------------------------------ spending
    def next_seed(self) -> int:
        """A fresh seed for the next request (deterministic given the stage's seed; see :class:`SeedStream`)."""
        return self._current_stream().next_seed(self.config.seed)

    def _current_stream(self) -> SeedStream:
        if self._stream is None:
            self._stream = SeedStream(owner=self)
        return active_stream(self) or self._stream

    def affordable(self, generations: int) -> int:
        """How many of ``generations`` the budget still allows."""
        left = self.meter.remaining("generations")
        return generations if left is None else min(generations, left)

    def reserve_up_to(self, generations: int) -> int:
        """Reserve as many of ``generations`` as the budget allows and return how many (0 when none is left)."""
        count = self.affordable(generations)
        if count > 0:
            self.meter.reserve(generations=count)
        return max(count, 0)

    def parallel(self, fn, items: list) -> list:
        """``fn`` over ``items`` concurrently, in the caller's context (meter, DSPy settings).

        Each item draws its seeds from its own :class:`SeedStream` and adds its nodes to the graph only
        once the items before it have finished, so neither the requests made nor the graph's node ids
        depend on which item finishes first. An item that makes one move (``revise``, ``complete``:
        a request, then its node) loses nothing by it, the requests still run at once; an item that
        makes several moves waits, at its first node, for the items before it: run such work a round
        at a time (``extend_round``) instead.
        """
        streams = self._current_stream().fork(len(items))
        finished = [threading.Event() for _ in items]

        def item(index: int):
            try:
                with entered(seeds=streams[index], turns=(*current().turns, (self, finished, index))):
                    return fn(items[index])
            finally:
                finished[index].set()

        return fan_out(item, list(range(len(items))), self.config.concurrency)

    # ------------------------------------------------------------------ growing the graph
    def sample_solutions(self, n: int) -> list[int]:
        """``n`` whole solutions as ``answer`` nodes under the root (none for ``n`` = 0)."""
        if n < 1:
            return []
        drafts = self._reserved_drafts(n, lambda: self.generator.solutions(self.inputs, n, self.next_seed(),
                                                                           self.config.temperature))
        return [self._add_solution(ROOT, d, kind="answer", op="sample", module="generator.solve") for d in drafts]

    def revise(self, parent: int, attempts: list[int]) -> int:
        """The next attempt of a chain, under ``parent`` (the chain's last attempt, or the root), shown the
        earlier ``attempts`` (nodes, oldest first)."""
        shown = [Node(self.graph, node) for node in attempts]
        draft = self._reserved_drafts(1, lambda: self.generator.revisions(self.inputs, shown, 1, self.next_seed(),
                                                                          self.config.temperature))[0]
        return self._add_solution(parent, draft, kind="revision", op="revise" if attempts else "sample",
                                  module="generator.revise")

    def _reserved_drafts(self, reserved: int, draw) -> list[Draft]:
        """``draw()``'s drafts, ``reserved`` generations having been reserved for them: what was not
        drawn (a token or FLOPs limit held fewer samples, or refused the request) is given back."""
        try:
            drafts = draw()
        except BudgetExceeded:
            self.meter.release(generations=reserved)
            raise
        if len(drafts) < reserved:
            self.meter.release(generations=reserved - len(drafts))
        return drafts

    def extend(self, parent: int, n: int, temperature: float | None = None, op: str = "extend",
               max_tokens: int | None = None) -> list[int]:
        """``n`` candidate next steps under ``parent``, each at most ``max_tokens`` (the generator's step
        limit by default) and at most what the solution's token limit leaves: a step that reaches that
        limit ends its solution, as a whole solution sampled at once would have ended."""
        return self.extend_round([parent], n, temperature, op, max_tokens)[0]

    def extend_round(self, parents: list[int], n: int | list[int], temperature: float | None = None,
                     op: str = "extend", max_tokens: int | None = None) -> list[list[int]]:
        """:meth:`extend` of every node in ``parents`` (``n`` steps each, or ``n[i]`` under ``parents[i]``): a
        search round, in one request where the LM takes a list of prompts (``lm/prompt_lists.py``).

        The prefixes go out in as few requests as can carry them, concurrently, each with one seed of the
        stage's stream: one request holds prefixes that ask for as many steps with the same step limit,
        and a prefix repeated in the round goes in another request (with the same seed it would repeat
        its samples). The new nodes are added in the order of ``parents``, whatever the timing.
        """
        counts = n if isinstance(n, list) else [n] * len(parents)
        temperature = self.config.temperature if temperature is None else temperature
        requests = [(request, self.next_seed()) for request in self._round_requests(parents, counts, max_tokens)]

        def send(job) -> list[list[Draft]]:
            (request, seed) = job
            positions = [position for position, _ in request]
            return self.generator.extend_many(
                self.inputs, [self.solution_steps(parents[p]) for p in positions], counts[positions[0]], seed,
                temperature, request[0][1])

        drafts_at = {position: drafts for (request, _), rounds in
                     zip(requests, fan_out(send, requests, self.config.concurrency), strict=True)
                     for (position, _), drafts in zip(request, rounds, strict=True)}
        children = [[self._add_step(parent, d, op) for d in drafts_at[position]]
                    for position, parent in enumerate(parents)]
        self._write_outputs([child for position, nodes in enumerate(children)
                             for child, draft in zip(nodes, drafts_at[position], strict=True) if draft.parsed])
        return children

    def _round_requests(self, parents: list[int], counts: list[int], max_tokens: int | None) -> list[list[tuple]]:
        """The round's requests: lists of (position in ``parents``, step limit), in a fixed order."""
        seen: dict[str, int] = {}
        keyed: dict[tuple, list[tuple]] = {}
        for position, (parent, count) in enumerate(zip(parents, counts, strict=True)):
            left = self.tokens_left(parent)
            limit = min(max_tokens or self.generator.max_step_tokens, left or self.generator.max_step_tokens)
            text = self.solution_text(parent)
            repeat = seen[text] = seen.get(text, -1) + 1
            keyed.setdefault((repeat, count, limit), []).append((position, limit))
        return [keyed[key] for key in sorted(keyed)]

    def complete(self, parent: int) -> int:
        """Finish the partial solution ``parent`` in one go, within the solution's token limit: a terminal
        node holding the rest of it (and the program's output fields)."""
        draft = self.generator.completions(self.inputs, self.solution_steps(parent), 1, self.next_seed(),
                                           self.config.temperature, max_tokens=self.tokens_left(parent))[0]
        text = self.solution_text(parent) + self.generator.step_delimiter + draft.text
        return self._add_child(parent, kind="step", text=draft.text, op="extend", module="generator.extend",
                               rollout_id=draft.rollout_id, tokens=draft.tokens, terminal=True,
                               answer=self.generator.answer_of(text, draft), outputs=draft.outputs,
                               steps=self._step_count(draft.text))

    def tokens_left(self, node: int) -> int | None:
        """Completion tokens the solution ``node`` stands for may still grow by (at least 1; None where the
        generator sets no limit on a whole solution)."""
        limit = self.generator.max_solution_tokens
        return max(1, limit - solution_tokens(self.graph, node)) if limit else None

    def _add_solution(self, parent: int, draft: Draft, kind: str, op: str, module: str) -> int:
        if draft.error is not None:
            self.errors.append(draft.error)
        return self._add_child(parent, kind=kind, text=draft.text, op=op, module=module,
                               rollout_id=draft.rollout_id, tokens=draft.tokens, terminal=True,
                               answer=self.generator.answer_of(draft.text, draft), outputs=draft.outputs,
                               steps=self._step_count(draft.text))

    def _add_step(self, parent: int, draft: Draft, op: str) -> int:
        ended = self._why_ended(parent, draft)
        stalled = ended is not None and ended.startswith(NO_PROGRESS)  # the answer is read from before the step
        text = self.solution_text(parent) + ("" if stalled else "\n\n" + draft.text)
        answer = self.generator.answer_of(text, draft) if ended else None
        return self._add_child(parent, kind="step", text=draft.text, op=op, module="generator.extend",
                               rollout_id=draft.rollout_id, tokens=draft.tokens, terminal=ended is not None,
                               answer=answer, outputs=draft.outputs, ended=ended)

    def _why_ended(self, parent: int, draft: Draft) -> str | None:
        """Why the solution ends at the step ``draft`` under ``parent`` (the node's ``ended``), or None."""
        limit = self.generator.max_solution_tokens
        reasons = ((not draft.parsed, "unreadable"), (not draft.text, "empty step"), (draft.final, "answer"),
                   (draft.ended, "end of text"), (Node(self.graph, parent).depth + 1 >= self.config.max_depth,
                                                  "max depth"),
                   (bool(limit) and solution_tokens(self.graph, parent) + draft.tokens >= limit, "token limit"))
        reason = next((why for happened, why in reasons if happened), None)
        if reason is None:
            stalled = self.generator.no_progress(self.inputs, self.solution_steps(parent), draft.text)
            reason = f"{NO_PROGRESS}: {stalled}" if stalled else None
        return reason

    def _write_outputs(self, nodes: list[int]) -> None:
        """A user's program writes its output fields where its reasoning ended (``generator.finish``), for the
        finished steps among ``nodes`` (steps that were read) that have none yet; concurrent. (The math
        program's answer is read from its text.)"""
        if not self.generator.writes_outputs:
            return
        ended = [n for n in nodes if Node(self.graph, n).terminal and Node(self.graph, n).outputs is None]
        drafts = self.parallel(lambda node: self.generator.finish(self.inputs, self.solution_steps(node),
                                                                  self.next_seed(), self.config.temperature), ended)
        for node, draft in zip(ended, drafts, strict=True):
            update_node(self.graph, node, outputs=draft.outputs, answer=self.generator.answer_of("", draft),
                        tokens=Node(self.graph, node).tokens + draft.tokens)

    def _add_child(self, parent: int, **attributes) -> int:
        for run, finished, index in current().turns:  # a parallel item's turn: after the items before it
            if run is self:
                for earlier in finished[:index]:
                    earlier.wait()
        with self._graph_lock:  # parallel items grow the same graph; node ids must stay unique
            return add_child(self.graph, parent, **attributes)

    def _step_count(self, text: str) -> int:
        delimiter = self.generator.solution_delimiter
        return max(1, len(split_steps(text, delimiter))) if delimiter else 1

    # ------------------------------------------------------------------ reading the graph
    def solutions(self) -> list[int]:
        """The whole solutions sampled on this run so far (answer nodes under the root), oldest first."""
        return sorted(n for n in self.graph.successors(ROOT) if Node(self.graph, n).kind == "answer")

    def finished(self) -> list[int]:
        """Every node where a solution with an answer ends, oldest first."""
        return finished_nodes(self.graph)

    def solution_steps(self, node: int) -> list[str]:
        """The steps of the partial solution ``node`` stands for (read once per node: the graph only grows)."""
        if node not in self._steps:
            self._steps[node] = tuple(solution_steps(self.graph, node, self.generator.solution_delimiter))
        return list(self._steps[node])

    def solution_text(self, node: int) -> str:
        return self.generator.step_delimiter.join(self.solution_steps(node))

    # ------------------------------------------------------------------ scoring and choosing
    def score(self, nodes: list[int]) -> list[float]:
        """Verifier scores for ``nodes``, stored on them with what scoring cost in tokens; concurrent (in this
        thread for an ``inline`` verifier, such as the arithmetic checker).

        A node is scored once per run: nodes scored before (e.g. a planner's probes) keep their scores
        and are not reserved again. A failed candidate of a user's program (it raised, or could not be
        read) scores 0 without asking the verifier. Needs a verifier.
        """
        if self.runner is None:
            raise ValueError("this strategy needs a verifier; pass verifier=ArithmeticChecker() or another")
        for node in nodes:
            if self.generator.failed(Node(self.graph, node)) and not Node(self.graph, node).step_scores:
                update_node(self.graph, node, step_scores=[0.0], score=0.0)
        new = [n for n in nodes if not Node(self.graph, n).step_scores]
        results = [self._score_steps(n) for n in new] if self.runner.inline else self.parallel(self._score_steps, new)
        for node, (step_scores, tokens) in zip(new, results, strict=True):
            update_node(self.graph, node, step_scores=step_scores, verifier_tokens=tokens,
                        score=aggregate_steps(step_scores, self.config.aggregation))
        return [Node(self.graph, n).score for n in nodes]

    def _score_steps(self, node: int) -> tuple[list[float], int]:
        """One solution's step scores, and the tokens the verifier spent on them (cache hits included)."""
        if self.runner.inline:  # spends no tokens
            return self.runner.score(self.inputs, self.solution_steps(node) or [""],
                                     outputs=Node(self.graph, node).outputs), 0
        meter = BudgetMeter(parent=self.meter)  # this solution's share; the run's meter counts it too
        with meter.active():
            step_scores = self.runner.score(self.inputs, self.solution_steps(node) or [""],
                                            outputs=Node(self.graph, node).outputs)
        return step_scores, meter.spent()["tokens"]

    def best(self, nodes: list[int], how: Selection) -> int | None:
        """The chosen node among ``nodes``: ``weighted``, ``majority`` or ``naive`` selection, answers grouped
        by the program's equivalence."""
        answers = [Node(self.graph, n).answer for n in nodes]
        scores = [Node(self.graph, n).score or 0.0 for n in nodes]
        index = select(answers, scores, how, groups=self.generator.equivalence.groups)
        return None if index is None else nodes[index]

    def best_finished(self) -> int | None:
        """The best answer so far, spending nothing: weighted over the finished solutions when all of them
        are scored, else majority."""
        finished = self.finished()
        scored = bool(finished) and all(Node(self.graph, n).score is not None for n in finished)
        return self.best(finished, "weighted" if scored else "majority")

    def top(self, nodes: list[int], k: int, distinct: bool = False) -> list[int]:
        """The ``k`` best-scored nodes (ties keep creation order).

        ``distinct`` prefers nodes whose partial solutions differ, filling up with repeats only when
        there are fewer than ``k`` different ones (as search-and-learn's duplicate filter does).
        """
        ranked = sorted(nodes, key=lambda n: -(Node(self.graph, n).score or 0.0))
        if not distinct:
            return ranked[:k]
        first, seen = [], set()
        for node in ranked:
            text = self.solution_text(node)
            if text not in seen:
                seen.add(text)
                first.append(node)
        return (first + [n for n in ranked if n not in first])[:k]

    # ------------------------------------------------------------------ the answer
    def prediction(self, chosen: int | None, **extra) -> SearchPrediction:
        """The call's answer: the program's output fields as the chosen candidate holds them (for the math
        program: ``answer`` and ``reasoning``, the chosen solution), with ``graph``, ``spent``, ``chosen``
        (its node) and ``extra`` (a plan, a difficulty) beside them (:class:`SearchPrediction`)."""
        self.graph.graph["chosen"] = chosen
        node = Node(self.graph, chosen) if chosen is not None else None
        fields = self.generator.prediction_fields(node, self.solution_text(chosen) if chosen is not None else "")
        return SearchPrediction(graph=self.graph, spent=self.meter.spent(), chosen=chosen, **extra, **fields)
