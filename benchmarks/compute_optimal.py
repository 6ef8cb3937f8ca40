"""Does the compute-optimal planner beat weighted best-of-N on held-out questions, and by how much compute?

The paper reports up to 4x less compute than best-of-N for the same accuracy. Here: the embedded
model, the arithmetic checker as verifier, synthetic word problems of five levels, split with a
fixed seed into a calibration half (the only questions the planner is fitted on) and a held-out
half. On the held-out half the script prints, per budget B, the accuracy [95% bootstrap interval]
of the compute-optimal policy (run end to end by ``AdaptiveTTC``, probes counted) and of weighted
best-of-N, the mean tokens each spent, which plans the policy chose, and the efficiency ratio:
the smallest budget at which best-of-N reaches compute-optimal's accuracy at B, divided by B
(from the best-of-N curve up to ``--max-bon``; "> X" when it never does). That curve is an
expectation over subsets of a sample bank while the policy's row is one run per question, so the
script also runs the policy's own pipeline with weighted best-of-N in every cell (the same probes,
one run: the paired baseline) and prints the per-question difference with its interval: the
figure that isolates what the choice of plans did. Everything is cached
under ``--work`` (a rerun, or a run after an interruption, only redoes what is missing), and the
figures are written to ``--work``/result.json. Each planner rule of ``--rules`` (``argmax``, the
paper's, and ``guarded``: ``docs/planner.md``) gets its own policy, fitted on the same rows.

    .venv/bin/python benchmarks/compute_optimal.py [--per-level 8] [--budgets 4,6,10] [--probes 2] [--max-bon 32]
        [--rules argmax,guarded]

The budgets include the difficulty probes: with 2 probes, 4,6,10 leave the search plans 2, 4 and
8 generations (``docs/planner.md``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-level", type=int, default=8, help="questions per level (half are held out)")
    parser.add_argument("--budgets", default="4,6,10", help="generation budgets, probes included")
    parser.add_argument("--probes", type=int, default=2, help="probe samples of the difficulty estimate")
    parser.add_argument("--max-bon", type=int, default=32, help="largest best-of-N budget for the ratio")
    parser.add_argument("--max-rounds", type=int, default=3, help="rounds of step-level search")
    parser.add_argument("--bins", type=int, default=3)
    parser.add_argument("--work", default="runs/compute_optimal")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rules", default="argmax,guarded", help="planner rules to compare")
    args = parser.parse_args()

    from planners import ComputeOptimalPlanner, VerifierDifficulty
    from ttc_modules.config import load_settings
    from ttc_modules.evaluation.datasets import load_synthetic, split
    from ttc_modules.lm import build_lm, configure_cache
    from ttc_modules.verifiers import ArithmeticChecker

    budgets = [int(b) for b in args.budgets.split(",")]
    work = Path(args.work)
    settings = load_settings()
    configure_cache(settings)
    lm, verifier = build_lm(settings), ArithmeticChecker()
    train, test = split(load_synthetic(args.per_level, seed=args.seed), 0.5, seed=args.seed)
    started = time.perf_counter()
    policies, rows, paired = {}, {}, None
    bon = _best_of_n_curve(test, work / "test", lm, verifier, args.max_bon, args.seed)
    for rule in args.rules.split(","):  # every rule after the first refits from the same rows, without LM calls
        planner = ComputeOptimalPlanner(budgets, estimator=VerifierDifficulty(probes=args.probes), bins=args.bins,
                                        seed=args.seed, work_dir=work / "fit", rule=rule,
                                        plan_options={"max_rounds": args.max_rounds})
        fitted = planner.fit(train, verifier=verifier, lm=lm)
        fitted.save(work / f"policy-{rule}.json")
        print(f"{rule}: fitted on {len(train)} questions ({time.perf_counter() - started:.0f} s so far); "
              f"policy in {work / f'policy-{rule}.json'}")
        for key, cell in sorted(fitted.report.items()):
            print(f"  bin|budget {key}: {cell['chosen']:<55} cv {cell['cv_accuracy']:.2f}  "
                  f"best-of-N weighted {cell['baseline_accuracy']:.2f}  (n={cell['n']})")
        if paired is None:
            paired = _run_adaptive(_always_best_of_n(fitted), test, budgets, verifier, lm, args.seed)
        adaptive = _run_adaptive(fitted, test, budgets, verifier, lm, args.seed)
        policies[rule] = fitted.report
        rows[rule] = [_compare(budget, adaptive[budget], bon, args.max_bon, paired[budget]) for budget in budgets]
    for rule, rule_rows in rows.items():
        _print_table(f"compute-optimal ({rule})", len(test), rule_rows)
    elapsed = time.perf_counter() - started
    print(f"total {elapsed:.0f} s")
    record = {"args": vars(args), "train": len(train), "test": len(test), "seconds": round(elapsed),
              "policies": policies, "rows": rows}
    (work / "result.json").write_text(json.dumps(record, indent=1))
    print(json.dumps({rule: {row["budget"]: {"compute_optimal": round(row["compute_optimal"], 3),
                                              "paired_best_of_n": round(row["paired_best_of_n"], 3),
                                              "efficiency": row["efficiency"]} for row in rule_rows}
                      for rule, rule_rows in rows.items()}))


def _run_adaptive(fitted, test: list, budgets: list[int], verifier, lm, seed: int) -> dict[int, list[dict]]:
    """Per budget, one record per held-out question: correct, tokens and plan of AdaptiveTTC."""
    from planners import AdaptiveTTC
    from ttc_modules.evaluation.grading import grade
    from ttc_modules.evaluation.progress import progress_bar

    program = AdaptiveTTC(fitted, verifier=verifier, lm=lm, seed=seed)
    results: dict[int, list[dict]] = {b: [] for b in budgets}
    with progress_bar(len(test) * len(budgets), title="held-out, compute-optimal") as advance:
        for budget in budgets:
            for example in test:
                pred = program(question=example.question, budget=budget)
                results[budget].append({"correct": float(grade(pred.reasoning, example.answer)),
                                        "tokens": pred.spent["tokens"], "plan": pred.plan.label,
                                        "generations": pred.spent["generations"]})
                advance(f"{budget} {example.id}")
    return results


def _always_best_of_n(fitted):
    """The fitted planner (same estimator, bins, probes) with weighted best-of-N in every cell."""
    import copy

    from planners.compute_optimal import baseline_plan

    baseline = copy.deepcopy(fitted)
    baseline.policy = {(bin_, budget): baseline_plan(budget).model_copy(update={"bin": bin_})
                       for bin_, budget in fitted.policy}
    return baseline


def _best_of_n_curve(test: list, bank_dir: Path, lm, verifier, max_bon: int, seed: int) -> dict:
    """Weighted best-of-N accuracy and tokens at every k <= max_bon, per question, from one sample bank."""
    from ttc_modules.evaluation.curves import expected_accuracy, expected_tokens
    from ttc_modules.evaluation.progress import progress_bar
    from ttc_modules.evaluation.sample_bank import SampleBank

    bank = SampleBank(bank_dir, lm, verifier, n_max=max_bon, seed=seed)
    entries = []
    with progress_bar(len(test), title=f"held-out, best-of-{max_bon} bank") as advance:
        for example in test:
            entries.append(bank.draw(example))
            advance(example.id)
    return {k: {"correct": [expected_accuracy(e["samples"], k, "weighted", seed=seed) for e in entries],
                "tokens": [expected_tokens(e, k) for e in entries]} for k in range(1, max_bon + 1)}


def _compare(budget: int, ours: list[dict], bon: dict, max_bon: int, paired: list[dict]) -> dict:
    from ttc_modules.evaluation.curves import bootstrap_interval

    correct = [r["correct"] for r in ours]
    differences = [r["correct"] - p["correct"] for r, p in zip(ours, paired, strict=True)]
    accuracy, theirs = statistics.fmean(correct), statistics.fmean(bon[budget]["correct"])
    needed = next((k for k in sorted(bon) if statistics.fmean(bon[k]["correct"]) >= accuracy), None)
    return {"budget": budget, "compute_optimal": accuracy, "compute_optimal_ci": bootstrap_interval(correct),
            "best_of_n": theirs, "best_of_n_ci": bootstrap_interval(bon[budget]["correct"]),
            "efficiency": needed / budget if needed else None, "efficiency_above": max_bon / budget,
            "tokens_compute_optimal": statistics.fmean(r["tokens"] for r in ours),
            "tokens_best_of_n": statistics.fmean(bon[budget]["tokens"]),
            "generations_compute_optimal": statistics.fmean(r["generations"] for r in ours),
            "paired_best_of_n": statistics.fmean(p["correct"] for p in paired),
            "paired_difference": statistics.fmean(differences), "paired_difference_ci": bootstrap_interval(differences),
            "plans": dict(Counter(r["plan"] for r in ours).most_common())}


def _print_table(name: str, questions: int, rows: list[dict]) -> None:
    print(f"\nheld-out: {questions} questions; accuracy [95% interval], mean tokens per question")
    print(f"{'budget':>6}  {name:>26}  {'tokens':>7}  {'best-of-N weighted':>22}  {'tokens':>7}  "
          f"{'efficiency':>10}  {'paired best-of-N':>16}  {'difference':>22}")
    for row in rows:
        ratio = f"{row['efficiency']:.2f}x" if row["efficiency"] else f"> {row['efficiency_above']:.1f}x"
        print(f"{row['budget']:>6}  {_cell(row['compute_optimal'], row['compute_optimal_ci']):>26}  "
              f"{row['tokens_compute_optimal']:>7.0f}  {_cell(row['best_of_n'], row['best_of_n_ci']):>22}  "
              f"{row['tokens_best_of_n']:>7.0f}  {ratio:>10}  {row['paired_best_of_n']:>16.2f}  "
              f"{_cell(row['paired_difference'], row['paired_difference_ci']):>22}")
    for row in rows:
        print(f"  plans chosen at budget {row['budget']}: " +
              ", ".join(f"{label} x{count}" for label, count in row["plans"].items()))


def _cell(mean: float, interval: tuple[float, float]) -> str:
    return f"{mean:.2f} [{interval[0]:.2f},{interval[1]:.2f}]"


if __name__ == "__main__":
    main()
