"""Spending where it pays, on the embedded model: early-stopping votes, and one mean budget shared by difficulty.

For each task, a sample bank of ``--cap`` (16) samples per question is drawn once on the embedded
model (``ttc_modules/evaluation/sample_bank.py``, under ``--work``: a rerun resumes) and replayed in
the order drawn, as a live run would draw them:

- **early stopping** (``ttc_modules/stopping.py``): the Beta rule (Adaptive-Consistency, confidence
  ``--confidence``, one sample per batch) and the window rule (Early-Stopping Self-Consistency,
  window ``--window``) against majority@cap, and their weighted variants against weighted@cap where
  the task has a verifier (the arithmetic checker on the word problems): mean samples drawn, the
  saving (cap / mean drawn), accuracy, and the accuracy change with a 95% paired bootstrap interval;
- **the answer-agreement distribution** that explains the savings: how many of the cap samples hold
  the most common answer, per question, in four bands;
- **one mean budget** (``planners/mean_budget.py``): each question's difficulty is the agreement of its
  first ``--probes`` samples (the share of the most common answer: no verifier, no label); with
  2-fold cross-validation over the questions, the allocation of budgets from ``--budgets`` per
  agreement bin is fitted on one half (the knapsack of ``allocate``) and run on the other through a
  ``BudgetLedger`` holding the mean ``--mean`` (a question's budget: its bin's allocation within its
  credit, the largest listed budget that fits); against the uniform split (every question
  ``--mean``), with a paired bootstrap interval of the gain.

- **the exchange** (the paper's §7, ``ttc exchange``), on the word problems by level: the small embedded
  model (SmolLM2-135M) with majority voting against the larger one (``--large-model``, Gemma-3-270M,
  its expected one-sample accuracy over ``--large-samples`` banked samples) at matched FLOPs per
  question. For each R = D_inference / D_pretrain of ``--ratios``, the small model may spend
  ``inference_multiplier(M, R)`` times the inference FLOPs it would spend writing the large model's
  tokens once (M = the parameter ratio, FLOPs = 2 x parameters x tokens, prompt included); its k is
  the most samples that fit, at most the cap. The paper's arithmetic assumes both models pretrained
  on the same tokens; these two were not (2T and 6T tokens), so this is the paper's question asked
  of these two models, not a like-for-like comparison.

Tasks: ``coin_flip`` and ``last_letters`` (the anchors' symbolic tasks, ``ttc_modules/tasks``, as
``ChainOfThought`` with three demos of another seed), ``synthetic`` (the word problems, levels 1-5)
and ``gsm8k`` (the first questions of the shipped training file), the last two as the math
word-problem program with the arithmetic checker.

    .venv/bin/python benchmarks/adaptive_compute.py [--tasks coin_flip,last_letters,synthetic,gsm8k]
        [--questions 20] [--cap 16] [--confidence 0.95] [--window 5] [--probes 4] [--budgets 4,8,16]
        [--mean 8] [--large-model local/gemma3-270m] [--large-samples 4] [--ratios 0.16,0.79,22]
        [--work runs/adaptive_compute]

The last line is JSON: ``samples_saved`` (the best rule's saving on the task where the anchors saved
most, coin flip, among rules whose accuracy-change interval contains 0), ``accuracy_drop``, and the
mean-budget allocation's ``accuracy_gain`` over the uniform split (with its interval), then every
figure per task.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import statistics
import time
from pathlib import Path

TASKS = ("coin_flip", "last_letters", "synthetic", "gsm8k")
DEMO_SEED = 1  # the symbolic tasks' demos; the evaluated questions are seed 0
AGREEMENT_BANDS = ((1, 4), (5, 8), (9, 12), (13, 16))


def main() -> None:
    args = _arguments()
    logging.getLogger("dspy.clients.lm").setLevel(logging.ERROR)  # DSPy warns of every truncated sample
    from ttc_modules.config import load_settings
    from ttc_modules.lm import build_lm, configure_cache

    settings = load_settings()
    configure_cache(settings)
    lm, started, figures = build_lm(settings), time.perf_counter(), {}
    for name in args.tasks.split(","):
        entries, groups, weighted = _bank(name, lm, args, Path(args.work) / name)
        figures[name] = _measure(entries, groups, weighted, args)
        _print_task(name, figures[name], args)
        if name == "synthetic":
            figures["exchange"] = _exchange(entries, lm, settings, args)
        print(f"{name} done ({time.perf_counter() - started:.0f} s so far)", flush=True)
    print(json.dumps(_headline(figures)))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default=",".join(TASKS), help=f"some of {', '.join(TASKS)}")
    parser.add_argument("--questions", type=int, default=20, help="questions per task")
    parser.add_argument("--cap", type=int, default=16, help="samples per question: the cap of every rule")
    parser.add_argument("--confidence", type=float, default=0.95)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--probes", type=int, default=4, help="samples whose agreement estimates difficulty")
    parser.add_argument("--budgets", default="4,8,16", help="budgets the mean-budget allocation chooses from")
    parser.add_argument("--mean", type=int, default=8, help="generations per question on average")
    parser.add_argument("--large-model", default="local/gemma3-270m", help="the larger model of the exchange")
    parser.add_argument("--large-samples", type=int, default=4, help="its samples per question (one-sample accuracy)")
    parser.add_argument("--ratios", default="0.16,0.79,22", help="R = D_inference / D_pretrain values (the paper's)")
    parser.add_argument("--work", default="runs/adaptive_compute")
    return parser.parse_args()


# ---------------------------------------------------------------------------- the banks
def _bank(name: str, lm, args, out: Path, cap: int | None = None, verifier=True) -> tuple[list[dict], object, bool]:
    """Every question's banked samples (``cap``, default the cap), the task's answer grouping, and whether it has a
    verifier (``verifier=False``: bank without one)."""
    from ttc_modules.evaluation.harness import Evaluation

    program, examples, metric, checker = _task(name, args)
    checker = checker if verifier else None
    evaluation = Evaluation(examples, lm, checker, ["majority"], [cap or args.cap], out, workers=1, program=program,
                            metric=metric)
    evaluation.run()
    entries = [evaluation.bank.draw(example) for example in examples]
    return entries, evaluation.subject.fields.equivalence.groups, checker is not None


def _task(name: str, args):
    """(program, examples, metric, verifier) of a task: None program and metric for the math program."""
    import dspy

    from ttc_modules.evaluation.datasets import load_dataset
    from ttc_modules.tasks import coin_flip, last_letters
    from ttc_modules.verifiers import ArithmeticChecker

    if name == "synthetic":
        per_level = max(1, args.questions // 5)
        return None, load_dataset(f"synthetic:{per_level}", seed=0)[: args.questions], None, ArithmeticChecker()
    if name == "gsm8k":
        return None, load_dataset("gsm8k", limit=args.questions), None, ArithmeticChecker()
    module = {"coin_flip": coin_flip, "last_letters": last_letters}[name]
    program = dspy.LabeledFewShot(k=3).compile(dspy.ChainOfThought(getattr(module, _signature(name))),
                                               trainset=module.examples(1, seed=DEMO_SEED))
    per_level = max(1, args.questions // 4)  # each task's four default levels
    return program, module.examples(per_level)[: args.questions], module.metric, None


def _signature(name: str) -> str:
    return {"coin_flip": "CoinFlip", "last_letters": "LastLetters"}[name]


# ---------------------------------------------------------------------------- the measurements
def _measure(entries: list[dict], groups, weighted: bool, args) -> dict:
    from ttc_modules.evaluation.curves import first_k_accuracy

    samples = [entry["samples"][: args.cap] for entry in entries]
    baselines = {"majority": [first_k_accuracy(s, args.cap, "majority", groups) for s in samples]}
    if weighted:
        baselines["weighted"] = [first_k_accuracy(s, args.cap, "weighted", groups) for s in samples]
    rules = {f"{rule}{'-weighted' if how == 'weighted' else ''}": _rule_figures(samples, rule, how, baselines[how],
                                                                                   groups, args)
             for how in baselines for rule in ("beta", "window")}
    return {"questions": len(samples), "cap": args.cap,
            "baselines": {how: round(statistics.fmean(values), 4) for how, values in baselines.items()},
            "rules": rules, "agreement": _agreement(samples, groups),
            "mean_budget": _mean_budget(samples, groups, args)}


def _rule_figures(samples: list[list[dict]], rule: str, how: str, baseline: list[float], groups, args) -> dict:
    from ttc_modules.evaluation.curves import stopping_replay

    replays = [stopping_replay(s, rule, how, groups, confidence=args.confidence, window=args.window) for s in samples]
    drawn = statistics.fmean(d for d, _ in replays)
    accuracy = [correct for _, correct in replays]
    return {"against": f"{how}@{args.cap}", "mean_drawn": round(drawn, 2), "saving": round(args.cap / drawn, 2),
            "accuracy": round(statistics.fmean(accuracy), 4), **_paired("change", accuracy, baseline)}


def _paired(name: str, ours: list[float], theirs: list[float]) -> dict:
    """The mean paired difference and its 95% bootstrap interval (questions resampled)."""
    from ttc_modules.evaluation.curves import bootstrap_interval

    differences = [a - b for a, b in zip(ours, theirs, strict=True)]
    low, high = bootstrap_interval(differences, resamples=2000, seed=0)
    return {name: round(statistics.fmean(differences), 4), f"{name}_interval": [round(low, 4), round(high, 4)]}


def _agreement(samples: list[list[dict]], groups) -> dict:
    """How many samples hold each question's most common answer, counted in bands (of a cap of 16)."""
    tops = [_top_count(s, groups) for s in samples]
    return {f"{low}-{high}": sum(low <= top <= high for top in tops) for low, high in AGREEMENT_BANDS}


