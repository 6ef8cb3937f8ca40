"""Does the compute-optimal planner beat weighted best-of-N on held-out questions, and by how much compute?

The paper reports up to 4x less compute than best-of-N for the same accuracy. Here: the embedded
model, the arithmetic checker as verifier, synthetic word problems of five levels, split with a
fixed seed into a calibration half (the only questions the planner is fitted on) and a held-out
half. On the held-out half the script prints, per budget B, the accuracy [95% bootstrap interval]
of the compute-optimal policy (probes charged) and of weighted best-of-N, and the efficiency
ratio: the smallest budget at which best-of-N reaches compute-optimal's accuracy at B, divided by
B (from the best-of-N curve up to ``--max-bon``; "> X" when it never does). Everything is cached
under ``--work``, so a rerun only redoes what changed.

    .venv/bin/python benchmarks/compute_optimal.py [--per-level 8] [--budgets 2,4,8] [--max-bon 32]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-level", type=int, default=8, help="questions per level (half are held out)")
    parser.add_argument("--budgets", default="2,4,8")
    parser.add_argument("--max-bon", type=int, default=32, help="largest best-of-N budget for the ratio")
    parser.add_argument("--max-rounds", type=int, default=3, help="rounds of step-level search")
    parser.add_argument("--bins", type=int, default=3)
    parser.add_argument("--work", default="runs/compute_optimal")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from planners import AdaptiveTTC, ComputeOptimalPlanner, VerifierDifficulty
    from ttc_modules.config import load_settings
    from ttc_modules.evaluation.curves import bootstrap_interval, expected_accuracy
    from ttc_modules.evaluation.datasets import load_synthetic, split
    from ttc_modules.evaluation.graders import is_correct
    from ttc_modules.evaluation.sample_bank import SampleBank
    from ttc_modules.lm import build_lm
    from ttc_modules.verifiers import ArithmeticChecker

    budgets = [int(b) for b in args.budgets.split(",")]
    work = Path(args.work)
    lm, verifier = build_lm(load_settings()), ArithmeticChecker()
    train, test = split(load_synthetic(args.per_level, seed=args.seed), 0.5, seed=args.seed)
    started = time.perf_counter()
    planner = ComputeOptimalPlanner(budgets, estimator=VerifierDifficulty(probes=min(budgets)), bins=args.bins,
                                    seed=args.seed, work_dir=work / "fit", plan_options={"max_rounds": args.max_rounds})
    fitted = planner.compile(train, verifier=verifier, lm=lm)
    fitted.save(work / "policy.json")
    print(f"fitted on {len(train)} questions in {time.perf_counter() - started:.0f} s; policy in {work / 'policy.json'}")
    for key, cell in sorted(fitted.report.items()):
        print(f"  bin|budget {key}: {cell['chosen']:<55} cv {cell['cv_accuracy']:.2f}  "
              f"best-of-N weighted {cell['baseline_accuracy']:.2f}  (n={cell['n']})")

    program = AdaptiveTTC(fitted, verifier=verifier, lm=lm, seed=args.seed)
    adaptive = {b: [float(is_correct(program(question=e.question, budget=b).answer, e.answer)) for e in test]
                for b in budgets}
    bank = SampleBank(work / "test", lm, verifier, n_max=args.max_bon, seed=args.seed)
    entries = [bank.draw(e)["samples"] for e in test]
    bon = {k: [expected_accuracy(s, k, "weighted", seed=args.seed) for s in entries]
           for k in range(1, args.max_bon + 1)}

    print(f"\nheld-out: {len(test)} questions; accuracy [95% interval]")
    print(f"{'budget':>6}  {'compute-optimal':>22}  {'best-of-N weighted':>22}  {'efficiency':>10}")
    for budget in budgets:
        ours, theirs = statistics.fmean(adaptive[budget]), statistics.fmean(bon[budget])
        needed = next((k for k in sorted(bon) if statistics.fmean(bon[k]) >= ours), None)
        ratio = f"{needed / budget:.2f}x" if needed else f"> {args.max_bon / budget:.1f}x"
        print(f"{budget:>6}  {_cell(ours, bootstrap_interval(adaptive[budget])):>22}  "
              f"{_cell(theirs, bootstrap_interval(bon[budget])):>22}  {ratio:>10}")
    print(f"total {time.perf_counter() - started:.0f} s")


def _cell(mean: float, interval: tuple[float, float]) -> str:
    return f"{mean:.2f} [{interval[0]:.2f},{interval[1]:.2f}]"


if __name__ == "__main__":
    main()
