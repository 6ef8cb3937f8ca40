"""The evaluation harness: accuracy against test-time compute, per strategy, budget and difficulty bin.

What is evaluated is a program and its metric (``program_under_test.py``): by default the math
word-problem program, graded by :func:`~ttc_modules.evaluation.grade`; or the user's program
(``program=``, ``metric=``), on examples in its fields.

Parallel strategies come from the sample bank (drawn once at N_max = the largest budget, then
subsampled for every budget): ``majority``, ``weighted``, ``naive`` and ``pass`` (pass@k, the
oracle upper bound), and ``beta`` and ``window`` (majority voting that stops once the vote is
settled, the budget its cap, rows with the samples drawn); ``best_of_n`` means ``weighted`` with a
verifier and ``majority`` without.
Search strategies (``beam_search``, ``lookahead``, ``dvts``, ``revisions``, and any registered kind)
cannot be replayed and run once per question and budget, every LM call cached. So do
:class:`Program` objects given by name (``programs=``): whole programs built for each budget, such
as the planner's compute-optimal policy (``planners.adaptive.compute_optimal_program``).

Outputs in the output directory: ``results.jsonl`` (one row per question x strategy x budget),
``summary.json`` (accuracy with a 95% bootstrap interval per strategy, budget and bin, with
tokens and FLOPs; plus ``backend_calls``, ``cache_hits``, ``tokens`` and ``wall_seconds`` of this
invocation) and plots (``plots.py``). Rerunning the same command resumes: finished rows are kept,
banked questions are read from disk, and LM calls come from the cache; a rerun of a finished
evaluation makes no backend call. Rows are reused only when made the same way (backend, sampling
settings, verifier, seed, strategy options, policy: ``results.py``), and the summary covers
exactly this invocation's questions, strategies and budgets. Several evaluations may write one
output directory at once: they share the work (``claims.py``), and no row is written twice.

Example:
    >>> from ttc_modules.evaluation.datasets import load_synthetic
    >>> from ttc_modules.testing import scripted_lm
    >>> from ttc_modules.verifiers import ArithmeticChecker
    >>> import tempfile
    >>> lm = scripted_lm(lambda p, s: f"The answer is {s % 3}.")
    >>> summary = Evaluation(load_synthetic(2, levels=[1]), lm, ArithmeticChecker(), ["majority"], [1, 2],
    ...                      tempfile.mkdtemp(), progress=False).run()
    >>> sorted(summary["accuracy"]["majority"])
    ['1', '2']
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import dspy

from ttc_modules.evaluation.bins import quantile_bins
from ttc_modules.evaluation.claims import Claims, do_once
from ttc_modules.evaluation.curves import BANK_STRATEGIES, bank_accuracy, expected_tokens
from ttc_modules.evaluation.datasets import identified
from ttc_modules.evaluation.program_under_test import ProgramUnderTest
from ttc_modules.evaluation.progress import progress_bar
from ttc_modules.evaluation.report import summarise
from ttc_modules.evaluation.results import ResultsLog, fingerprint
from ttc_modules.evaluation.sample_bank import SampleBank
from ttc_modules.evaluation.workers import RayWorkers, Threads
from ttc_modules.strategies.registry import (
    STRATEGIES,
    accepted_options,
    build_strategy,
    needs_verifier,
    options_for_budget,
)


@dataclass(frozen=True)
class Program:
    """A program evaluated under a name of its own, beside the strategies.

    Attributes:
        at_budget: ``budget -> callable(**inputs) -> dspy.Prediction``: the program at a budget.
        identity: what its rows depend on besides the model and verifier (e.g. its policy), so that
            another program under the same name does not reuse them.
        budgets: the budgets it is evaluated at (None: every budget of the evaluation).
        resumed: called, before a budget's remaining questions run, with the rows already logged at that
            budget (a rerun resuming): a program whose calls share state (a mean budget) counts them in.
    """

    at_budget: Callable[[int], Callable[..., dspy.Prediction]]
    identity: dict
    budgets: tuple[int, ...] | None = None
    resumed: Callable[[int, list[dict]], None] | None = None


def strategy_needs_verifier(name: str) -> bool:
    """Whether the strategy ``name`` (as :func:`check_strategies` takes it) needs a verifier in its
    default form: weighted and naive selection and step-level search do, majority, pass@k and
    majority-voted revisions do not; ``best_of_n`` is weighted best-of-N when there is a verifier.

    Example:
        >>> [strategy_needs_verifier(name) for name in ("majority", "best_of_n", "beam_search", "revisions")]
        [False, True, True, False]
    """
    if name in (*BANK_STRATEGIES, "best_of_n"):
        return name in ("weighted", "naive", "best_of_n")
    return name in STRATEGIES and needs_verifier(options_for_budget(name, 1))  # check_strategies names the rest


def check_strategies(names: list[str], verifier, programs: Mapping[str, Program] | None = None) -> list[str]:
    """The strategy names, with ``best_of_n`` resolved and each name once, or a clear error for an unknown one.

    Example:
        >>> check_strategies(["majority", "best_of_n", "weighted"], verifier=lambda inputs, steps: 1.0)
        ['majority', 'weighted']
    """
    resolved = []
    for name in names:
        if name == "best_of_n":
            name = "weighted" if verifier is not None else "majority"
        if name not in BANK_STRATEGIES and name not in STRATEGIES and name not in (programs or {}):
            known = ", ".join([*BANK_STRATEGIES, "best_of_n", *sorted(k for k in STRATEGIES if k != "best_of_n"),
                               *(programs or {})])
            raise ValueError(f"unknown strategy '{name}'; use some of: {known}")
        if name in ("weighted", "naive") and verifier is None:
            raise ValueError(f"'{name}' needs a verifier; pass --verifier arithmetic (or another), or use majority")
        if name not in resolved:  # best_of_n and the selection it stands for are one row, not two
            resolved.append(name)
    return resolved


class Evaluation:
    """One evaluation run (see the module docstring).

    Args:
        examples: ``dspy.Example`` objects with ``id``, ``question``, ``answer`` (and ``level``); for a program
            of the user's, its input fields and the labels its metric reads (and ``level``).
        lm: the model under evaluation.
        verifier: the verifier for weighted/naive selection and step-level search (None for none).
        strategies: names (see :func:`check_strategies`).
        budgets: generation budgets, e.g. [1, 2, 4, 8, 16].
        out_dir: where results, summary and plots go.
        bins: number of oracle bins when the data has no ``level``.
        search_options: extra options for search strategies (e.g. ``{"max_rounds": 8}``); each strategy
            takes those its config has and ignores the rest.
        programs: more :class:`Program` objects to evaluate, by the name ``strategies`` gives them.
        workers: questions worked on at once (their requests share the backend's batch; on the embedded
            model a sample can depend on what shares its batch, so 1 is what reproduces a figure exactly),
            or a pool from ``workers.py`` (:class:`~ttc_modules.evaluation.workers.RayWorkers`: Ray tasks).
        program: the program to evaluate (a signature or a ``dspy.Module``; None: the math word-problem program).
        metric: ``metric(example, pred, trace=None)`` grading the program's answers (needed with ``program``).
    """

    def __init__(self, examples: list, lm, verifier, strategies: list[str], budgets: list[int], out_dir,
                 seed: int = 0, bins: int = 5, progress: bool = True, search_options: dict | None = None,
                 programs: Mapping[str, Program] | None = None, workers: int | Threads | RayWorkers = 4,
                 program=None, metric=None):
        if not examples:
            raise ValueError("no examples to evaluate; check the data set and --limit")
        if not budgets or min(budgets) < 1:
            raise ValueError(f"budgets must be positive integers, got {budgets}")
        self.subject = ProgramUnderTest(program, metric)
        inputs = tuple(self.subject.fields.inputs) if program is not None else None
        self.examples, self.lm, self.verifier = identified(examples, inputs), lm, verifier
        self._examples_by_id = {example.id: example for example in self.examples}
        self.programs = dict(programs or {})
        self.strategies = check_strategies(strategies, verifier, self.programs)
        self.budgets, self.out_dir, self.seed, self.bins = sorted(set(budgets)), Path(out_dir), seed, bins
        self.progress, self.search_options = progress, dict(search_options or {})
        self.log = ResultsLog(self.out_dir / "results.jsonl")
        self.rows: list[dict] = []  # this invocation's rows, reused or new
        self.bank = SampleBank(self.out_dir, lm, verifier, n_max=max(self.budgets), seed=seed, subject=self.subject)
        self.claims = Claims(self.out_dir)  # shared with other processes writing this directory
        self.spent = {"backend_calls": 0, "cache_hits": 0, "tokens": 0, "unparsed": 0, "bank_hits": 0}
        self.workers = workers

    # ------------------------------------------------------------------ the run
    def run(self) -> dict:
        started = time.perf_counter()
        bank_names = [s for s in self.strategies if s in BANK_STRATEGIES]
        search_names = [s for s in self.strategies if s not in BANK_STRATEGIES]
        needs_bank = bool(bank_names) or not self._has_levels()
        with self._progress_bar(needs_bank, search_names) as advance:
            entries = self._bank_phase(advance) if needs_bank else {}
            bins = self._bins(entries)
            self._bank_rows(entries, bank_names, bins)
            self._search_rows(search_names, bins, advance)
        self.spent["wall_seconds"] = round(time.perf_counter() - started, 2)
        return summarise(self.rows, self.strategies, self.budgets, self.spent, self.out_dir,
                         bins_from="level" if self._has_levels() else f"oracle ({self.bins} pass@1 quantiles)")

    def _has_levels(self) -> bool:
        return all(getattr(e, "level", None) is not None for e in self.examples)

    def _bank_phase(self, advance) -> dict:
        """Every question's bank entry; drawn here unless banked before (or by a process sharing the directory)."""
        drawn = do_once(self.examples, self.claims, is_done=self.bank.has, do=self._draw,
                        finished=lambda example: advance(f"bank {example.id}"), workers=self.workers)
        for _, spent in drawn:
            self._count(spent)
        self.spent["bank_hits"] += len(self.examples) - len(drawn)
        return {example.id: self.bank.draw(example) for example in self.examples}  # all banked now: from disk

    def _draw(self, example) -> dict:
        """Bank ``example``'s samples; what that spent."""
        return self.bank.draw(example)["spent"]

    def _bins(self, entries: dict) -> dict:
        if self._has_levels():
            return {e.id: int(e.level) for e in self.examples}
        pass_at_1 = {i: sum(s["correct"] for s in e["samples"]) / len(e["samples"]) for i, e in entries.items()}
        return quantile_bins(pass_at_1, self.bins)

    def _bank_rows(self, entries: dict, names: list[str], bins: dict) -> None:
        params = getattr(self.lm, "params", None) or 0
        config = fingerprint(self.bank.identity())
        for example in self.examples if names else []:
            entry = entries[example.id]
            for budget in self.budgets:
                for name in names:
                    key = (example.id, name, budget, config)
                    if not self.log.done(key):
                        correct, drawn = bank_accuracy(entry["samples"], budget, name, seed=self.seed,
                                                       groups=self.subject.fields.equivalence.groups)
                        tokens = expected_tokens(entry, drawn)
                        self.log.append({"id": example.id, "bin": bins[example.id], "strategy": name,
                                         "budget": budget, "config": config, "correct": correct, "tokens": tokens,
                                         "flops": 2 * params * tokens, "generations": drawn, "source": "bank"})
                    self.rows.append(self.log.get(key))

    def _search_rows(self, names: list[str], bins: dict, advance) -> None:
        for name in names:
            for budget in self._budgets_of(name):
                strategy, made_with = self._strategy(name, budget)
                config = fingerprint({**self.bank.identity(samples=False), **made_with})
                keys = [(example.id, name, budget, config) for example in self.examples]
                self._resume(name, budget, keys)
                done = do_once(keys, self.claims, is_done=self.log.done,
                               do=functools.partial(self._search_row, strategy, bins),
                               finished=lambda key: advance(f"{key[1]}@{key[2]} {key[0]}"), workers=self.workers)
                for _, spent in done:
                    self._count(spent)
                self.rows.extend(self.log.get(key) for key in keys)

    def _budgets_of(self, name: str) -> list[int]:
        """The budgets ``name`` is evaluated at: a program's own, else the evaluation's."""
        own = self.programs[name].budgets if name in self.programs else None
        return self.budgets if own is None else [b for b in self.budgets if b in own]

    def _resume(self, name: str, budget: int, keys: list[tuple]) -> None:
        """Hand a program that wants them the rows a previous run of this evaluation logged for ``keys``."""
        program = self.programs.get(name)
        if program is not None and program.resumed is not None:
            program.resumed(budget, [self.log.get(key) for key in keys if self.log.done(key)])

    def _strategy(self, name: str, budget: int) -> tuple:
        """The callable for ``name`` at ``budget``, and what its rows depend on (its options, or a program's identity)."""
        if name in self.programs:
            return self.programs[name].at_budget(budget), self.programs[name].identity
        given = accepted_options(name, self.search_options)
        if name == "revisions" and self.verifier is not None:
            given.setdefault("selection", "weighted")  # the paper's verifier route
        strategy = build_strategy(options_for_budget(name, budget, seed=self.seed, **given), lm=self.lm,
                                  verifier=self.verifier, program=self.subject.program)
        return strategy, {"options": strategy.config.model_dump()}

    def _search_row(self, strategy, bins: dict, key: tuple) -> dict:
        """Run ``strategy`` on the question of ``key`` = (id, name, budget, config) and log its row; what that spent."""
        example = self._examples_by_id[key[0]]
        prediction = strategy(**self.subject.inputs(example))
        spent = prediction.spent
        self.log.append({"id": example.id, "bin": bins[example.id], "strategy": key[1], "budget": key[2],
                         "config": key[3], "correct": self.subject.grade(example, prediction),
                         "answer": prediction.get(self.subject.fields.answer), "tokens": spent["tokens"],
                         "flops": spent["flops"],
                         "generations": spent["generations"], "unparsed": spent["unparsed"], "source": "search"})
        return {**spent, "backend_calls": spent["lm_calls"] - spent["cache_hits"]}

    def _count(self, spent: dict) -> None:
        for key in ("backend_calls", "cache_hits", "tokens", "unparsed"):
            self.spent[key] += spent.get(key, 0)  # bank entries from before "unparsed" was counted lack it

    def _progress_bar(self, needs_bank: bool, search_names: list[str]):
        total = len(self.examples) * (int(needs_bank) + sum(len(self._budgets_of(name)) for name in search_names))
        return progress_bar(total, enabled=self.progress)