def _top_count(samples: list[dict], groups) -> int:
    grouped = [g for g in groups([s["answer"] for s in samples]) if g is not None]
    return max((grouped.count(g) for g in set(grouped)), default=0)


def _mean_budget(samples: list[list[dict]], groups, args) -> dict:
    """The mean-budget allocation by probe agreement, 2-fold cross-validated, against the uniform split."""
    from ttc_modules.evaluation.curves import first_k_accuracy

    budgets = [int(b) for b in args.budgets.split(",")]
    bins = [1 + args.probes - _top_count(s[: args.probes], groups) for s in samples]  # bin 1: probes all agree
    accuracy = {b: [first_k_accuracy(s, b, "majority", groups) for s in samples] for b in budgets}
    order = list(range(len(samples)))
    random.Random(0).shuffle(order)
    folds = [order[::2], order[1::2]]
    allocated, spent, allocations = [0.0] * len(samples), [0] * len(samples), []
    for fit_on, run_on in ((folds[0], folds[1]), (folds[1], folds[0])):
        allocation = _fit_allocation(fit_on, bins, accuracy, args.mean)
        allocations.append(allocation)
        for i, budget in _run_ledger(run_on, bins, allocation, budgets, args.mean).items():
            allocated[i], spent[i] = accuracy[budget][i], budget
    uniform = [first_k_accuracy(s, args.mean, "majority", groups) for s in samples]
    return {"mean": args.mean, "mean_spent": round(statistics.fmean(spent), 2),
            "accuracy": round(statistics.fmean(allocated), 4), "uniform_accuracy": round(statistics.fmean(uniform), 4),
            **_paired("gain", allocated, uniform), "allocations": allocations,
            "bins": {b: bins.count(b) for b in sorted(set(bins))}}


