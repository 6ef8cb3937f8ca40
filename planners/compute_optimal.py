"""The compute-optimal planner (the paper's §3): per difficulty bin and budget, the best strategy.

``compile(program, trainset=..., metric=...)`` works like a DSPy optimizer (a teleprompter: the
program first) and returns an ``AdaptiveTTC`` over the program with the fitted policy; ``fit`` returns
the fitted planner itself. Without a program it fits the math word-problem program, graded by the
math grade; with one, every plan (best-of-N included) is graded by the user's metric on the
program's fields (``ttc_modules.evaluation.program_under_test``):

1. draw a sample bank for every training question (N_max = the largest budget), and measure each
   question's difficulty with the estimator (from the bank's probes, as inference would); fit the
   estimator's quantile edges and bin the questions;
2. score every plan of the search space (``search_space.py``) at every budget on every
   question: best-of-N plans from the bank, the others by running them (every LM call cached,
   rows kept in ``work_dir`` so a fit resumes). A cell's budget includes the estimator's probes, as
   at inference: best-of-N reuses them as its first samples, any other plan is sized for the
   generations the probes leave (so at a budget no larger than the probes, only best-of-N);
3. per (bin, budget), choose the plan with the best mean accuracy (on a tie, weighted
   best-of-N, the baseline, stays), and report 2-fold cross-validated accuracy inside the bin
   (choose on one half, score on the other, both ways) next to weighted best-of-N at the same
   budget. With ``rule="guarded"`` the argmax replaces the baseline only when that
   cross-validated accuracy beats the baseline's: with few questions per bin the argmax is often
   a lucky draw (the winner's curse), and the guard keeps best-of-N where choosing does not
   pay out of sample.

The fitted policy saves as JSON with its metadata and loads back identically.

Example:
    >>> planner = ComputeOptimalPlanner(budgets=[4, 16], bins=3, kinds=["best_of_n", "beam_search"])
    >>> planner.budgets, planner.bins, sorted({plan.kind for plan in planner.cell_plans(16)})
    ([4, 16], 3, ['beam_search', 'best_of_n'])
"""

from __future__ import annotations

import copy
import functools
import json
import random
import statistics
import tempfile
from collections import defaultdict
from pathlib import Path

from planners.adaptive import AdaptiveTTC
from planners.difficulty import VerifierDifficulty, estimator_from_state
from planners.mean_budget import allocate
from planners.plan import Plan
from planners.search_space import cell_plans, of_kinds, plans
from ttc_modules.evaluation.claims import Claims, do_once
from ttc_modules.evaluation.curves import expected_accuracy
from ttc_modules.evaluation.datasets import dataset_hash, identified
from ttc_modules.evaluation.program_under_test import ProgramUnderTest
from ttc_modules.evaluation.progress import progress_bar
from ttc_modules.evaluation.results import ResultsLog, fingerprint
from ttc_modules.evaluation.sample_bank import SampleBank, verifier_id
from ttc_modules.evaluation.workers import RayWorkers, Threads
from ttc_modules.lm.build import resolve_lm
from ttc_modules.programs import ProgramError
from ttc_modules.strategies.registry import STRATEGIES, needs_verifier
from ttc_modules.verifiers.callable import as_verifier

POLICY_VERSION = 1
RULES = ("argmax", "guarded")