def _fit_allocation(questions: list[int], bins: list[int], accuracy: dict, mean: int) -> dict[int, int]:
    from planners.mean_budget import allocate

    cells = [(bin_, budget, {"cv_accuracy": statistics.fmean(accuracy[budget][i] for i in members), "n": len(members)})
             for bin_ in sorted({bins[i] for i in questions})
             for members in [[i for i in questions if bins[i] == bin_]] for budget in accuracy]
    return allocate(cells, mean)


def _run_ledger(questions: list[int], bins: list[int], allocation: dict[int, int], budgets: list[int],
                mean: int) -> dict[int, int]:
    """Each question's budget as AdaptiveTTC(mean_budget=mean) would give it: its bin's allocation (the nearest
    fitted bin's) within the ledger's credit, the largest listed budget that fits."""
    from planners.mean_budget import budget_for_bin
    from ttc_modules.ledgers import BudgetLedger

    ledger, given = BudgetLedger(mean), {}
    for i in questions:
        grant = ledger.open(budget_for_bin(allocation, bins[i]))
        given[i] = max(b for b in budgets if b <= grant.granted)
        ledger.close(grant, given[i])
    return given


# ---------------------------------------------------------------------------- the exchange
def _exchange(small: list[dict], lm, settings, args) -> dict:
    """Per level of the word problems, and per R: the small model's majority@k at matched FLOPs against the large
    model's one sample (see the module docstring)."""
    from ttc_modules.evaluation.curves import expected_accuracy
    from ttc_modules.lm import build_lm

    large_lm = build_lm(settings, args.large_model)
    large, groups, _ = _bank("synthetic", large_lm, args, Path(args.work) / "exchange-large", cap=args.large_samples,
                             verifier=False)
    _, examples, _, _ = _task("synthetic", args)
    ratios = [float(r) for r in args.ratios.split(",")]
    rows = []
    for level in sorted({int(e.level) for e in examples}):
        chosen = [i for i, e in enumerate(examples) if int(e.level) == level]
        row = {"level": level, "questions": len(chosen), "large_accuracy": round(statistics.fmean(
            expected_accuracy(large[i]["samples"], 1, "majority", groups=groups) for i in chosen), 4)}
        for ratio in ratios:
            ks = [_matched_samples(small[i], large[i], lm.params, large_lm.params, ratio, args.cap) for i in chosen]
            row[f"R={ratio}"] = {"mean_k": round(statistics.fmean(ks), 2), "capped": sum(k == args.cap for k in ks),
                                 "small_accuracy": round(statistics.fmean(
                                     expected_accuracy(small[i]["samples"], k, "majority", groups=groups)
                                     for i, k in zip(chosen, ks, strict=True)), 4)}
        rows.append(row)
    _print_exchange(rows, ratios, lm, large_lm)
    return {"large_model": args.large_model, "rows": rows}


def _matched_samples(small: dict, large: dict, small_params: float, large_params: float, ratio: float,
                     cap: int) -> int:
    """The most samples (1 to ``cap``) the small model may draw on this question at matched FLOPs for ``ratio``."""
    from ttc_modules.evaluation.curves import expected_tokens
    from ttc_modules.evaluation.exchange import inference_multiplier

    budget = inference_multiplier(large_params / small_params, ratio) * 2 * small_params * expected_tokens(large, 1)
    per_sample = (expected_tokens(small, 2) - expected_tokens(small, 1))
    fits = int((budget / (2 * small_params) - small["prompt_tokens"]) // max(per_sample, 1e-9))
    return max(1, min(cap, fits))


def _print_exchange(rows: list[dict], ratios: list[float], lm, large_lm) -> None:
    print(f"\nexchange on the word problems: {lm.model} majority@k against {large_lm.model} one sample, matched FLOPs")
    print(f"{'level':>5} {'large@1':>8} " + " ".join(f"{f'R={r}: k, small, winner':>30}" for r in ratios))
    for row in rows:
        cells = []
        for ratio in ratios:
            cell = row[f"R={ratio}"]
            winner = "small" if cell["small_accuracy"] > row["large_accuracy"] else (
                "large" if cell["small_accuracy"] < row["large_accuracy"] else "tie")
            cells.append(f"{cell['mean_k']:>9.1f} ({cell['capped']} capped) {cell['small_accuracy']:.3f} {winner:>5}")
        print(f"{row['level']:>5} {row['large_accuracy']:>8.3f} " + " ".join(f"{c:>30}" for c in cells))


# ---------------------------------------------------------------------------- the report
def _print_task(name: str, figures: dict, args) -> None:
    print(f"\n{name}: {figures['questions']} questions, cap {figures['cap']}; baselines {figures['baselines']}")
    print(f"{'rule':<16} {'against':<13} {'mean drawn':>10} {'saving':>7} {'accuracy':>9}  change [95% interval]")
    for rule, row in figures["rules"].items():
        low, high = row["change_interval"]
        print(f"{rule:<16} {row['against']:<13} {row['mean_drawn']:>10.2f} {row['saving']:>6.2f}x "
              f"{row['accuracy']:>9.3f}  {row['change']:+.3f} [{low:+.3f}, {high:+.3f}]")
    bands = ", ".join(f"{band}: {count}" for band, count in figures["agreement"].items())
    print(f"questions by how many of {figures['cap']} samples hold the most common answer: {bands}")
    shared = figures["mean_budget"]
    low, high = shared["gain_interval"]
    print(f"mean budget {shared['mean']} by probe agreement (bins {shared['bins']}; allocations per fold "
          f"{shared['allocations']}): accuracy {shared['accuracy']:.3f}, mean spent {shared['mean_spent']}; uniform "
          f"{shared['uniform_accuracy']:.3f}; gain {shared['gain']:+.3f} [{low:+.3f}, {high:+.3f}]")


def _headline(figures: dict) -> dict:
    anchor = "coin_flip" if "coin_flip" in figures else next(task for task in figures if task != "exchange")
    safe = {rule: row for rule, row in figures[anchor]["rules"].items() if row["change_interval"][1] >= 0}
    best = max(safe, key=lambda rule: safe[rule]["saving"], default=None)
    tasks = [task for task in figures if task != "exchange"]
    gains = {task: figures[task]["mean_budget"]["gain"] for task in tasks}
    return {"samples_saved": safe[best]["saving"] if best else None, "samples_saved_task": anchor,
            "samples_saved_rule": best, "accuracy_drop": -safe[best]["change"] if best else None,
            "accuracy_drop_interval": [-x for x in reversed(safe[best]["change_interval"])] if best else None,
            "accuracy_gain": min(gains.values()), "accuracy_gain_by_task": gains,
            "accuracy_gain_interval_by_task": {t: figures[t]["mean_budget"]["gain_interval"] for t in tasks},
            "goals": {"samples_saved": 3, "accuracy_gain": 0}, "figures": figures}


if __name__ == "__main__":
    main()