class ComputeOptimalPlanner:
    """Fits and holds a (bin, budget) -> :class:`Plan` policy (see the module docstring)."""

    def __init__(self, budgets: list[int], estimator=None, bins: int = 5, search_space=plans, seed: int = 0,
                 work_dir: str | Path | None = None, plan_options: dict | None = None, rule: str = "argmax",
                 workers: int | Threads | RayWorkers = 4, kinds: list[str] | None = None):
        if not budgets or min(budgets) < 1:
            raise ValueError(f"budgets must be positive integers, got {budgets}")
        if rule not in RULES:
            raise ValueError(f"unknown rule {rule!r}; use argmax (the paper's) or guarded (argmax only where it "
                             "beats weighted best-of-N under cross-validation)")
        self.rule = rule
        self.budgets, self.bins, self.seed = sorted(set(budgets)), bins, seed
        self.estimator = estimator or VerifierDifficulty(probes=min(4, min(budgets)))
        self.search_space = of_kinds(kinds, search_space) if kinds else search_space  # kinds: some strategies only
        self.kinds = list(kinds or [])
        self.work_dir = work_dir
        self.plan_options = dict(plan_options or {})  # e.g. {"max_rounds": 8}, for the plans that take it
        self.workers = workers  # questions fitted on at once, or a pool of Ray tasks; the policy does not depend on it
        self.policy: dict[tuple[int, int], Plan] = {}
        self.report: dict = {}
        self.metadata: dict = {}

    # ------------------------------------------------------------------ fitting
    def compile(self, program=None, *, trainset: list, metric=None, verifier=None, lm=None,
                progress: bool = True) -> AdaptiveTTC:
        """``AdaptiveTTC`` over ``program`` (None: the math word-problem program) with a policy fitted on
        ``trainset`` (examples in the program's fields), every plan graded by ``metric(example, pred,
        trace=None)`` (needed with a program); ``progress`` shows a bar with ETA."""
        fitted = self.fit(trainset, program=program, metric=metric, verifier=verifier, lm=lm, progress=progress)
        return AdaptiveTTC(fitted, program, verifier=verifier, lm=lm, seed=self.seed)

    def fit(self, trainset: list, program=None, metric=None, verifier=None, lm=None, progress: bool = True
            ) -> ComputeOptimalPlanner:
        """A fitted copy of this planner (this one is left as it was); the arguments are :meth:`compile`'s."""
        verifier = as_verifier(verifier) if verifier is not None else None
        if verifier is None and self.estimator.needs_verifier:
            raise ValueError(f"the {self.estimator.kind} difficulty estimate scores its probes with a verifier, and "
                             "none was given; pass one (ttc calibrate --verifier arithmetic, or yours), or estimate "
                             "difficulty without one (--estimator lm_rated)")
        subject = ProgramUnderTest(program, metric)
        trainset = identified(trainset, tuple(subject.fields.inputs) if program is not None else None)
        fitted = copy.copy(self)
        fitted.search_space = self._space_for(subject)
        fitted.estimator = copy.deepcopy(self.estimator)
        lm = resolve_lm(lm)
        work = Path(self.work_dir or tempfile.mkdtemp(prefix="ttc-planner-"))
        bank = SampleBank(work, lm, verifier, n_max=max(self.budgets), seed=self.seed, subject=subject)
        steps = len(trainset) * (1 + sum(len(fitted.cell_plans(b)) for b in self.budgets))
        with progress_bar(steps, enabled=progress, title="calibrating") as advance:
            claims = Claims(work)  # shared with other processes calibrating in this work directory
            do_once(trainset, claims, is_done=bank.has, do=bank.draw,
                    finished=lambda example: advance(f"bank {example.id}"), workers=self.workers)
            entries = {example.id: bank.draw(example) for example in trainset}  # all banked now: read from disk
            values = {example.id: fitted.estimator.calibration_value(entries[example.id], example, lm)
                      for example in trainset}
            fitted.estimator.fit(list(values.values()), self.bins)
            bins = {i: fitted.estimator.bin(v) for i, v in values.items()}
            scores = fitted._score_plans(trainset, entries, ResultsLog(work / "planner.jsonl"), claims, bank,
                                         verifier, subject, advance)
        fitted._choose(scores, bins)
        fitted.metadata = {"model": lm.model, "verifier": verifier_id(verifier), "dataset_hash": dataset_hash(trainset),
                           "questions": len(trainset), "seed": self.seed, **subject.identity()}
        return fitted

    def _space_for(self, subject: ProgramUnderTest):
        """The search space for ``subject``'s program: step-level plans only for a program that reasons in
        text (a one-predictor program with a ``reasoning`` output); asked for by name on any other, one line."""
        fields = subject.fields
        if fields.reasoning is not None and fields.signature is not None:
            return self.search_space
        refused = sorted(kind for kind in self.kinds if STRATEGIES[kind].steps)
        if refused:
            raise ProgramError(f"{', '.join(refused)} grow a program's text reasoning step by step, and "
                               f"{fields.name} has none; calibrate it with best_of_n and revisions, or search a "
                               "dspy.ChainOfThought")
        return lambda budget: [plan for plan in self.search_space(budget) if not STRATEGIES[plan.kind].steps]

    def _score_plans(self, trainset, entries, log: ResultsLog, claims: Claims, bank: SampleBank, verifier,
                     subject: ProgramUnderTest, advance) -> dict:
        """{(question id, plan label, budget): accuracy}; rows of the work dir are reused only when made
        with the same backend, verifier, seed, program and metric."""
        scores = {}
        metric_name = subject.metric_name
        by_id = {example.id: example for example in trainset}
        for budget in self.budgets:
            for plan in self.cell_plans(budget):
                config = fingerprint({**bank.identity(samples=plan.kind == "best_of_n"), "metric": metric_name})
                keys = [(example.id, plan.label, budget, config) for example in trainset]
                score = functools.partial(self._score_and_log, plan, by_id, entries, log, bank.lm, verifier, subject)
                do_once(keys, claims, is_done=log.done, do=score,
                        finished=lambda key: advance(f"{key[1]}@{key[2]} {key[0]}"), workers=self.workers)
                scores.update({key[:3]: log.get(key)["correct"] for key in keys})
        return scores

    def _score_and_log(self, plan: Plan, by_id: dict, entries: dict, log: ResultsLog, lm, verifier,
                       subject: ProgramUnderTest, key: tuple) -> None:
        example = by_id[key[0]]
        value = self._accuracy(plan, example, entries[example.id], lm, verifier, subject)
        log.append({"id": example.id, "strategy": key[1], "budget": key[2], "config": key[3], "correct": value})

    def cell_plans(self, budget: int) -> list[Plan]:
        """The plans compared in a cell of ``budget`` generations, the estimator's probes included
        (:func:`~planners.search_space.cell_plans`)."""
        return cell_plans(self.search_space, budget, self.estimator.probes, self.plan_options)

    def _accuracy(self, plan: Plan, example, entry: dict, lm, verifier, subject: ProgramUnderTest) -> float:
        if plan.kind == "best_of_n":
            return expected_accuracy(entry["samples"], plan.options["n"], plan.options["selection"], seed=self.seed,
                                     groups=subject.fields.equivalence.groups)
        strategy = plan.build(program=subject.program, lm=lm, verifier=verifier, seed=self.seed)
        return subject.grade(example, strategy(**subject.inputs(example)))

    def _choose(self, scores: dict, bins: dict) -> None:
        by_cell: dict[tuple[int, int], dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
        by_label = {p.label: p for b in self.budgets for p in self.cell_plans(b)}
        for (question, label, budget), value in scores.items():
            by_cell[(bins[question], budget)][label][question] = value
        self.policy, self.report = {}, {}
        for (bin_, budget), table in sorted(by_cell.items()):
            table = _baseline_first(table, budget)  # so that a tie keeps weighted best-of-N
            report = self._cell_report(table, budget)
            self.policy[(bin_, budget)] = by_label[report["chosen"]].model_copy(update={"bin": bin_, "budget": budget})
            self.report[_cell_name(bin_, budget)] = report

    def _cell_report(self, table: dict, budget: int) -> dict:
        """The cell's choice under the planner's rule, with what it was chosen on."""
        questions = sorted(next(iter(table.values())))
        baseline = baseline_label(budget)
        best = _argmax(table, questions)
        cv_accuracy = cross_validated(table, questions, self.seed)
        baseline_accuracy = statistics.fmean(table[baseline].values()) if baseline in table else None
        guarded = self.rule == "guarded" and baseline_accuracy is not None and not cv_accuracy > baseline_accuracy
        chosen = baseline if guarded else best
        return {"chosen": chosen, "argmax": best, "rule": self.rule, "n": len(questions),
                "train_accuracy": statistics.fmean(table[chosen].values()), "cv_accuracy": cv_accuracy,
                "baseline_accuracy": baseline_accuracy,
                "accuracies": {label: statistics.fmean(values.values()) for label, values in table.items()}}

    # ------------------------------------------------------------------ using the policy
    def needs_verifier(self) -> bool:
        """Whether following this policy needs a verifier: for the difficulty estimate or for a plan."""
        return self.estimator.needs_verifier or any(
            needs_verifier({"kind": plan.kind, **plan.options}) for plan in self.policy.values())

    def cells(self) -> list[tuple[int, int, dict]]:
        """The fitted cells in order, as ``(bin, budget, report)``: what was chosen and on what evidence."""
        return [(*_cell_key(name), cell) for name, cell in sorted(self.report.items(), key=lambda kv: _cell_key(kv[0]))]

    def plan(self, bin_: int, budget: int) -> Plan:
        """The plan for a prompt in ``bin_`` with ``budget`` generations left: the fitted cell with the
        largest budget that fits (the nearest fitted bin if ``bin_`` was never seen)."""
        fitted = self.fitted_budget(budget)
        cells = [key for key in self.policy if key[1] == fitted]
        nearest = min(cells, key=lambda key: (abs(key[0] - bin_), key[0]))
        return self.policy[nearest]

    def fitted_budget(self, budget: int) -> int:
        """The largest fitted budget within ``budget``, or a clear error (checked before any probe is drawn)."""
        if not self.policy:
            raise ValueError("this planner is not fitted; call fit(trainset, ...) or load a policy file")
        fitting = [b for b in self.budgets if b <= budget]
        if not fitting:
            raise ValueError(f"budget {budget} is below the smallest fitted budget {self.budgets[0]}; "
                             f"give at least {self.budgets[0]} generations")
        return max(fitting)

    # ------------------------------------------------------------------ saving
    def state(self) -> dict:
        """The fitted policy and its metadata, JSON-ready (what :meth:`save` writes)."""
        return {"version": POLICY_VERSION, "budgets": self.budgets, "bins": self.bins, "seed": self.seed,
                "plan_options": self.plan_options, "rule": self.rule,
                "estimator": self.estimator.state(), "metadata": self.metadata, "report": self.report,
                "policy": {_cell_name(b, n): plan.model_dump() for (b, n), plan in self.policy.items()},
                "mean_budget_allocations": self.allocations()}

    def allocations(self) -> dict[str, dict[str, int]]:
        """For a mean budget equal to each fitted budget, the budget each bin gets (``planners/mean_budget.py``):
        recorded in the policy file for its readers (a call with another mean allocates from the report)."""
        if not self.report:
            return {}
        return {str(mean): {str(bin_): budget for bin_, budget in allocate(self.cells(), mean).items()}
                for mean in self.budgets}

    def save(self, path: str | Path) -> None:
        """Write the fitted policy and its metadata as JSON."""
        Path(path).write_text(json.dumps(self.state(), indent=1, sort_keys=True))

    @classmethod
    def from_state(cls, data: dict) -> ComputeOptimalPlanner:
        """A planner back from :meth:`state` (refused in one line where it plans with a strategy not registered)."""
        unknown = _unregistered_kinds(data)
        if unknown:
            raise UnregisteredStrategy(f"plans with the strategy {', '.join(unknown)}, which is not registered; list "
                                       "its class under strategies in the config (module:Class), or "
                                       "register_strategy it first")
        planner = cls(budgets=data["budgets"], estimator=estimator_from_state(data["estimator"]), bins=data["bins"],
                      seed=data["seed"], plan_options=data.get("plan_options"), rule=data.get("rule", "argmax"))
        planner.policy = {_cell_key(key): Plan(**plan) for key, plan in data["policy"].items()}
        planner.report, planner.metadata = data.get("report", {}), data.get("metadata", {})
        return planner

    @classmethod
    def load(cls, path: str | Path) -> ComputeOptimalPlanner:
        """A planner back from :meth:`save`'s file, with a clear error for anything else (a plan of a
        strategy not registered in this process included)."""
        try:
            return cls.from_state(json.loads(Path(path).read_text()))
        except FileNotFoundError:
            raise FileNotFoundError(f"policy file not found: {path}; make one with ttc calibrate") from None
        except UnregisteredStrategy as exc:
            raise ValueError(f"{path} {exc}") from None
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError) as exc:
            raise ValueError(f"{path} is not a policy file ({exc}); make one with ttc calibrate") from None


class UnregisteredStrategy(ValueError):
    """A policy plans with a strategy kind this process has not registered."""


def _unregistered_kinds(data: dict) -> list[str]:
    """The strategy kinds a policy's state plans with that are not registered in this process."""
    return sorted({plan.get("kind") for plan in data.get("policy", {}).values()} - set(STRATEGIES))


def _cell_name(bin_: int, budget: int) -> str:
    """How a (bin, budget) cell is named in a policy file: ``"bin|budget"``."""
    return f"{bin_}|{budget}"


def _cell_key(name: str) -> tuple[int, int]:
    bin_, budget = name.split("|")
    return int(bin_), int(budget)


def baseline_plan(budget: int) -> Plan:
    """The plan every cell is compared with: weighted best-of-N at the same budget."""
    return Plan(kind="best_of_n", options={"n": budget, "selection": "weighted"}, budget=budget)


def baseline_label(budget: int) -> str:
    """The baseline's label in a cell's table."""
    return baseline_plan(budget).label


def _baseline_first(table: dict, budget: int) -> dict:
    """``table`` with the baseline's row first: a plan replaces it only by doing strictly better."""
    baseline = baseline_label(budget)
    return {baseline: table[baseline], **table} if baseline in table else table


def _argmax(table: dict[str, dict[str, float]], questions: list[str]) -> str:
    """The label with the best mean accuracy over ``questions`` (ties: the earlier row)."""
    return max(table, key=lambda label: statistics.fmean(table[label][q] for q in questions))


def cross_validated(table: dict[str, dict[str, float]], questions: list[str], seed: int = 0) -> float:
    """2-fold cross-validated accuracy of choosing by argmax: choose on one half, score on the other."""
    if len(questions) < 2:
        return statistics.fmean(table[_argmax(table, questions)][q] for q in questions)
    order = list(questions)
    random.Random(seed).shuffle(order)
    folds = [order[::2], order[1::2]]
    scored = []
    for choose_on, score_on in ((folds[0], folds[1]), (folds[1], folds[0])):
        chosen = _argmax(table, choose_on)
        scored += [table[chosen][q] for q in score_on]
    return statistics.fmean(scored)
